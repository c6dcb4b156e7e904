//! The middleware and small apps of Paste for Rust.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod cascade;
pub mod config;
#[cfg(feature = "deploy")]
#[cfg_attr(docsrs, doc(cfg(feature = "deploy")))]
pub mod deploy;
pub mod error_catcher;
pub mod errordocument;
pub mod filter;
pub mod grantip;
pub mod gzip;
pub mod lint;
pub mod recursive;
pub mod session;
pub mod static_files;
pub mod test_app;
pub mod translogger;
pub mod urlmap;
pub mod waitforit;
