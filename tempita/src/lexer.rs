//! Splitting a template into text and tags, and removing the lines that hold
//! only a directive.

use crate::error::{Error, ErrorKind, Pos, Result};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    Text(String),
    /// The text between the delimiters, and the position of its first character.
    Tag(String, Pos),
}

/// Line/column counter over the template text.
struct Cursor {
    line: usize,
    column: usize,
}

impl Cursor {
    fn advance(&mut self, text: &str) {
        for c in text.chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }
}

/// Split `content` into text chunks and tags. No empty text chunk is produced.
pub(crate) fn lex(content: &str, start: &str, end: &str, line_offset: usize) -> Result<Vec<Token>> {
    let err = |msg: String, pos: Pos| Error::new(ErrorKind::Syntax, msg).at(pos, None, content);
    let mut tokens = Vec::new();
    let mut cur = Cursor {
        line: 1 + line_offset,
        column: 1,
    };
    let mut i = 0;
    while i < content.len() {
        let rest = &content[i..];
        let s = rest.find(start);
        let e = rest.find(end);
        if let Some(e) = e
            && s.is_none_or(|s| e < s)
        {
            cur.advance(&rest[..e + end.len()]);
            return Err(err(format!("{end} outside expression"), cur.pos()));
        }
        let Some(s) = s else {
            tokens.push(Token::Text(rest.to_owned()));
            break;
        };
        if s > 0 {
            tokens.push(Token::Text(rest[..s].to_owned()));
        }
        cur.advance(&rest[..s + start.len()]);
        let tag_pos = cur.pos();
        let inner = &rest[s + start.len()..];
        let e2 = inner.find(end);
        let s2 = inner.find(start);
        if let Some(s2) = s2
            && e2.is_none_or(|e2| s2 < e2)
        {
            cur.advance(&inner[..s2 + start.len()]);
            return Err(err(format!("{start} inside expression"), cur.pos()));
        }
        let Some(e2) = e2 else {
            return Err(err(format!("No {end} to finish last expression"), tag_pos));
        };
        tokens.push(Token::Tag(inner[..e2].to_owned(), tag_pos));
        cur.advance(&inner[..e2 + end.len()]);
        i += s + start.len() + e2 + end.len();
    }
    Ok(tokens)
}

/// Whether a tag is a directive that takes part in line trimming.
pub(crate) fn is_directive(tag: &str) -> bool {
    let t = tag.trim();
    [
        "if ", "elif ", "for ", "def ", "inherit ", "default ", "py:", "#",
    ]
    .iter()
    .any(|p| t.starts_with(p))
        || matches!(
            t,
            "else" | "else:" | "endif" | "endfor" | "enddef" | "continue" | "break"
        )
        || (t.starts_with("def") && t[3..].starts_with(|c: char| c.is_whitespace()))
}

fn ws_only(s: &str) -> bool {
    s.chars()
        .all(|c| c == ' ' || c == '\t' || c == '\n' || c == '\r')
}

/// Whether `s` ends with a newline followed only by spaces/tabs.
fn ends_line(s: &str) -> bool {
    s.trim_end_matches([' ', '\t']).ends_with('\n')
}

/// The length of a leading `[\t ]*\r?\n`, if `s` starts with one.
fn line_start_len(s: &str) -> Option<usize> {
    let t = s.trim_start_matches([' ', '\t']);
    let skipped = s.len() - t.len();
    if t.starts_with('\n') {
        Some(skipped + 1)
    } else if t.starts_with("\r\n") {
        Some(skipped + 2)
    } else {
        None
    }
}

/// Remove the lines that hold nothing but one directive (and spaces/tabs).
pub(crate) fn trim(tokens: &mut [Token]) {
    let mut last_trim: Option<usize> = None;
    for i in 0..tokens.len() {
        let Token::Tag(tag, _) = &tokens[i] else {
            continue;
        };
        if !is_directive(tag) {
            continue;
        }
        let prev = if i == 0 {
            Some("")
        } else {
            match &tokens[i - 1] {
                Token::Text(t) => Some(t.as_str()),
                Token::Tag(..) => None,
            }
        };
        let next = match tokens.get(i + 1) {
            None => Some(""),
            Some(Token::Text(t)) => Some(t.as_str()),
            Some(Token::Tag(..)) => None,
        };
        let (Some(prev), Some(next)) = (prev, next) else {
            continue;
        };
        let first = i <= 1;
        let last = i + 2 >= tokens.len();
        let stacked = i >= 2 && last_trim == Some(i - 2) && ws_only(prev);
        let prev_ok = prev.is_empty() || ends_line(prev) || (first && ws_only(prev)) || stacked;
        let next_ok = next.is_empty() || line_start_len(next).is_some() || (last && ws_only(next));
        if !(prev_ok && next_ok) {
            continue;
        }
        if !next.is_empty() {
            last_trim = Some(i);
        }
        if i > 0
            && let Token::Text(t) = &mut tokens[i - 1]
        {
            if (first && ws_only(t)) || stacked {
                t.clear();
            } else if !t.is_empty() {
                let keep = trail_cut(t);
                t.truncate(keep);
            }
        }
        if let Some(Token::Text(t)) = tokens.get_mut(i + 1) {
            match line_start_len(t) {
                Some(n) if !(last && ws_only(t)) => {
                    t.drain(..n);
                }
                _ => t.clear(),
            }
        }
    }
}

/// Where the text before a trimmed directive is cut: just after the newline
/// that starts its trailing `\n[\t ]*`. Like Tempita (whose regex `$` also
/// matches before a final newline), a blank line right before the directive
/// line goes too: `"a\n\n"` keeps `"a\n"`.
fn trail_cut(s: &str) -> usize {
    for (p, _) in s.match_indices('\n') {
        let rest = &s[p + 1..];
        let rest = rest
            .strip_prefix('\r')
            .unwrap_or(rest)
            .trim_start_matches([' ', '\t']);
        if rest.is_empty() || rest == "\n" || rest == "\r\n" {
            return p + 1;
        }
    }
    s.rfind('\n').map_or(0, |n| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str, line: usize, column: usize) -> Token {
        Token::Tag(s.to_owned(), Pos { line, column })
    }

    #[test]
    fn lex_positions_and_errors() {
        let toks = lex("hey {{you}}", "{{", "}}", 0).unwrap();
        assert_eq!(toks, vec![Token::Text("hey ".into()), tag("you", 1, 7)]);
        let e = lex("hey }}", "{{", "}}", 0).unwrap_err();
        assert_eq!(e.to_string(), "<string>:1:7: }} outside expression");
        let e = lex("hey {{ {{", "{{", "}}", 0).unwrap_err();
        assert_eq!(e.to_string(), "<string>:1:10: {{ inside expression");
        let e = lex("hey {{ xx", "{{", "}}", 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "<string>:1:7: No }} to finish last expression"
        );
    }

    fn render_trim(src: &str) -> String {
        let mut toks = lex(src, "{{", "}}", 0).unwrap();
        trim(&mut toks);
        toks.iter()
            .map(|t| match t {
                Token::Text(s) => s.clone(),
                Token::Tag(s, _) => format!("[{s}]"),
            })
            .collect()
    }

    #[test]
    fn trim_like_tempita() {
        assert_eq!(
            render_trim("a\n    {{if 1}}   \nb\n  {{endif}}\nc"),
            "a\n[if 1]b\n[endif]c"
        );
        assert_eq!(render_trim("\n{{py:x=1}}\nv={{x}}\n"), "[py:x=1]v=[x]\n");
        assert_eq!(render_trim("a\n{{if 1}}{{if 1}}\nb"), "a\n[if 1][if 1]\nb");
        assert_eq!(render_trim("x {{if 1}}\nb"), "x [if 1]\nb");
    }

    #[test]
    fn trim_lex_doctest() {
        assert_eq!(
            render_trim("{{if x}}\nx\n{{endif}}\ny"),
            "[if x]x\n[endif]y"
        );
    }

    #[test]
    fn trim_crlf_and_comments() {
        assert_eq!(
            render_trim("a\r\n{{if 1}}\r\nb\r\n{{endif}}\r\nc"),
            "a\r\n[if 1]b\r\n[endif]c"
        );
        assert_eq!(render_trim("a\n{{# hi}}\nb"), "a\n[# hi]b");
    }
}
