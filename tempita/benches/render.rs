//! Rendering benchmark.
fn main() {}
