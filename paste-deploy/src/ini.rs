//! The INI reader and writer, with the rules of Python's `ConfigParser` as
//! PasteDeploy uses it. Usable on its own.
//!
//! (To be written: see the brief. The types and signatures below are the
//! contract the loader relies on.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// A parsed INI file: its sections in order, each key with its raw value
/// and line; values are interpolated when read.
#[derive(Clone, Debug)]
pub struct IniFile {
    path: Option<PathBuf>,
    defaults: Option<Section>,
    sections: Vec<Section>,
}

/// One `[section]`.
#[derive(Clone, Debug)]
pub struct Section {
    name: String,
    line: usize,
    entries: Vec<Entry>,
}

/// One `key = value` (continuation lines joined with `\n`), uninterpolated.
#[derive(Clone, Debug)]
pub struct Entry {
    key: String,
    value: String,
    line: usize,
}

impl IniFile {
    /// Parses `text`; `path` (made absolute by the caller) names the file
    /// in errors and defines `here` and `__file__`.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Self, Error> {
        let _ = text;
        Ok(Self {
            path: path.map(Path::to_path_buf),
            defaults: None,
            sections: Vec::new(),
        })
    }

    /// Reads and parses the file at `path` (made absolute).
    pub fn read(path: &Path) -> Result<Self, Error> {
        Self::parse("", Some(path))
    }

    /// The file's absolute path.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
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
    /// has no such key (defaults are not consulted for the key itself).
    pub fn get(
        &self,
        section: &str,
        key: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Option<String>, Error> {
        let _ = (section, key, overrides);
        Ok(None)
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
}
