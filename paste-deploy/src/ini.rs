//! The INI reader and writer, with the rules of Python's `ConfigParser` as
//! PasteDeploy uses it. Usable on its own.
//!
//! [`IniFile`] reads a config for loading it:
//!
//! - `[name]` headers, matched from the start of the stripped line; text
//!   after the last `]` is ignored and the name is not stripped
//!   (`[ app:x ]` is the section `" app:x "`). `DEFAULT` (case-sensitive) is
//!   kept apart, see [`IniFile::defaults`].
//! - `key = value` or `key: value`: the first `=` or `:` on the line
//!   separates, so `http://x = y` is the key `http`. Keys and values are
//!   stripped; keys are case-sensitive and may contain spaces.
//! - A line indented more than its key line continues the value (parts
//!   joined with `\n`, each stripped; blank lines inside kept, trailing ones
//!   dropped).
//! - A line whose stripped form starts with `#` or `;` is a comment, even in
//!   the middle of a continued value. There are no inline comments:
//!   `url = http://x/#frag` keeps `#frag`.
//! - Values are interpolated when read: `%(name)s` and `%%`.
//!
//! [`IniDocument`] is the lossless view for tools that edit a config: it
//! writes back every byte it did not change.
//!
//! Deliberate differences from `ConfigParser`/PasteDeploy:
//!
//! - The caller's `overrides` (global_conf) beat `[DEFAULT]` in `%(name)s`
//!   interpolation (PasteDeploy ignores a caller global that `[DEFAULT]`
//!   also defines), and they are taken literally (PasteDeploy interpolates
//!   them, so `100%` fails there).
//! - `here` and `__file__` are taken literally (a `%` in the path is not an
//!   error).
//! - A line starting with `[` without a closing `]` is a syntax error (for
//!   `ConfigParser` it is a key such as `[app`); a second `[DEFAULT]` header
//!   is a duplicate (`ConfigParser` merges them).
//! - A loop in interpolation is reported as such, with its chain.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Location};

/// The section name whose keys every section sees in interpolation.
const DEFAULT: &str = "DEFAULT";

/// How many values deep `%(name)s` may nest (`ConfigParser`'s limit).
const MAX_DEPTH: usize = 10;

/// A parsed INI file: its sections in order, each key with its raw value
/// and line; values are interpolated when read.
///
/// ```
/// use std::collections::BTreeMap;
/// use std::path::Path;
/// use paste_deploy::ini::IniFile;
///
/// let text = "\
/// [DEFAULT]
/// http_port = 8080
///
/// [server:main]
/// use = egg:Paste#http
/// port = %(http_port)s
/// log = %(here)s/server.log
/// ";
/// let ini = IniFile::parse(text, Some(Path::new("/srv/app/site.ini")))?;
/// let none = BTreeMap::new();
/// assert_eq!(ini.get("server:main", "port", &none)?.as_deref(), Some("8080"));
/// assert_eq!(
///     ini.get("server:main", "log", &none)?.as_deref(),
///     Some("/srv/app/server.log")
/// );
///
/// // The caller's globals win over [DEFAULT] in interpolation.
/// let globals = BTreeMap::from([("http_port".to_owned(), "9000".to_owned())]);
/// assert_eq!(ini.get("server:main", "port", &globals)?.as_deref(), Some("9000"));
/// # Ok::<(), paste_deploy::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct IniFile {
    path: Option<PathBuf>,
    defaults: Option<Section>,
    sections: Vec<Section>,
}

/// One `[section]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    name: String,
    line: usize,
    entries: Vec<Entry>,
}

/// One `key = value` (continuation lines joined with `\n`), uninterpolated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    key: String,
    value: String,
    line: usize,
    end_line: usize,
}

impl IniFile {
    /// Parses `text`; `path` (made absolute by the caller) names the file
    /// in errors and defines `here` and `__file__`.
    ///
    /// A UTF-8 byte order mark at the start is skipped; lines may end with
    /// `\n`, `\r\n` or `\r`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Syntax`] for a line that is neither a header, a
    /// `key = value`, a continuation, a comment nor blank, or for a key
    /// before the first header; [`ErrorKind::Duplicate`] for a section or a
    /// key given twice. The error names the file, the line and the section.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Self, Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines = split_lines(text);
        let all = scan(lines.iter().map(|(line, _)| *line), path)?;
        let mut defaults = None;
        let mut sections = Vec::with_capacity(all.len());
        for section in all {
            if section.name == DEFAULT {
                defaults = Some(section);
            } else {
                sections.push(section);
            }
        }
        Ok(Self {
            path: path.map(Path::to_path_buf),
            defaults,
            sections,
        })
    }

    /// Reads and parses the file at `path` (made absolute).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the file cannot be read (the cause is the
    /// error's source), [`ErrorKind::Syntax`] when it is not UTF-8, and the
    /// errors of [`IniFile::parse`].
    pub fn read(path: &Path) -> Result<Self, Error> {
        let io_error = |path: &Path, err: std::io::Error| {
            Error::new(ErrorKind::Io, format!("cannot read the file: {err}"))
                .with_source(err)
                .at(Location::file(Some(path)))
        };
        let path = std::path::absolute(path).map_err(|err| io_error(path, err))?;
        let bytes = std::fs::read(&path).map_err(|err| io_error(&path, err))?;
        let text = String::from_utf8(bytes).map_err(|err| {
            let valid = err.utf8_error().valid_up_to();
            let prefix = err.as_bytes().get(..valid).unwrap_or_default();
            let line = std::str::from_utf8(prefix).map_or(1, line_of_end);
            Error::new(
                ErrorKind::Syntax,
                format!("the file is not UTF-8 (invalid byte at offset {valid})"),
            )
            .at(Location::file(Some(&path)).at_line(line))
        })?;
        Self::parse(&text, Some(&path))
    }

    /// The file's absolute path.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The file's directory: the value of `%(here)s`.
    pub fn here(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// The sections in file order, `[DEFAULT]` excluded.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter()
    }

    /// The section named exactly `name` (`app:main`).
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The `[DEFAULT]` section.
    pub fn defaults(&self) -> Option<&Section> {
        self.defaults.as_ref()
    }

    /// The value of `key` in `section` (`"DEFAULT"` for the defaults),
    /// interpolated: `%(name)s` looks in the section's own keys, then in
    /// `overrides` (the caller's globals, taken literally), then in
    /// `[DEFAULT]`, then `here` and `__file__`. `Ok(None)` when the section
    /// has no such key (defaults are not consulted for the key itself), or
    /// when there is no such section.
    ///
    /// A value found in the section or in `[DEFAULT]` is itself
    /// interpolated in the context of `section`, so a `[DEFAULT]` value
    /// saying `%(x)s` sees the section's own `x`. In the context of
    /// `"DEFAULT"` there are no own keys: `overrides` come first.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Interpolation`] for a missing name, a loop
    /// (`a -> b -> a`), nesting deeper than 10, a `%` followed by anything
    /// but `%` or `(`, or `%(name)` not followed by `s`. The error is
    /// located at the line of `key` in `section`.
    pub fn get(
        &self,
        section: &str,
        key: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Option<String>, Error> {
        let Some(sec) = self.lookup_section(section) else {
            return Ok(None);
        };
        let Some(entry) = sec.get(key) else {
            return Ok(None);
        };
        self.context(section, overrides)
            .read(Some(&entry.key), &entry.value, entry.line)
            .map(Some)
    }

    /// Interpolates `text` as if it were a value of `section` on `line`:
    /// the same lookups as [`IniFile::get`]. `section` need not exist
    /// (then only `overrides`, `[DEFAULT]`, `here` and `__file__` are seen).
    ///
    /// # Errors
    ///
    /// The interpolation errors of [`IniFile::get`], located at `line` in
    /// `section`.
    pub fn interpolate(
        &self,
        section: &str,
        text: &str,
        line: usize,
        overrides: &BTreeMap<String, String>,
    ) -> Result<String, Error> {
        self.context(section, overrides).read(None, text, line)
    }

    /// Every key of `section` with its interpolated value, in file order;
    /// `Ok(None)` when there is no such section. `"DEFAULT"` gives the
    /// defaults (without `here` and `__file__`).
    ///
    /// # Errors
    ///
    /// The first interpolation error, as for [`IniFile::get`].
    pub fn items(
        &self,
        section: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Option<Vec<(String, String)>>, Error> {
        let Some(sec) = self.lookup_section(section) else {
            return Ok(None);
        };
        let context = self.context(section, overrides);
        sec.entries
            .iter()
            .map(|e| {
                let value = context.read(Some(&e.key), &e.value, e.line)?;
                Ok((e.key.clone(), value))
            })
            .collect::<Result<Vec<_>, Error>>()
            .map(Some)
    }

    /// The defaults a factory sees as its base `global_conf`: `here` and
    /// `__file__` (when the file has a path and `[DEFAULT]` does not set
    /// them), then every `[DEFAULT]` key in file order, interpolated in the
    /// context of `DEFAULT` (so `overrides` beat `[DEFAULT]` in
    /// `%(name)s`). The overrides themselves are not in the list.
    ///
    /// # Errors
    ///
    /// The first interpolation error, as for [`IniFile::get`].
    pub fn defaults_interpolated(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Vec<(String, String)>, Error> {
        let own = self.defaults.as_ref();
        let mut out = Vec::new();
        for (name, value) in [("here", self.here_value()), ("__file__", self.file_value())] {
            if let Some(value) = value
                && own.and_then(|d| d.get(name)).is_none()
            {
                out.push((name.to_owned(), value));
            }
        }
        out.extend(self.items(DEFAULT, overrides)?.unwrap_or_default());
        Ok(out)
    }

    /// `section`, or the defaults for `"DEFAULT"`.
    fn lookup_section(&self, name: &str) -> Option<&Section> {
        if name == DEFAULT {
            self.defaults.as_ref()
        } else {
            self.section(name)
        }
    }

    fn context<'a>(
        &'a self,
        section: &'a str,
        overrides: &'a BTreeMap<String, String>,
    ) -> Context<'a> {
        let own = if section == DEFAULT {
            None
        } else {
            self.section(section)
        };
        Context {
            file: self,
            section,
            own,
            overrides,
        }
    }

    fn here_value(&self) -> Option<String> {
        self.here().map(|p| p.to_string_lossy().into_owned())
    }

    fn file_value(&self) -> Option<String> {
        self.path
            .as_deref()
            .map(|p| p.to_string_lossy().into_owned())
    }
}

impl Section {
    /// The name between the brackets, as written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The line of the header.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The entries in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry for `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

impl Entry {
    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The raw (uninterpolated) value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The line the key is on.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The last line holding a part of the value: [`Entry::line`] for a
    /// one-line value, else the last non-blank continuation line.
    pub fn end_line(&self) -> usize {
        self.end_line
    }
}

// ---------------------------------------------------------------------------
// Lines and the scanner shared by the reader and the writer.

/// Splits `text` into lines, each with its terminator (`"\n"`, `"\r\n"`,
/// `"\r"`, or `""` for a last line without one). Concatenated, they give
/// `text` back.
fn split_lines(text: &str) -> Vec<(&str, &'static str)> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find(['\n', '\r']) {
        let line = rest.get(..pos).unwrap_or_default();
        let after = rest.get(pos..).unwrap_or_default();
        let end = if after.starts_with("\r\n") {
            "\r\n"
        } else if after.starts_with('\r') {
            "\r"
        } else {
            "\n"
        };
        lines.push((line, end));
        rest = after.get(end.len()..).unwrap_or_default();
    }
    if !rest.is_empty() {
        lines.push((rest, ""));
    }
    lines
}

/// The 1-based line on which the end of `prefix` lies.
fn line_of_end(prefix: &str) -> usize {
    let lines = split_lines(prefix);
    match lines.last() {
        Some((_, "")) => lines.len(),
        _ => lines.len() + 1,
    }
}

fn is_comment(stripped: &str) -> bool {
    stripped.starts_with('#') || stripped.starts_with(';')
}

/// The leading whitespace of `line`.
fn leading_ws(line: &str) -> &str {
    let rest = line.trim_start();
    line.get(..line.len() - rest.len()).unwrap_or_default()
}

/// The indentation of `line` in characters (a tab counts one).
fn indent_of(line: &str) -> usize {
    leading_ws(line).chars().count()
}

/// Reads the structure of `lines` (without terminators): every section,
/// `[DEFAULT]` included, in file order.
fn scan<'a>(
    lines: impl Iterator<Item = &'a str>,
    path: Option<&Path>,
) -> Result<Vec<Section>, Error> {
    let mut sections: Vec<Section> = Vec::new();
    // The parts of the value of the last entry of the last section, while
    // continuation lines may still come.
    let mut open: Option<Vec<&'a str>> = None;
    let mut indent_level = 0;
    let at = |line: usize| Location::file(path).at_line(line);

    for (index, line) in lines.enumerate() {
        let number = index + 1;
        let stripped = line.trim();
        if is_comment(stripped) {
            continue;
        }
        if stripped.is_empty() {
            if let Some(parts) = &mut open {
                parts.push("");
            }
            continue;
        }
        let indent = indent_of(line);
        if let Some(parts) = &mut open
            && indent > indent_level
        {
            parts.push(stripped);
            if let Some(entry) = sections.last_mut().and_then(|s| s.entries.last_mut()) {
                entry.end_line = number;
            }
            continue;
        }
        close_value(&mut sections, open.take());
        indent_level = indent;

        if let Some(rest) = stripped.strip_prefix('[') {
            let Some(end) = rest.rfind(']') else {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!("expected `]` to close the section header, found {stripped:?}"),
                )
                .at(at(number)));
            };
            let name = rest.get(..end).unwrap_or_default();
            if name.is_empty() {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!("empty section name in {stripped:?}"),
                )
                .at(at(number)));
            }
            if let Some(first) = sections.iter().find(|s| s.name == name) {
                return Err(Error::new(
                    ErrorKind::Duplicate,
                    format!("duplicate section [{name}] (first on line {})", first.line),
                )
                .at(at(number).in_section(name)));
            }
            sections.push(Section {
                name: name.to_owned(),
                line: number,
                entries: Vec::new(),
            });
            continue;
        }

        let Some(section) = sections.last_mut() else {
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("expected a `[section]` header before {stripped:?}"),
            )
            .at(at(number)));
        };
        let here = || at(number).in_section(section.name.clone());
        let Some(pos) = stripped.find(['=', ':']) else {
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("expected `key = value`, found {stripped:?}"),
            )
            .at(here()));
        };
        let key = stripped.get(..pos).unwrap_or_default().trim_end();
        let delimiter = stripped.get(pos..=pos).unwrap_or("=");
        let value = stripped.get(pos + 1..).unwrap_or_default().trim();
        if key.is_empty() {
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("expected a key before `{delimiter}`, found {stripped:?}"),
            )
            .at(here()));
        }
        if let Some(first) = section.get(key) {
            return Err(Error::new(
                ErrorKind::Duplicate,
                format!("duplicate key {key:?} (first on line {})", first.line),
            )
            .at(here()));
        }
        section.entries.push(Entry {
            key: key.to_owned(),
            value: String::new(),
            line: number,
            end_line: number,
        });
        open = Some(vec![value]);
    }
    close_value(&mut sections, open);
    Ok(sections)
}

/// Stores the joined `parts` as the value of the last entry.
fn close_value(sections: &mut [Section], parts: Option<Vec<&str>>) {
    if let Some(parts) = parts
        && let Some(entry) = sections.last_mut().and_then(|s| s.entries.last_mut())
    {
        entry.value = parts.join("\n").trim_end().to_owned();
    }
}

// ---------------------------------------------------------------------------
// Interpolation.

/// Where names are looked up while reading values of one section.
struct Context<'a> {
    file: &'a IniFile,
    /// The section whose value is read (for errors).
    section: &'a str,
    /// Its own keys; `None` for `DEFAULT` or a section that does not exist.
    own: Option<&'a Section>,
    overrides: &'a BTreeMap<String, String>,
}

/// A value being expanded: its key (if any), raw text and place.
#[derive(Clone, Copy)]
struct Origin<'a> {
    key: Option<&'a str>,
    text: &'a str,
    line: usize,
    section: &'a str,
}

impl Origin<'_> {
    /// `"key = value"`, quoted, for messages.
    fn quoted(&self) -> String {
        match self.key {
            Some(key) if self.text.is_empty() => format!("{:?}", format!("{key} =")),
            Some(key) => format!("{:?}", format!("{key} = {}", self.text)),
            None => format!("{:?}", self.text),
        }
    }
}

/// What a `%(name)s` refers to.
enum Found<'a> {
    /// A key of the section or of `[DEFAULT]`: interpolated in turn.
    Entry(&'a Entry, &'a str),
    /// An override, `here` or `__file__`: taken as it is.
    Literal(String),
}

/// What is known while expanding: the top value (for the error's
/// location) and the names being expanded.
struct Walk<'a> {
    top_line: usize,
    chain: Vec<&'a str>,
}

impl<'a> Context<'a> {
    /// Interpolates the value `text` of `key` on `line`.
    fn read(&self, key: Option<&'a str>, text: &'a str, line: usize) -> Result<String, Error> {
        let mut walk = Walk {
            top_line: line,
            chain: key.into_iter().collect(),
        };
        let origin = Origin {
            key,
            text,
            line,
            section: self.section,
        };
        let mut out = String::with_capacity(text.len());
        self.expand(origin, 1, &mut walk, &mut out)?;
        Ok(out)
    }

    fn lookup(&self, name: &str) -> Option<Found<'a>> {
        if let Some(entry) = self.own.and_then(|s| s.get(name)) {
            return Some(Found::Entry(entry, self.section));
        }
        if let Some(value) = self.overrides.get(name) {
            return Some(Found::Literal(value.clone()));
        }
        if let Some(entry) = self.file.defaults.as_ref().and_then(|d| d.get(name)) {
            return Some(Found::Entry(entry, DEFAULT));
        }
        match name {
            "here" => self.file.here_value().map(Found::Literal),
            "__file__" => self.file.file_value().map(Found::Literal),
            _ => None,
        }
    }

    fn error(&self, walk: &Walk<'_>, message: String) -> Error {
        Error::new(ErrorKind::Interpolation, message).at(Location::file(self.file.path())
            .at_line(walk.top_line)
            .in_section(self.section))
    }

    /// ` (line 2 [DEFAULT], reached through url -> base)` for a value
    /// reached through others, else nothing.
    fn whence(origin: &Origin<'_>, depth: usize, walk: &Walk<'_>) -> String {
        if depth <= 1 {
            return String::new();
        }
        format!(
            " (line {} [{}], reached through {})",
            origin.line,
            origin.section,
            walk.chain.join(" -> ")
        )
    }

    fn expand(
        &self,
        origin: Origin<'a>,
        depth: usize,
        walk: &mut Walk<'a>,
        out: &mut String,
    ) -> Result<(), Error> {
        let mut rest = origin.text;
        while let Some(pos) = rest.find('%') {
            out.push_str(rest.get(..pos).unwrap_or_default());
            let from = rest.get(pos..).unwrap_or_default();
            let after = from.get(1..).unwrap_or_default();
            if let Some(tail) = after.strip_prefix('%') {
                out.push('%');
                rest = tail;
                continue;
            }
            let Some(inner) = after.strip_prefix('(') else {
                let found: String = from.chars().take(2).collect();
                return Err(self.error(
                    walk,
                    format!(
                        "`%` must be followed by `%` or `(`, found {found:?} in {}{}",
                        origin.quoted(),
                        Self::whence(&origin, depth, walk)
                    ),
                ));
            };
            let reference = inner.find(')').and_then(|close| {
                let name = inner.get(..close)?;
                let tail = inner.get(close + 1..)?.strip_prefix('s')?;
                (!name.is_empty()).then_some((name, tail))
            });
            let Some((name, tail)) = reference else {
                let fragment = match inner.find(')') {
                    Some(close) => {
                        let len = 2 + close + 1;
                        let next = from.get(len..).and_then(|t| t.chars().next());
                        let mut fragment = from.get(..len).unwrap_or(from).to_owned();
                        fragment.extend(next);
                        fragment
                    }
                    None => from.to_owned(),
                };
                return Err(self.error(
                    walk,
                    format!(
                        "bad reference {fragment:?} in {}{}: expected `%(name)s`",
                        origin.quoted(),
                        Self::whence(&origin, depth, walk)
                    ),
                ));
            };
            match self.lookup(name) {
                None => {
                    return Err(self.error(
                        walk,
                        format!(
                            "no value for %({name})s in {}{}",
                            origin.quoted(),
                            Self::whence(&origin, depth, walk)
                        ),
                    ));
                }
                Some(Found::Literal(value)) => out.push_str(&value),
                Some(Found::Entry(entry, section)) => {
                    if !entry.value.contains('%') {
                        out.push_str(&entry.value);
                    } else if walk.chain.contains(&name) {
                        let mut chain = walk.chain.clone();
                        chain.push(name);
                        return Err(
                            self.error(walk, format!("interpolation loop: {}", chain.join(" -> ")))
                        );
                    } else if depth >= MAX_DEPTH {
                        let mut chain = walk.chain.clone();
                        chain.push(name);
                        return Err(self.error(
                            walk,
                            format!(
                                "interpolation nested more than {MAX_DEPTH} deep: {}",
                                chain.join(" -> ")
                            ),
                        ));
                    } else {
                        walk.chain.push(name);
                        let inner_origin = Origin {
                            key: Some(&entry.key),
                            text: &entry.value,
                            line: entry.line,
                            section,
                        };
                        self.expand(inner_origin, depth + 1, walk, out)?;
                        walk.chain.pop();
                    }
                }
            }
            rest = tail;
        }
        out.push_str(rest);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The lossless document.

/// An INI file kept line by line, for tools that edit configs: printing it
/// (`Display`, `to_string()`) gives back the input byte for byte —
/// comments, blank lines, spacing, order, `\r\n`, a byte order mark, a
/// missing final newline — except where [`IniDocument::set`] or
/// [`IniDocument::remove`] changed it.
///
/// It reads the file with the rules of [`IniFile`] (and rejects what
/// [`IniFile::parse`] rejects); `[DEFAULT]` is a section like the others
/// here, and values are raw (not interpolated).
///
/// ```
/// use paste_deploy::ini::IniDocument;
///
/// let mut doc = IniDocument::parse(
///     "# the server\r\n[server:main]\r\nport   =  8080\r\n    ; old: 80\r\n\r\n[app:main]\r\nuse = egg:X",
/// )?;
/// doc.set("server:main", "port", "9090")?;
/// doc.set("server:main", "host", "0.0.0.0")?;
/// doc.remove("app:main", "use");
/// doc.set("app:main", "paste.app_factory", "x:make_app")?;
/// assert_eq!(
///     doc.to_string(),
///     "# the server\r\n[server:main]\r\nport   =  9090\r\nhost = 0.0.0.0\r\n    ; old: 80\r\n\r\n[app:main]\r\npaste.app_factory = x:make_app"
/// );
/// assert_eq!(doc.get("server:main", "port").as_deref(), Some("9090"));
/// # Ok::<(), paste_deploy::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IniDocument {
    bom: bool,
    lines: Vec<Line>,
    sections: Vec<Section>,
}

/// One line of an [`IniDocument`] and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Line {
    text: String,
    end: &'static str,
}

impl IniDocument {
    /// Parses `text`, keeping every byte of it.
    ///
    /// # Errors
    ///
    /// The errors of [`IniFile::parse`] (without a file name).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let (bom, body) = match text.strip_prefix('\u{feff}') {
            Some(body) => (true, body),
            None => (false, text),
        };
        let lines: Vec<Line> = split_lines(body)
            .into_iter()
            .map(|(text, end)| Line {
                text: text.to_owned(),
                end,
            })
            .collect();
        let sections = scan(lines.iter().map(|l| l.text.as_str()), None)?;
        Ok(Self {
            bom,
            lines,
            sections,
        })
    }

    /// The sections in file order, `[DEFAULT]` included, with their raw
    /// entries and lines.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter()
    }

    /// The section named exactly `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The raw value of `key` in `section` (`"DEFAULT"` is a section like
    /// the others here).
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        self.section(section)?.get(key).map(|e| e.value.clone())
    }

    /// Sets `key` in `section` to `value`.
    ///
    /// - An existing key keeps its line's `key =` part (its spacing
    ///   included); its continuation lines, and comments among them, are
    ///   replaced.
    /// - A new key goes after the last entry of the section (or right after
    ///   the header), indented like that entry.
    /// - A new section goes at the end of the document, after a blank line.
    ///
    /// A value of several lines is written as continuation lines, indented
    /// (so `"a\n[x]"` cannot start a section). As a reader would, each line
    /// of `value` is stripped and trailing blank lines are dropped;
    /// [`IniDocument::get`] then returns that form.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadValue`] when the result would not read back as
    /// written: an empty or multi-line section name; a key that is empty,
    /// has surrounding spaces, a `=`, `:` or line break, or starts with
    /// `[`, `#` or `;`; a continuation line of the value starting with `#`
    /// or `;` (it would read as a comment). The document is then unchanged.
    pub fn set(&mut self, section: &str, key: &str, value: &str) -> Result<(), Error> {
        let bad = |message: String| {
            Err(Error::new(ErrorKind::BadValue, message)
                .at(Location::default().in_section(section)))
        };
        if section.is_empty() || section.contains(['\n', '\r']) {
            return Err(Error::new(
                ErrorKind::BadValue,
                format!("cannot write the section name {section:?}"),
            ));
        }
        if key.is_empty()
            || key.trim() != key
            || key.contains(['=', ':', '\n', '\r'])
            || key.starts_with(['[', '#', ';'])
        {
            return bad(format!(
                "cannot write the key {key:?}: a key is not empty, has no surrounding spaces, \
                 no `=`, `:` or line break, and does not start with `[`, `#` or `;`"
            ));
        }
        let parts = value_lines(value);
        if let Some((n, part)) = parts
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, p)| is_comment(p))
        {
            return bad(format!(
                "cannot write the value of {key:?}: its line {} {part:?} would read as a comment",
                n + 1
            ));
        }
        let nl = self.newline();
        let mut lines = self.lines.clone();
        match self.section(section) {
            Some(sec) => match sec.get(key) {
                Some(entry) => {
                    let start = entry.line - 1;
                    let key_line = self.line_text(entry.line);
                    let indent = leading_ws(key_line);
                    let prefix = assignment_prefix(key_line, key);
                    let cont_indent = (entry.line + 1..=entry.end_line)
                        .map(|n| self.line_text(n))
                        .find(|l| !l.trim().is_empty() && !is_comment(l.trim()))
                        .map_or_else(|| format!("{indent}    "), |l| leading_ws(l).to_owned());
                    let texts = entry_lines(&prefix, &cont_indent, &parts);
                    let key_end = self.lines.get(start).map_or("", |l| l.end);
                    let last_end = self.lines.get(entry.end_line - 1).map_or("", |l| l.end);
                    let mid_end = if key_end.is_empty() { nl } else { key_end };
                    let count = texts.len();
                    let new = texts.into_iter().enumerate().map(|(i, text)| Line {
                        text,
                        end: if i + 1 == count { last_end } else { mid_end },
                    });
                    lines.splice(start..entry.end_line, new);
                }
                None => {
                    let (after, indent) = match sec.entries.last() {
                        Some(last) => (last.end_line, leading_ws(self.line_text(last.line))),
                        None => (sec.line, self.next_structural_indent(sec.line)),
                    };
                    let prefix = format!("{indent}{key} = ");
                    let texts = entry_lines(&prefix, &format!("{indent}    "), &parts);
                    insert_lines(&mut lines, after, texts, nl);
                }
            },
            None => {
                let mut texts = Vec::new();
                if lines.last().is_some_and(|l| !l.text.trim().is_empty()) {
                    texts.push(String::new());
                }
                texts.push(format!("[{section}]"));
                texts.extend(entry_lines(&format!("{key} = "), "    ", &parts));
                let after = lines.len();
                insert_lines(&mut lines, after, texts, nl);
            }
        }

        // Check that the result reads as intended: the new value, and
        // nothing else changed.
        let mut expected = snapshot(&self.sections);
        let normalized = parts.join("\n");
        match expected.iter_mut().find(|(name, _)| name == section) {
            Some((_, entries)) => match entries.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = normalized,
                None => entries.push((key.to_owned(), normalized)),
            },
            None => expected.push((section.to_owned(), vec![(key.to_owned(), normalized)])),
        }
        match self.rebuilt(&lines) {
            Ok(document) if snapshot(&document.sections) == expected => {
                *self = document;
                Ok(())
            }
            _ => bad(format!(
                "cannot write {key:?} = {value:?}: it would not read back as written"
            )),
        }
    }

    /// Removes `key` from `section`: its line, its continuation lines and
    /// the comments among them. `false` when there is no such key.
    pub fn remove(&mut self, section: &str, key: &str) -> bool {
        let Some(entry) = self.section(section).and_then(|s| s.get(key)) else {
            return false;
        };
        let (start, end) = (entry.line - 1, entry.end_line);
        let mut lines = self.lines.clone();
        let at_end = end >= lines.len();
        let last_end = end
            .checked_sub(1)
            .and_then(|i| lines.get(i))
            .map_or("", |l| l.end);
        lines.drain(start..end.min(lines.len()));
        if at_end
            && last_end.is_empty()
            && let Some(last) = lines.last_mut()
        {
            last.end = "";
        }
        // A line ending in `\r` now followed by an empty line ending in
        // `\n` would merge with it: it takes the removed lines' ending.
        let merges = lines
            .get(start)
            .is_some_and(|next| next.text.is_empty() && next.end.starts_with('\n'));
        if merges
            && let Some(previous) = start.checked_sub(1).and_then(|i| lines.get_mut(i))
            && previous.end == "\r"
        {
            previous.end = last_end;
        }
        match self.rebuilt(&lines) {
            Ok(document) => {
                *self = document;
                true
            }
            Err(_) => false,
        }
    }

    /// The document `lines` make, read again from their text so that its
    /// structure is what a reader of the output will see.
    fn rebuilt(&self, lines: &[Line]) -> Result<Self, Error> {
        let mut text = String::from(if self.bom { "\u{feff}" } else { "" });
        for line in lines {
            text.push_str(&line.text);
            text.push_str(line.end);
        }
        Self::parse(&text)
    }

    /// The text of the 1-based line `n`.
    fn line_text(&self, n: usize) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.lines.get(i))
            .map_or("", |l| l.text.as_str())
    }

    /// The line ending new lines get: the document's first, else `\n`.
    fn newline(&self) -> &'static str {
        self.lines
            .iter()
            .map(|l| l.end)
            .find(|e| !e.is_empty())
            .unwrap_or("\n")
    }

    /// The indentation of the first line after line `n` that is neither
    /// blank nor a comment (a key there must not be less indented, or that
    /// line would continue it).
    fn next_structural_indent(&self, n: usize) -> &str {
        self.lines
            .iter()
            .skip(n)
            .map(|l| l.text.as_str())
            .find(|t| !t.trim().is_empty() && !is_comment(t.trim()))
            .map_or("", leading_ws)
    }
}

impl fmt::Display for IniDocument {
    /// The document as text: the input, byte for byte, with the edits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bom {
            f.write_str("\u{feff}")?;
        }
        for line in &self.lines {
            f.write_str(&line.text)?;
            f.write_str(line.end)?;
        }
        Ok(())
    }
}

/// The lines of `value` as a reader would give them back: each stripped,
/// trailing blank lines dropped; at least one.
fn value_lines(value: &str) -> Vec<String> {
    let mut parts: Vec<String> = split_lines(value)
        .into_iter()
        .map(|(line, _)| line.trim().to_owned())
        .collect();
    while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    match parts.first() {
        Some(_) => parts,
        None => vec![String::new()],
    }
}

/// The `key = ` part of an entry's line, spacing kept; a space is added
/// after the delimiter when there is one before it and none after.
fn assignment_prefix(line: &str, key: &str) -> String {
    let Some(pos) = line.find(['=', ':']) else {
        return format!("{}{key} = ", leading_ws(line));
    };
    let before = line.get(..=pos).unwrap_or_default();
    let after = line.get(pos + 1..).unwrap_or_default();
    let spacing = leading_ws(after);
    let mut prefix = format!("{before}{spacing}");
    if spacing.is_empty()
        && line
            .get(..pos)
            .is_some_and(|b| b.ends_with(char::is_whitespace))
    {
        prefix.push(' ');
    }
    prefix
}

/// The lines of an entry: `prefix` + the first part (the prefix's trailing
/// spaces dropped when it is empty), then the others indented.
fn entry_lines(prefix: &str, indent: &str, parts: &[String]) -> Vec<String> {
    let mut texts = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        texts.push(match (i, part.is_empty()) {
            (0, true) => prefix.trim_end().to_owned(),
            (0, false) => format!("{prefix}{part}"),
            (_, true) => String::new(),
            (_, false) => format!("{indent}{part}"),
        });
    }
    texts
}

/// Inserts `texts` after the first `after` lines. New lines end with `nl`;
/// at the end of a document whose last line had no ending, that line gets
/// one and the new last line goes without.
fn insert_lines(lines: &mut Vec<Line>, after: usize, texts: Vec<String>, nl: &'static str) {
    let after = after.min(lines.len());
    // New lines end like the line before them: that line's ending was
    // valid before the line after them, so it cannot merge with it (a
    // `\r` followed by an empty line ending in `\n` would read as `\r\n`).
    let mut end = nl;
    let mut last_end = nl;
    if let Some(previous) = after.checked_sub(1).and_then(|i| lines.get_mut(i)) {
        if previous.end.is_empty() {
            previous.end = nl;
            last_end = "";
        } else {
            end = previous.end;
            last_end = previous.end;
        }
    }
    let count = texts.len();
    let new = texts.into_iter().enumerate().map(|(i, text)| Line {
        text,
        end: if i + 1 == count { last_end } else { end },
    });
    lines.splice(after..after, new);
}

/// Sections and their `(key, value)` pairs, for comparing layouts.
type Snapshot = Vec<(String, Vec<(String, String)>)>;

fn snapshot(sections: &[Section]) -> Snapshot {
    sections
        .iter()
        .map(|s| {
            let entries = s
                .entries
                .iter()
                .map(|e| (e.key.clone(), e.value.clone()))
                .collect();
            (s.name.clone(), entries)
        })
        .collect()
}
