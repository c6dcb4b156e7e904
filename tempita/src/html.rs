//! HTML helpers: escaping, `url`, `attr`.

use std::fmt::Write as _;

use crate::value::{Kwargs, Repr, Value};

/// Escape `& < > " '` into `out`.
pub(crate) fn escape_into(s: &str, out: &mut String) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// HTML-escape the text of a value: `None` is empty; with `force == false`,
/// HTML-safe values (`html()` and objects with `__html__`) pass unchanged.
///
/// ```
/// use tempita::{Value, html_quote};
/// assert_eq!(html_quote(&Value::from("<a href='x'>&</a>"), true), "&lt;a href=&#x27;x&#x27;&gt;&amp;&lt;/a&gt;");
/// assert_eq!(html_quote(&Value::NONE, true), "");
/// assert_eq!(html_quote(&Value::safe("<b>"), false), "<b>");
/// ```
#[must_use]
pub fn html_quote(value: &Value, force: bool) -> String {
    match &value.0 {
        Repr::None => String::new(),
        Repr::Markup(s) if !force => s.to_string(),
        Repr::Object(o) if !force && o.html().is_some() => o.html().unwrap_or_default(),
        Repr::Str(s) | Repr::Markup(s) => {
            let mut out = String::with_capacity(s.len());
            escape_into(s, &mut out);
            out
        }
        _ => {
            let mut out = String::new();
            escape_into(&value.to_string(), &mut out);
            out
        }
    }
}

/// Percent-encode text for a URL (UTF-8; letters, digits, `_.-~` and `/` stay).
///
/// ```
/// assert_eq!(tempita::url("a b/c?d=é&"), "a%20b/c%3Fd%3D%C3%A9%26");
/// ```
#[must_use]
pub fn url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `attr(**kw)`: sorted `name="value"` pairs, `None` dropped, one trailing
/// `_` removed from names (`class_` → `class`), as HTML-safe text.
pub(crate) fn attr(kw: &Kwargs) -> Value {
    let mut pairs: Vec<(&str, &Value)> = kw.iter().filter(|(_, v)| !v.is_none()).collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (name, v) in pairs {
        if !out.is_empty() {
            out.push(' ');
        }
        let name = name.strip_suffix('_').unwrap_or(name);
        escape_into(name, &mut out);
        out.push_str("=\"");
        out.push_str(&html_quote(v, true));
        out.push('"');
    }
    Value::safe(out)
}

/// Build the attributes string of `attr(...)` from Rust.
///
/// ```
/// use tempita::{Value, attr};
/// let a = attr([("b", Value::from(1)), ("a", "x&y".into()), ("c", Value::NONE), ("class_", "q".into())]);
/// assert_eq!(a.to_string(), r#"a="x&amp;y" b="1" class="q""#);
/// ```
pub fn attr_from<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    attr(&Kwargs(
        pairs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    ))
}
