//! Query strings and form bodies: `GET`, `POST` and `params`.
//! (To be written: see the brief for this module.)

use crate::MultiDict;
use crate::multipart::Upload;

/// A parsed form body: its text fields and its file uploads.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub(crate) fields: MultiDict<String>,
    pub(crate) files: MultiDict<Upload>,
}
