//! The `paster` command: serve, create, request, post, points, help (Paste Script).

#![cfg_attr(docsrs, feature(doc_cfg))]
