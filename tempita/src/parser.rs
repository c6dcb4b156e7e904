//! Turning tokens into the template tree.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Pos, Result};
use crate::expr::{self, Expr, Params, Stmt, Target};
use crate::lexer::Token;

#[derive(Debug)]
pub(crate) enum Node {
    Text(Box<str>),
    Expr {
        pos: Pos,
        expr: Expr,
        filters: Vec<Expr>,
    },
    If(Vec<Branch>),
    For {
        pos: Pos,
        target: Target,
        iter: Expr,
        body: Vec<Self>,
    },
    /// Statements with their own positions (their lines in multi-line blocks).
    Py {
        stmts: Vec<(Pos, Stmt)>,
    },
    Default {
        pos: Pos,
        name: Arc<str>,
        expr: Expr,
    },
    Inherit {
        pos: Pos,
        expr: Expr,
    },
    Def(Arc<DefNode>),
    Break,
    Continue,
}

#[derive(Debug)]
pub(crate) struct Branch {
    pub(crate) pos: Pos,
    pub(crate) cond: Option<Expr>,
    pub(crate) body: Vec<Node>,
}

#[derive(Debug)]
pub(crate) struct DefNode {
    pub(crate) name: Arc<str>,
    pub(crate) params: Params,
    pub(crate) body: Vec<Node>,
}

struct Parser<'a> {
    tokens: std::iter::Peekable<std::vec::IntoIter<Token>>,
    source: &'a str,
    loop_depth: usize,
}

/// How a block ended: the closing keyword, its position and its argument.
struct End {
    keyword: &'static str,
    pos: Pos,
    rest: String,
}

fn err(msg: impl Into<String>, pos: Pos, source: &str) -> Error {
    Error::new(ErrorKind::Syntax, msg).at(pos, None, source)
}

/// Split `keyword rest` for the keywords that open or continue blocks.
fn split_keyword(tag: &str) -> Option<(&'static str, &str)> {
    const KEYWORDS: &[&str] = &[
        "if", "elif", "else", "endif", "for", "endfor", "def", "enddef", "default", "inherit",
        "continue", "break",
    ];
    let word_end = tag
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(tag.len());
    let word = &tag[..word_end];
    let kw = KEYWORDS.iter().find(|k| **k == word)?;
    let rest = &tag[word_end..];
    // `if(x)` or `else:` are fine; `iffy` or `if.x` are expressions.
    if !(rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || c == ':' || c == '(')) {
        return None;
    }
    // A keyword followed by an operator (`default = 3`) is treated as such only
    // for the directive forms below; `if` etc. cannot be names anyway.
    Some((kw, rest.trim()))
}

impl Parser<'_> {
    fn err(&self, msg: impl Into<String>, pos: Pos) -> Error {
        err(msg, pos, self.source)
    }

    fn expr(&self, code: &str, pos: Pos) -> Result<Expr> {
        expr::parse_expr(code).map_err(|e| self.syntax(&e, code, pos))
    }

    fn syntax(&self, e: &Error, code: &str, pos: Pos) -> Error {
        self.err(
            format!(
                "SyntaxError: {} in expression: {}",
                e.message(),
                code.trim()
            ),
            pos,
        )
    }

    /// Parse nodes until a block keyword in `stops` (or the end when `stops` is empty).
    fn nodes(&mut self, stops: &[&str]) -> Result<(Vec<Node>, Option<End>)> {
        let mut nodes = Vec::new();
        while let Some(tok) = self.tokens.next() {
            let (raw, pos) = match tok {
                Token::Text(t) => {
                    if !t.is_empty() {
                        nodes.push(Node::Text(t.into()));
                    }
                    continue;
                }
                Token::Tag(raw, pos) => (raw, pos),
            };
            let tag = raw.trim();
            if tag.starts_with('#') {
                continue;
            }
            if let Some(code) = tag.strip_prefix("py:") {
                nodes.push(self.py(code, pos)?);
                continue;
            }
            let Some((kw, rest)) = split_keyword(tag) else {
                let (expr, filters) =
                    expr::parse_piped(&raw).map_err(|e| self.syntax(&e, &raw, pos))?;
                nodes.push(Node::Expr { pos, expr, filters });
                continue;
            };
            let rest = if matches!(kw, "if" | "elif" | "else" | "for" | "def") {
                rest.strip_suffix(':').unwrap_or(rest).trim_end()
            } else {
                rest
            };
            match kw {
                "elif" | "else" | "endif" | "endfor" | "enddef" => {
                    if stops.contains(&kw) {
                        return Ok((
                            nodes,
                            Some(End {
                                keyword: kw,
                                pos,
                                rest: rest.to_owned(),
                            }),
                        ));
                    }
                    return Err(match kw {
                        "elif" | "else" => self.err(format!("{kw} outside of an if block"), pos),
                        _ => self.err(format!("Unexpected {kw}"), pos),
                    });
                }
                "continue" | "break" => {
                    if !rest.is_empty() {
                        return Err(self.err(format!("{kw} takes no argument"), pos));
                    }
                    if self.loop_depth == 0 {
                        return Err(self.err(format!("{kw} outside of for loop"), pos));
                    }
                    nodes.push(if kw == "break" {
                        Node::Break
                    } else {
                        Node::Continue
                    });
                }
                "if" => nodes.push(self.if_block(rest, pos)?),
                "for" => nodes.push(self.for_block(rest, pos)?),
                "def" => nodes.push(self.def_block(rest, pos)?),
                "default" => nodes.push(self.default(rest, pos)?),
                "inherit" => {
                    if rest.is_empty() {
                        return Err(self.err("inherit with no expression", pos));
                    }
                    nodes.push(Node::Inherit {
                        pos,
                        expr: self.expr(rest, pos)?,
                    });
                }
                _ => unreachable!("all keywords handled"),
            }
        }
        Ok((nodes, None))
    }

    fn py(&self, code: &str, pos: Pos) -> Result<Node> {
        let code = code.trim_start_matches([' ', '\t']);
        let multi = code.starts_with(['\n', '\r']);
        let lead = code.len() - code.trim_start_matches(['\n', '\r']).len();
        let first_line = pos.line + code[..lead].matches('\n').count();
        let code = if multi {
            code.trim_start_matches(['\n', '\r'])
                .replace("\r\n", "\n")
                .replace('\r', "")
        } else {
            if code.trim_end().contains(['\n', '\r']) {
                return Err(self.err("Multi-line py blocks must start with a newline", pos));
            }
            code.to_owned()
        };
        let stmts = expr::parse_stmts(&code).map_err(|e| {
            self.err(
                format!("SyntaxError: {} in py: block: {}", e.message(), code.trim()),
                pos,
            )
        })?;
        let stmts = stmts
            .into_iter()
            .map(|(line, stmt)| {
                let at = if multi {
                    Pos {
                        line: first_line + line,
                        column: 1,
                    }
                } else {
                    pos
                };
                (at, stmt)
            })
            .collect();
        Ok(Node::Py { stmts })
    }

    fn if_block(&mut self, cond: &str, pos: Pos) -> Result<Node> {
        if cond.is_empty() {
            return Err(self.err("if with no expression", pos));
        }
        let mut branches = Vec::new();
        let mut header = (pos, Some(self.expr(cond, pos)?));
        loop {
            let stops: &[&str] = if header.1.is_some() {
                &["elif", "else", "endif"]
            } else {
                &["endif", "elif", "else"]
            };
            let (body, end) = self.nodes(stops)?;
            branches.push(Branch {
                pos: header.0,
                cond: header.1.take(),
                body,
            });
            let Some(end) = end else {
                return Err(self.err("No {{endif}}", branches.last().map_or(pos, |b| b.pos)));
            };
            let after_else = branches.last().is_some_and(|b| b.cond.is_none());
            match end.keyword {
                "endif" => return Ok(Node::If(branches)),
                "elif" if after_else => return Err(self.err("elif after else", end.pos)),
                "else" if after_else => return Err(self.err("else after else", end.pos)),
                "elif" => {
                    if end.rest.is_empty() {
                        return Err(self.err("elif with no expression", end.pos));
                    }
                    header = (end.pos, Some(self.expr(&end.rest, end.pos)?));
                }
                _ => {
                    if !end.rest.is_empty() {
                        return Err(self.err(
                            format!("else takes no expression: else {}", end.rest),
                            end.pos,
                        ));
                    }
                    header = (end.pos, None);
                }
            }
        }
    }

    fn for_block(&mut self, text: &str, pos: Pos) -> Result<Node> {
        if text.is_empty() {
            return Err(self.err("for with no expression", pos));
        }
        let (target, iter) = expr::parse_for(text).map_err(|e| {
            if e.message().starts_with("Bad for") {
                self.err(e.message(), pos)
            } else {
                self.syntax(&e, text, pos)
            }
        })?;
        self.loop_depth += 1;
        let (body, end) = self.nodes(&["endfor"])?;
        self.loop_depth -= 1;
        if end.is_none() {
            return Err(self.err("No {{endfor}}", pos));
        }
        Ok(Node::For {
            pos,
            target,
            iter,
            body,
        })
    }

    fn def_block(&mut self, sig: &str, pos: Pos) -> Result<Node> {
        if sig.is_empty() {
            return Err(self.err("def with no name", pos));
        }
        let (name, params) = expr::parse_signature(sig).map_err(|e| {
            if e.message().starts_with("Function definition") {
                self.err(e.message(), pos)
            } else {
                self.err(format!("Invalid signature: ({sig}): {}", e.message()), pos)
            }
        })?;
        let depth = std::mem::take(&mut self.loop_depth);
        let (body, end) = self.nodes(&["enddef"])?;
        self.loop_depth = depth;
        if end.is_none() {
            return Err(self.err("Missing {{enddef}}", pos));
        }
        Ok(Node::Def(Arc::new(DefNode { name, params, body })))
    }

    fn default(&self, text: &str, pos: Pos) -> Result<Node> {
        let Some((name, value)) = text.split_once('=') else {
            return Err(self.err(
                format!("Expression must be {{{{default var=value}}}}; no = found in '{text}'"),
                pos,
            ));
        };
        let name = name.trim();
        if name.contains(',') {
            return Err(self.err("{{default x, y = ...}} is not supported", pos));
        }
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(self.err(
                format!("Not a valid variable name for {{{{default}}}}: '{name}'"),
                pos,
            ));
        }
        Ok(Node::Default {
            pos,
            name: name.into(),
            expr: self.expr(value, pos)?,
        })
    }
}

/// Parse tokens into the template tree.
pub(crate) fn parse(tokens: Vec<Token>, source: &str) -> Result<Vec<Node>> {
    let mut p = Parser {
        tokens: tokens.into_iter().peekable(),
        source,
        loop_depth: 0,
    };
    let (nodes, end) = p.nodes(&[])?;
    debug_assert!(end.is_none());
    Ok(nodes)
}
