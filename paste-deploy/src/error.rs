//! The crate's one error type: what went wrong, and where (file, line,
//! section).

use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of mistake an [`Error`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// A line is not INI: no section header yet, no `=`/`:`, a bad header.
    Syntax,
    /// A section or a key given twice.
    Duplicate,
    /// `%(name)s` interpolation failed: a missing name, a loop, a bare `%`.
    Interpolation,
    /// No section of the kind asked for has that name.
    MissingSection,
    /// Sections of two kinds answer to the name (`[app:main]` and
    /// `[composite:main]`).
    AmbiguousSection,
    /// A URI with no scheme, or a scheme other than `config`, `egg`, `call`.
    BadUri,
    /// No factory of that name is registered.
    UnknownFactory,
    /// A section says neither `use` nor which factory builds it.
    NoLoader,
    /// A `[pipeline:]` or `[filter-app:]` section is malformed.
    BadSection,
    /// A `use`, `config:`, `next`, `filter-with` or pipeline chain comes
    /// back to where it started.
    Cycle,
    /// A value is not what a typed getter wanted (`port = eighty`).
    BadValue,
    /// A `get` names a global that does not exist, or a factory needs a
    /// key that is missing.
    MissingValue,
    /// A factory failed for its own reasons.
    Factory,
}

/// Where in a config file something is.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Location {
    /// The file, when the config came from one.
    pub file: Option<PathBuf>,
    /// The line, 1-based.
    pub line: Option<usize>,
    /// The section, as written between the brackets (`app:main`).
    pub section: Option<String>,
}

impl Location {
    /// A location in `file`.
    pub fn file(file: Option<&Path>) -> Self {
        Self {
            file: file.map(Path::to_path_buf),
            line: None,
            section: None,
        }
    }

    /// This location at `line`.
    #[must_use]
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    /// This location in `section`.
    #[must_use]
    pub fn in_section(mut self, section: impl Into<String>) -> Self {
        self.section = Some(section.into());
        self
    }
}

impl fmt::Display for Location {
    /// `file.ini:12 [app:main]`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            wrote = true;
        }
        if let Some(line) = self.line {
            if wrote {
                write!(f, ":{line}")?;
            } else {
                write!(f, "line {line}")?;
            }
            wrote = true;
        }
        if let Some(section) = &self.section {
            if wrote {
                f.write_str(" ")?;
            }
            write!(f, "[{section}]")?;
        }
        Ok(())
    }
}

/// An error of paste-deploy: its [`ErrorKind`], a message that says what
/// was wrong (and, where it helps, what was available), and the
/// [`Location`] it is about.
///
/// ```
/// use paste_deploy::ini::IniFile;
///
/// let err = IniFile::parse("[app:main]\nuse\n", None).unwrap_err();
/// assert_eq!(err.to_string(), "line 2 [app:main]: expected `key = value`, found \"use\"");
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    location: Location,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error of `kind` saying `message`, with no location yet.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                location: Location::default(),
                source: None,
            }),
        }
    }

    /// A factory's own failure (`ErrorKind::Factory`).
    pub fn factory(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Factory, message)
    }

    /// Sets where the error is; parts already known are kept.
    #[must_use]
    pub fn at(mut self, location: Location) -> Self {
        let known = &mut self.inner.location;
        if known.file.is_none() {
            known.file = location.file;
        }
        if known.line.is_none() {
            known.line = location.line;
        }
        if known.section.is_none() {
            known.section = location.section;
        }
        self
    }

    /// Keeps `source` as the cause.
    #[must_use]
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// The kind of mistake.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// What was wrong, without the location.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Where.
    pub fn location(&self) -> &Location {
        &self.inner.location
    }
}

impl fmt::Display for Error {
    /// `file.ini:12 [app:main]: message`; `{:#}` adds the source chain.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.inner.location.to_string();
        if location.is_empty() {
            f.write_str(&self.inner.message)?;
        } else {
            write!(f, "{location}: {}", self.inner.message)?;
        }
        if f.alternate() {
            let mut next = self
                .inner
                .source
                .as_deref()
                .map(|s| s as &(dyn std::error::Error + 'static));
            while let Some(err) = next {
                write!(f, ": {err}")?;
                next = err.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("location", &self.inner.location)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
