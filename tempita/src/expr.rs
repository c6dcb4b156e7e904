//! The Python expression subset: tokenizer, AST and parser.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(Arc<str>),
    Int(i64),
    Float(f64),
    Str(String),
    Op(&'static str),
    Newline,
    End,
}

const OPS: &[&str] = &[
    "**=", "//=", ">>=", "<<=", "**", "//", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=",
    "->", "<<", ">>", "(", ")", "[", "]", "{", "}", ",", ":", ".", "+", "-", "*", "/", "%", "<",
    ">", "=", "|", "&", "^", "~", ";", "@",
];

fn syntax(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Syntax, msg)
}

/// Split Python source into tokens; newlines inside brackets are dropped.
/// Also returns the 0-based line of each token.
/// With `statements`, a logical line may not start indented.
fn tokenize(src: &str, statements: bool) -> Result<(Vec<Tok>, Vec<usize>)> {
    let mut toks = Vec::new();
    let mut lines = Vec::new();
    let (mut line, mut start_line) = (0, 0);
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut depth = 0usize;
    while i < chars.len() {
        lines.resize(toks.len(), start_line);
        start_line = line;
        let c = chars[i];
        if c == '\\' && chars.get(i + 1) == Some(&'\n') {
            i += 2;
            line += 1;
            continue;
        }
        if c == '\n' {
            line += 1;
            if depth == 0 && !matches!(toks.last(), None | Some(Tok::Newline)) {
                toks.push(Tok::Newline);
            }
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            let line_start = i == 0 || chars[i - 1] == '\n';
            if statements && line_start && depth == 0 {
                let rest = chars[i..].iter().find(|c| **c != ' ' && **c != '\t');
                if !matches!(rest, None | Some('\n' | '#' | '\r')) {
                    return Err(syntax("IndentationError: unexpected indent"));
                }
            }
            i += 1;
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        // String literals, with optional prefixes.
        let mut j = i;
        while j < chars.len() && j - i < 2 && "rRbBuU".contains(chars[j]) {
            j += 1;
        }
        if j < chars.len() && (chars[j] == '\'' || chars[j] == '"') && (j == i || c.is_alphabetic())
        {
            let raw = chars[i..j].iter().any(|c| *c == 'r' || *c == 'R');
            let (s, end) = lex_string(&chars, j, raw)?;
            line += chars[j..end].iter().filter(|c| **c == '\n').count();
            if let Some(Tok::Str(prev)) = toks.last_mut() {
                prev.push_str(&s);
            } else {
                toks.push(Tok::Str(s));
            }
            i = end;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            toks.push(Tok::Name(chars[start..i].iter().collect::<String>().into()));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let (tok, end) = lex_number(&chars, i)?;
            toks.push(tok);
            i = end;
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
        let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
            return Err(syntax(format!("invalid character '{c}'")));
        };
        match *op {
            "(" | "[" | "{" => {
                depth += 1;
                if depth > 32 {
                    return Err(syntax("expression nested too deeply"));
                }
            }
            ")" | "]" | "}" => depth = depth.saturating_sub(1),
            _ => {}
        }
        toks.push(Tok::Op(op));
        i += op.chars().count();
    }
    lines.resize(toks.len(), start_line);
    toks.push(Tok::End);
    lines.push(line);
    Ok((toks, lines))
}

fn lex_string(chars: &[char], start: usize, raw: bool) -> Result<(String, usize)> {
    let q = chars[start];
    let triple = chars.get(start + 1) == Some(&q) && chars.get(start + 2) == Some(&q);
    let mut i = start + if triple { 3 } else { 1 };
    let mut out = String::new();
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(syntax("unterminated string literal"));
        };
        if c == q {
            if !triple {
                return Ok((out, i + 1));
            }
            if chars.get(i + 1) == Some(&q) && chars.get(i + 2) == Some(&q) {
                return Ok((out, i + 3));
            }
        }
        if c == '\n' && !triple {
            return Err(syntax("unterminated string literal"));
        }
        if c == '\\' {
            let Some(&n) = chars.get(i + 1) else {
                return Err(syntax("unterminated string literal"));
            };
            if raw {
                out.push('\\');
                out.push(n);
                i += 2;
                continue;
            }
            i += 2;
            match n {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'v' => out.push('\x0b'),
                '\\' | '\'' | '"' => out.push(n),
                '\n' => {}
                'x' | 'u' | 'U' => {
                    let len = match n {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = chars.get(i..i + len).unwrap_or_default().iter().collect();
                    let ch = u32::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|_| hex.len() == len)
                        .and_then(char::from_u32)
                        .ok_or_else(|| syntax(format!("invalid \\{n} escape")))?;
                    out.push(ch);
                    i += len;
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
}

fn lex_number(chars: &[char], start: usize) -> Result<(Tok, usize)> {
    let mut i = start;
    if chars[i] == '0' && chars.get(i + 1).is_some_and(|c| "xXoObB".contains(*c)) {
        let radix = match chars[i + 1].to_ascii_lowercase() {
            'x' => 16,
            'o' => 8,
            _ => 2,
        };
        i += 2;
        let s = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let text: String = chars[s..i].iter().filter(|c| **c != '_').collect();
        let v = i64::from_str_radix(&text, radix).map_err(|_| syntax("invalid number literal"))?;
        return Ok((Tok::Int(v), i));
    }
    let mut is_float = false;
    while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '_') {
        i += 1;
    }
    if chars.get(i) == Some(&'.') {
        is_float = true;
        i += 1;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '_') {
            i += 1;
        }
    }
    if chars.get(i).is_some_and(|c| *c == 'e' || *c == 'E') {
        let mut j = i + 1;
        if chars.get(j).is_some_and(|c| *c == '+' || *c == '-') {
            j += 1;
        }
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            is_float = true;
            i = j;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    if chars
        .get(i)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        return Err(syntax("invalid number literal"));
    }
    let text: String = chars[start..i].iter().filter(|c| **c != '_').collect();
    let tok = if is_float {
        Tok::Float(text.parse().map_err(|_| syntax("invalid number literal"))?)
    } else {
        match text.parse() {
            Ok(v) => Tok::Int(v),
            Err(_) => Tok::Float(text.parse().map_err(|_| syntax("invalid number literal"))?),
        }
    };
    Ok((tok, i))
}

/// An expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Const(Value),
    Name(Arc<str>),
    List(Vec<Self>),
    Tuple(Vec<Self>),
    Dict(Vec<(Self, Self)>),
    Attr(Box<Self>, Arc<str>),
    Index(Box<Self>, Box<Self>),
    Slice(Box<Self>, [Option<Box<Self>>; 3]),
    Call(Box<Self>, Vec<Arg>),
    Neg(Box<Self>),
    Pos(Box<Self>),
    Not(Box<Self>),
    Bin(BinOp, Box<Self>, Box<Self>),
    Compare(Box<Self>, Vec<(CmpOp, Self)>),
    And(Box<Self>, Box<Self>),
    Or(Box<Self>, Box<Self>),
    IfElse(Box<Self>, Box<Self>, Box<Self>),
    ListComp(Box<Self>, Vec<CompFor>),
    Lambda(Arc<LambdaDef>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Is,
    IsNot,
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Pos(Expr),
    Kw(Arc<str>, Expr),
    Star(Expr),
    StarStar(Expr),
}

#[derive(Debug, Clone)]
pub(crate) struct CompFor {
    pub(crate) target: Target,
    pub(crate) iter: Expr,
    pub(crate) conds: Vec<Expr>,
}

/// An assignment or loop target: a name, or nested tuples of names.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Name(Arc<str>),
    Tuple(Vec<Self>),
}

/// A parameter list (of a `{{def}}`, a lambda or a `py:` def).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pub(crate) names: Vec<(Arc<str>, Option<Expr>)>,
    pub(crate) varargs: Option<Arc<str>>,
    pub(crate) varkw: Option<Arc<str>>,
}

#[derive(Debug)]
pub(crate) struct LambdaDef {
    pub(crate) name: Arc<str>,
    pub(crate) params: Params,
    pub(crate) body: Expr,
}

/// A statement of a `py:` block.
#[derive(Debug, Clone)]
pub(crate) enum Stmt {
    Assign(Vec<AssignTarget>, Expr),
    AugAssign(Arc<str>, BinOp, Expr),
    Expr(Expr),
    Pass,
}

#[derive(Debug, Clone)]
pub(crate) enum AssignTarget {
    Target(Target),
    Item(Expr, Expr),
}

struct Parser {
    toks: Vec<Tok>,
    lines: Vec<usize>,
    i: usize,
}

impl Parser {
    fn new(src: &str) -> Result<Self> {
        Self::with_mode(src, false)
    }

    fn with_mode(src: &str, statements: bool) -> Result<Self> {
        let (toks, lines) = tokenize(src, statements)?;
        Ok(Self { toks, lines, i: 0 })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn peek2(&self) -> &Tok {
        &self.toks[(self.i + 1).min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        self.i += 1;
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Name(n) if &**n == kw)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("expected '{op}'")))
        }
    }

    fn unexpected(&self, what: &str) -> Error {
        let found = match self.peek() {
            Tok::Name(n) => format!("'{n}'"),
            Tok::Int(i) => format!("'{i}'"),
            Tok::Float(f) => format!("'{f}'"),
            Tok::Str(_) => "a string".to_owned(),
            Tok::Op(o) => format!("'{o}'"),
            Tok::Newline => "a new line".to_owned(),
            Tok::End => "the end".to_owned(),
        };
        syntax(format!("invalid syntax: {what}, found {found}"))
    }

    fn expect_end(&self) -> Result<()> {
        if matches!(self.peek(), Tok::End) {
            Ok(())
        } else {
            Err(self.unexpected("expected the end"))
        }
    }

    fn name(&mut self) -> Result<Arc<str>> {
        match self.peek() {
            Tok::Name(n) if !is_keyword(n) => {
                let n = n.clone();
                self.i += 1;
                Ok(n)
            }
            _ => Err(self.unexpected("expected a name")),
        }
    }

    /// `test (',' test)* [',']` — a tuple when there is a comma.
    fn exprlist(&mut self) -> Result<Expr> {
        let first = self.test()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.at_expr_end() {
                break;
            }
            items.push(self.test()?);
        }
        Ok(Expr::Tuple(items))
    }

    fn at_expr_end(&self) -> bool {
        matches!(self.peek(), Tok::End | Tok::Newline)
            || matches!(self.peek(), Tok::Op(o) if matches!(*o, ")" | "]" | "}" | "=" | "|" | ";" | ":"))
    }

    fn test(&mut self) -> Result<Expr> {
        if self.eat_kw("lambda") {
            let params = self.params(":")?;
            self.expect_op(":")?;
            let body = self.test()?;
            return Ok(Expr::Lambda(Arc::new(LambdaDef {
                name: "<lambda>".into(),
                params,
                body,
            })));
        }
        let e = self.or_test()?;
        if self.eat_kw("if") {
            let cond = self.or_test()?;
            if !self.eat_kw("else") {
                return Err(self.unexpected("expected 'else'"));
            }
            let other = self.test()?;
            return Ok(Expr::IfElse(Box::new(cond), Box::new(e), Box::new(other)));
        }
        Ok(e)
    }

    fn or_test(&mut self) -> Result<Expr> {
        let mut e = self.and_test()?;
        while self.eat_kw("or") {
            e = Expr::Or(Box::new(e), Box::new(self.and_test()?));
        }
        Ok(e)
    }

    fn and_test(&mut self) -> Result<Expr> {
        let mut e = self.not_test()?;
        while self.eat_kw("and") {
            e = Expr::And(Box::new(e), Box::new(self.not_test()?));
        }
        Ok(e)
    }

    fn not_test(&mut self) -> Result<Expr> {
        if self.eat_kw("not") {
            return Ok(Expr::Not(Box::new(self.not_test()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr> {
        let first = self.arith()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::Op("==") => CmpOp::Eq,
                Tok::Op("!=") => CmpOp::Ne,
                Tok::Op("<") => CmpOp::Lt,
                Tok::Op("<=") => CmpOp::Le,
                Tok::Op(">") => CmpOp::Gt,
                Tok::Op(">=") => CmpOp::Ge,
                Tok::Name(n) if &**n == "in" => CmpOp::In,
                Tok::Name(n) if &**n == "is" => {
                    if matches!(self.peek2(), Tok::Name(m) if &**m == "not") {
                        self.i += 1;
                        CmpOp::IsNot
                    } else {
                        CmpOp::Is
                    }
                }
                Tok::Name(n)
                    if &**n == "not" && matches!(self.peek2(), Tok::Name(m) if &**m == "in") =>
                {
                    self.i += 1;
                    CmpOp::NotIn
                }
                _ => break,
            };
            self.i += 1;
            rest.push((op, self.arith()?));
        }
        if rest.is_empty() {
            Ok(first)
        } else {
            Ok(Expr::Compare(Box::new(first), rest))
        }
    }

    fn arith(&mut self) -> Result<Expr> {
        let mut e = self.term()?;
        loop {
            let op = if self.eat_op("+") {
                BinOp::Add
            } else if self.eat_op("-") {
                BinOp::Sub
            } else {
                return Ok(e);
            };
            e = Expr::Bin(op, Box::new(e), Box::new(self.term()?));
        }
    }

    fn term(&mut self) -> Result<Expr> {
        let mut e = self.factor()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => BinOp::Mul,
                Tok::Op("/") => BinOp::Div,
                Tok::Op("//") => BinOp::FloorDiv,
                Tok::Op("%") => BinOp::Mod,
                _ => return Ok(e),
            };
            self.i += 1;
            e = Expr::Bin(op, Box::new(e), Box::new(self.factor()?));
        }
    }

    fn factor(&mut self) -> Result<Expr> {
        if self.eat_op("-") {
            return Ok(match self.factor()? {
                Expr::Const(v)
                    if v.as_number().is_some() && !matches!(v.0, crate::value::Repr::Bool(_)) =>
                {
                    match v.0 {
                        crate::value::Repr::Int(i) if i != i64::MIN => Expr::Const((-i).into()),
                        crate::value::Repr::Float(f) => Expr::Const((-f).into()),
                        _ => Expr::Neg(Box::new(Expr::Const(v))),
                    }
                }
                e => Expr::Neg(Box::new(e)),
            });
        }
        if self.eat_op("+") {
            return Ok(Expr::Pos(Box::new(self.factor()?)));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr> {
        let base = self.primary()?;
        if self.eat_op("**") {
            return Ok(Expr::Bin(
                BinOp::Pow,
                Box::new(base),
                Box::new(self.factor()?),
            ));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Expr> {
        let mut e = self.atom()?;
        loop {
            if self.eat_op(".") {
                let n = self.name()?;
                e = Expr::Attr(Box::new(e), n);
            } else if self.eat_op("(") {
                e = Expr::Call(Box::new(e), self.call_args()?);
            } else if self.eat_op("[") {
                e = self.subscript(e)?;
            } else {
                return Ok(e);
            }
        }
    }

    fn subscript(&mut self, target: Expr) -> Result<Expr> {
        let mut parts: [Option<Box<Expr>>; 3] = [None, None, None];
        let mut idx = 0;
        let mut is_slice = false;
        loop {
            if self.eat_op("]") {
                break;
            }
            if self.eat_op(":") {
                is_slice = true;
                idx += 1;
                if idx > 2 {
                    return Err(self.unexpected("expected ']'"));
                }
                continue;
            }
            if parts[idx].is_some() {
                return Err(self.unexpected("expected ']'"));
            }
            parts[idx] = Some(Box::new(if is_slice {
                self.test()?
            } else {
                self.exprlist()?
            }));
        }
        if is_slice {
            Ok(Expr::Slice(Box::new(target), parts))
        } else {
            let [Some(index), None, None] = parts else {
                return Err(syntax("invalid syntax: empty subscript"));
            };
            Ok(Expr::Index(Box::new(target), index))
        }
    }

    fn call_args(&mut self) -> Result<Vec<Arg>> {
        let mut args = Vec::new();
        while !self.eat_op(")") {
            if self.eat_op("**") {
                args.push(Arg::StarStar(self.test()?));
            } else if self.eat_op("*") {
                args.push(Arg::Star(self.test()?));
            } else if matches!(self.peek(), Tok::Name(_)) && matches!(self.peek2(), Tok::Op("=")) {
                let n = self.name()?;
                self.i += 1;
                args.push(Arg::Kw(n, self.test()?));
            } else {
                let e = self.test()?;
                if self.is_kw("for") {
                    let fors = self.comp_fors()?;
                    args.push(Arg::Pos(Expr::ListComp(Box::new(e), fors)));
                } else {
                    args.push(Arg::Pos(e));
                }
            }
            if !self.eat_op(",") {
                self.expect_op(")")?;
                break;
            }
        }
        Ok(args)
    }

    fn comp_fors(&mut self) -> Result<Vec<CompFor>> {
        let mut fors = Vec::new();
        while self.eat_kw("for") {
            let target = self.target_list()?;
            if !self.eat_kw("in") {
                return Err(self.unexpected("expected 'in'"));
            }
            let iter = self.or_test()?;
            let mut conds = Vec::new();
            while self.eat_kw("if") {
                conds.push(self.or_test()?);
            }
            fors.push(CompFor {
                target,
                iter,
                conds,
            });
        }
        Ok(fors)
    }

    fn target_list(&mut self) -> Result<Target> {
        let first = self.target()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.is_kw("in") || self.is_op("=") || matches!(self.peek(), Tok::End) {
                break;
            }
            items.push(self.target()?);
        }
        Ok(Target::Tuple(items))
    }

    fn target(&mut self) -> Result<Target> {
        if self.eat_op("(") || self.eat_op("[") {
            let close = if matches!(self.toks[self.i - 1], Tok::Op("(")) {
                ")"
            } else {
                "]"
            };
            let t = self.target_list()?;
            self.expect_op(close)?;
            return Ok(match t {
                Target::Name(_) => t,
                Target::Tuple(v) => Target::Tuple(v),
            });
        }
        Ok(Target::Name(self.name()?))
    }

    fn atom(&mut self) -> Result<Expr> {
        match self.bump() {
            Tok::Int(i) => Ok(Expr::Const(i.into())),
            Tok::Float(f) => Ok(Expr::Const(f.into())),
            Tok::Str(s) => Ok(Expr::Const(s.into())),
            Tok::Name(n) => match &*n {
                "None" => Ok(Expr::Const(Value::NONE)),
                "True" => Ok(Expr::Const(true.into())),
                "False" => Ok(Expr::Const(false.into())),
                k if is_keyword(k) => {
                    self.i -= 1;
                    Err(self.unexpected("expected an expression"))
                }
                _ => Ok(Expr::Name(n)),
            },
            Tok::Op("(") => {
                if self.eat_op(")") {
                    return Ok(Expr::Tuple(Vec::new()));
                }
                let first = self.test()?;
                if self.is_kw("for") {
                    let fors = self.comp_fors()?;
                    self.expect_op(")")?;
                    return Ok(Expr::ListComp(Box::new(first), fors));
                }
                if self.eat_op(")") {
                    return Ok(first);
                }
                let mut items = vec![first];
                while self.eat_op(",") {
                    if self.is_op(")") {
                        break;
                    }
                    items.push(self.test()?);
                }
                self.expect_op(")")?;
                Ok(Expr::Tuple(items))
            }
            Tok::Op("[") => {
                if self.eat_op("]") {
                    return Ok(Expr::List(Vec::new()));
                }
                let first = self.test()?;
                if self.is_kw("for") {
                    let fors = self.comp_fors()?;
                    self.expect_op("]")?;
                    return Ok(Expr::ListComp(Box::new(first), fors));
                }
                let mut items = vec![first];
                while self.eat_op(",") {
                    if self.is_op("]") {
                        break;
                    }
                    items.push(self.test()?);
                }
                self.expect_op("]")?;
                Ok(Expr::List(items))
            }
            Tok::Op("{") => {
                let mut pairs = Vec::new();
                while !self.eat_op("}") {
                    let k = self.test()?;
                    self.expect_op(":")?;
                    let v = self.test()?;
                    pairs.push((k, v));
                    if !self.eat_op(",") {
                        self.expect_op("}")?;
                        break;
                    }
                }
                Ok(Expr::Dict(pairs))
            }
            _ => {
                self.i -= 1;
                Err(self.unexpected("expected an expression"))
            }
        }
    }

    /// Parameters up to (not including) `end`: `a, b=1, *args, **kw`.
    fn params(&mut self, end: &str) -> Result<Params> {
        let mut p = Params::default();
        while !self.is_op(end) {
            if self.eat_op("**") {
                p.varkw = Some(self.name()?);
            } else if self.eat_op("*") {
                p.varargs = Some(self.name()?);
            } else {
                let n = self.name()?;
                if p.names.iter().any(|(m, _)| *m == n) {
                    return Err(syntax(format!(
                        "duplicate argument '{n}' in function definition"
                    )));
                }
                let default = if self.eat_op("=") {
                    Some(self.test()?)
                } else {
                    None
                };
                if default.is_none() && p.names.last().is_some_and(|(_, d)| d.is_some()) {
                    return Err(syntax("non-default argument follows default argument"));
                }
                p.names.push((n, default));
            }
            if !self.eat_op(",") {
                break;
            }
        }
        Ok(p)
    }

    fn statement(&mut self) -> Result<Stmt> {
        if self.eat_kw("pass") {
            return Ok(Stmt::Pass);
        }
        if self.eat_kw("def") {
            let name = self.name()?;
            self.expect_op("(")?;
            let params = self.params(")")?;
            self.expect_op(")")?;
            self.expect_op(":")?;
            if !self.eat_kw("return") {
                return Err(self.unexpected(
                    "only 'def name(args): return expr' is supported; expected 'return'",
                ));
            }
            let body = self.test()?;
            let lambda = LambdaDef {
                name: name.clone(),
                params,
                body,
            };
            return Ok(Stmt::Assign(
                vec![AssignTarget::Target(Target::Name(name))],
                Expr::Lambda(Arc::new(lambda)),
            ));
        }
        if let Tok::Name(n) = self.peek()
            && matches!(
                &**n,
                "import"
                    | "from"
                    | "if"
                    | "for"
                    | "while"
                    | "class"
                    | "with"
                    | "try"
                    | "return"
                    | "global"
                    | "del"
                    | "raise"
            )
        {
            return Err(syntax(format!(
                "'{n}' statements are not supported in py: blocks"
            )));
        }
        let first = self.exprlist()?;
        let aug = match self.peek() {
            Tok::Op("+=") => Some(BinOp::Add),
            Tok::Op("-=") => Some(BinOp::Sub),
            Tok::Op("*=") => Some(BinOp::Mul),
            Tok::Op("/=") => Some(BinOp::Div),
            Tok::Op("//=") => Some(BinOp::FloorDiv),
            Tok::Op("%=") => Some(BinOp::Mod),
            Tok::Op("**=") => Some(BinOp::Pow),
            _ => None,
        };
        if let Some(op) = aug {
            self.i += 1;
            let Expr::Name(n) = first else {
                return Err(syntax(
                    "augmented assignment needs a plain name on the left",
                ));
            };
            return Ok(Stmt::AugAssign(n, op, self.exprlist()?));
        }
        if !self.is_op("=") {
            return Ok(Stmt::Expr(first));
        }
        let mut targets = vec![first];
        while self.eat_op("=") {
            targets.push(self.exprlist()?);
        }
        let value = targets.pop().unwrap_or(Expr::Const(Value::NONE));
        let targets = targets
            .into_iter()
            .map(to_assign_target)
            .collect::<Result<_>>()?;
        Ok(Stmt::Assign(targets, value))
    }
}

fn to_target(e: Expr) -> Result<Target> {
    match e {
        Expr::Name(n) => Ok(Target::Name(n)),
        Expr::Tuple(items) | Expr::List(items) => Ok(Target::Tuple(
            items.into_iter().map(to_target).collect::<Result<_>>()?,
        )),
        _ => Err(syntax("cannot assign to expression")),
    }
}

fn to_assign_target(e: Expr) -> Result<AssignTarget> {
    match e {
        Expr::Index(obj, key) => Ok(AssignTarget::Item(*obj, *key)),
        e => to_target(e).map(AssignTarget::Target),
    }
}

fn is_keyword(n: &str) -> bool {
    matches!(
        n,
        "and"
            | "or"
            | "not"
            | "in"
            | "is"
            | "if"
            | "else"
            | "for"
            | "lambda"
            | "def"
            | "return"
            | "pass"
            | "import"
            | "from"
            | "while"
            | "class"
            | "del"
            | "global"
            | "yield"
    )
}

/// Parse one expression (the whole text).
pub(crate) fn parse_expr(src: &str) -> Result<Expr> {
    let mut p = Parser::new(src)?;
    if matches!(p.peek(), Tok::End) {
        return Err(syntax("invalid syntax: empty expression"));
    }
    let e = p.exprlist()?;
    p.expect_end()?;
    Ok(e)
}

/// Parse `expr | filter | filter` (a `|` inside a string is not a pipe).
pub(crate) fn parse_piped(src: &str) -> Result<(Expr, Vec<Expr>)> {
    let mut p = Parser::new(src)?;
    if matches!(p.peek(), Tok::End) {
        return Err(syntax("invalid syntax: empty expression"));
    }
    let e = p.exprlist()?;
    let mut filters = Vec::new();
    while p.eat_op("|") {
        filters.push(p.test()?);
    }
    p.expect_end()?;
    Ok((e, filters))
}

/// Parse `targets in expr` of a `{{for}}`.
pub(crate) fn parse_for(src: &str) -> Result<(Target, Expr)> {
    let mut p = Parser::new(src)?;
    let target = p.target_list()?;
    if !p.eat_kw("in") {
        return Err(syntax(format!("Bad for (no \"in\") in '{src}'")));
    }
    let e = p.exprlist()?;
    p.expect_end()?;
    Ok((target, e))
}

/// Parse a `{{def}}` signature: `name` or `name(params)`.
pub(crate) fn parse_signature(src: &str) -> Result<(Arc<str>, Params)> {
    let mut p = Parser::new(src)?;
    let name = p.name()?;
    if matches!(p.peek(), Tok::End) {
        return Ok((name, Params::default()));
    }
    p.expect_op("(")?;
    let params = p.params(")")?;
    if !p.eat_op(")") {
        return Err(syntax(format!(
            "Function definition doesn't end with ): {src}"
        )));
    }
    p.expect_end()?;
    Ok((name, params))
}

/// Parse the statements of a `py:` block, each with its 0-based line.
pub(crate) fn parse_stmts(src: &str) -> Result<Vec<(usize, Stmt)>> {
    let mut p = Parser::with_mode(src, true)?;
    let mut stmts = Vec::new();
    loop {
        while p.eat_op(";") || matches!(p.peek(), Tok::Newline) {
            if matches!(p.peek(), Tok::Newline) {
                p.i += 1;
            }
        }
        if matches!(p.peek(), Tok::End) {
            return Ok(stmts);
        }
        let line = p.lines.get(p.i).copied().unwrap_or(0);
        stmts.push((line, p.statement()?));
        if !(p.is_op(";") || matches!(p.peek(), Tok::Newline | Tok::End)) {
            return Err(p.unexpected("expected the end of the statement"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_outside_strings_only() {
        let (_, f) = parse_piped("'a|b' | upper").unwrap();
        assert_eq!(f.len(), 1);
        let (_, f) = parse_piped("x").unwrap();
        assert!(f.is_empty());
    }

    #[test]
    fn bad_syntax_is_an_error() {
        assert!(parse_expr("1 +").is_err());
        assert!(parse_expr("'abc").is_err());
        assert!(parse_expr("a b").is_err());
        assert!(parse_expr("").is_err());
        assert!(parse_expr("x[]").is_err());
        assert!(parse_stmts("import os").is_err());
        assert!(parse_stmts("  x = 1").is_err());
    }

    #[test]
    fn number_literals() {
        for (src, want) in [("0x1f", 31i64), ("1_000", 1000), ("0o17", 15), ("0b101", 5)] {
            let Expr::Const(v) = parse_expr(src).unwrap() else {
                panic!()
            };
            assert_eq!(v.as_i64(), Some(want));
        }
    }
}
