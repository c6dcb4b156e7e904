//! The test client: drive an app like a browser, in-process or over HTTP (WebTest), and command-line programs (ScriptTest).

#![cfg_attr(docsrs, feature(doc_cfg))]
