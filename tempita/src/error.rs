//! The one error type of the crate: what went wrong, and where.

use std::fmt;

/// What kind of error happened.
///
/// Runtime kinds are named after the Python exception a Tempita template would
/// raise in the same situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The template (or an expression in it) cannot be parsed.
    Syntax,
    /// A name is not defined (Python's `NameError`).
    Undefined,
    /// An operation was applied to a value of the wrong type (`TypeError`).
    Type,
    /// A value is of the right type but wrong (`ValueError`).
    Value,
    /// A key is missing from a dict (`KeyError`).
    Key,
    /// An index is out of range (`IndexError`).
    Index,
    /// An attribute is missing (`AttributeError`).
    Attribute,
    /// Division or modulo by zero (`ZeroDivisionError`).
    ZeroDivision,
    /// An integer result does not fit (`OverflowError`).
    Overflow,
    /// A template named by `inherit` or a loader cannot be found.
    TemplateNotFound,
    /// Reading a template file failed.
    Io,
    /// A context could not be built from a Rust value.
    Serialize,
    /// Any other error, for example one raised by a registered function.
    Other,
}

impl ErrorKind {
    /// The Python exception name this kind stands for, used as the message prefix.
    #[must_use]
    pub fn python_name(self) -> &'static str {
        match self {
            Self::Syntax => "SyntaxError",
            Self::Undefined => "NameError",
            Self::Type => "TypeError",
            Self::Value => "ValueError",
            Self::Key => "KeyError",
            Self::Index => "IndexError",
            Self::Attribute => "AttributeError",
            Self::ZeroDivision => "ZeroDivisionError",
            Self::Overflow => "OverflowError",
            Self::TemplateNotFound => "TemplateNotFound",
            Self::Io => "IOError",
            Self::Serialize => "SerializeError",
            Self::Other => "Error",
        }
    }
}

/// A parse or render error, with the template name, line and column.
///
/// `Display` prints `name:line:column: message` (`<string>` stands for an
/// unnamed template); the alternate form `{:#}` adds the source line and a
/// caret under the column.
///
/// ```
/// let err = tempita::Template::builder("a\n{{if x}}b").name("page.html").build().unwrap_err();
/// assert_eq!(err.to_string(), "page.html:2:3: No {{endif}}");
/// assert_eq!(err.line(), Some(2));
/// assert!(format!("{err:#}").contains("{{if x}}b\n  ^"));
/// ```
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    name: Option<String>,
    position: Option<(usize, usize)>,
    snippet: Option<String>,
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// A new error of `kind` with `message` and no position yet.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            name: None,
            position: None,
            snippet: None,
            source: None,
        }
    }

    /// Keep `source` as the cause (see [`std::error::Error::source`]).
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(source));
        self
    }

    /// The kind of error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without position (for runtime errors prefixed with the
    /// Python exception name, as in `NameError: name 'x' is not defined`).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The template name, if the template has one.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The 1-based line, if known.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        self.position.map(|p| p.0)
    }

    /// The 1-based column (in characters), if known.
    #[must_use]
    pub fn column(&self) -> Option<usize> {
        self.position.map(|p| p.1)
    }

    /// The source line the error points at, with a caret line under it.
    #[must_use]
    pub fn snippet(&self) -> Option<&str> {
        self.snippet.as_deref()
    }

    /// Attach a position (and a snippet from `source`) unless one is set already.
    pub(crate) fn at(mut self, pos: Pos, name: Option<&str>, source: &str) -> Self {
        if self.position.is_none() {
            self.position = Some((pos.line, pos.column));
            self.snippet = make_snippet(source, pos);
        }
        if self.name.is_none() {
            self.name = name.map(str::to_owned);
        }
        self
    }

    pub(crate) fn with_name(mut self, name: Option<&str>) -> Self {
        if self.name.is_none() {
            self.name = name.map(str::to_owned);
        }
        self
    }
}

fn make_snippet(source: &str, pos: Pos) -> Option<String> {
    let line = source.split('\n').nth(pos.line.checked_sub(1)?)?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    let caret: String = line
        .chars()
        .take(pos.column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    Some(format!("{line}\n{caret}^"))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => {
                write!(
                    f,
                    "{}:{line}:{column}: ",
                    self.name.as_deref().unwrap_or("<string>")
                )?;
            }
            None => {
                if let Some(name) = &self.name {
                    write!(f, "{name}: ")?;
                }
            }
        }
        f.write_str(&self.message)?;
        if f.alternate()
            && let Some(snippet) = &self.snippet
        {
            write!(f, "\n{snippet}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A position in a template: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// Shorthand for a runtime error whose message starts with the Python name.
pub(crate) fn rt(kind: ErrorKind, msg: impl fmt::Display) -> Error {
    Error::new(kind, format!("{}: {msg}", kind.python_name()))
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
