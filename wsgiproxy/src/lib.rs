//! Apps that forward requests to another HTTP server (WSGIProxy2, `paste.proxy`).

#![cfg_attr(docsrs, feature(doc_cfg))]
