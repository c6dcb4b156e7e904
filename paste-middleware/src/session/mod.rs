//! Sessions: a [`Store`] trait and three stores, [`MemoryStore`],
//! [`FileStore`] and [`CookieStore`].

mod cookie;
mod file;
mod memory;
mod store;

pub use cookie::CookieStore;
pub use file::FileStore;
pub use memory::MemoryStore;
pub use store::{Record, SessionData, SessionId, Store};
