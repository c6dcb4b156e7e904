//! `paster create`.
use std::path::PathBuf;

use crate::error::Error;
use crate::paster::CreateArgs;

pub(crate) fn run(_dirs: &[PathBuf], _args: CreateArgs) -> Result<u8, Error> {
    Err(Error::new(1, "not yet"))
}
