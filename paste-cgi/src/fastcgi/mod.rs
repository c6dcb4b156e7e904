//! FastCGI: the record protocol ([`proto`]), shared by both sides.

#[allow(dead_code, reason = "the client side of the protocol is not used yet")]
pub(crate) mod proto;
