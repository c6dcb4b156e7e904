//! The `tempita` command: fill a template.
fn main() {}
