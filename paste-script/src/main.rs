//! The `paster` binary.

fn main() {}
