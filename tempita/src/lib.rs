//! The Tempita template language, with its Python-expression subset.

#![cfg_attr(docsrs, feature(doc_cfg))]
