//! FastCGI: the record protocol ([`proto`]), shared by both sides.

#[allow(dead_code, reason = "nothing uses the record layer yet")]
pub(crate) mod proto;
