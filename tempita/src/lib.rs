//! The Tempita template language, with its Python-expression subset.
//!
//! ```
//! use tempita::{Context, Template};
//! let t = Template::new("{{for i, name in enumerate(names)}}{{i}}:{{name.title()}} {{endfor}}").unwrap();
//! let ctx = Context::new().with("names", vec!["ann", "bob"]);
//! assert_eq!(t.substitute(&ctx).unwrap(), "0:Ann 1:Bob ");
//! ```
//!
//! A tour, in the order you meet the types:
//! - [`Template`] parses once ([`Template::new`], [`Template::from_file`],
//!   [`Template::builder`] for a name, namespace, loader, delimiters) and
//!   renders many times with [`Template::substitute`]; [`sub`] does both.
//! - [`HtmlTemplate`] makes templates that HTML-escape values, unless marked
//!   safe with `html()` in the template or [`Value::safe`] in Rust.
//! - [`Context`] holds the variables of one rendering: from pairs, or from
//!   any `serde::Serialize` struct with [`Context::from_serialize`].
//! - [`Value`] is a Python-like value; [`Value::from_function`] makes Rust
//!   functions callable from templates (and usable as `|filters`), and
//!   [`Object`] exposes your own types.
//! - [`Loader`] finds templates for `{{inherit}}`; [`DirLoader`] serves a
//!   directory safely and caches parsed templates.
//! - [`Error`] says what went wrong and where: `name:line:column: message`,
//!   and with `{:#}` the source line and a caret.
//! - Helpers Tempita exports to Python code: [`eval`] (one expression),
//!   [`looper`], [`bunch`], [`html_quote`], [`url`], [`attr`].
//!
//! The language itself is described in the [`syntax`] guide.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builtins;
mod bunch;
mod error;
mod eval;
mod expr;
mod format;
mod html;
mod lexer;
mod looper;
mod parser;
mod ser;
mod template;
mod value;

pub use bunch::bunch;
pub use error::{Error, ErrorKind, Result};
pub use html::{attr_from as attr, html_quote, url};
pub use looper::looper;
pub use template::{
    Context, DirLoader, HtmlTemplate, Loader, Template, TemplateBuilder, eval, sub, sub_html,
};
pub use value::{Kwargs, Object, Value, ValueKind};

#[doc = include_str!("../docs/syntax.md")]
pub mod syntax {}

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
