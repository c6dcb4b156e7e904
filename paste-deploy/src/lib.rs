//! Paste Deploy for Rust: load and compose apps, filters and servers from
//! INI files.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
pub mod ini;

pub use error::{Error, ErrorKind, Location};
