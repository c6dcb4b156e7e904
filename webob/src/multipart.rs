//! `multipart/form-data` bodies and file uploads.
//! (To be written: see the brief for this module.)

/// A file uploaded in a multipart form.
#[derive(Clone, Debug)]
pub struct Upload {}
