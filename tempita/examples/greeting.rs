//! The smallest use: parse a template once, render it with a context.
//!
//! `cargo run -p tempita --example greeting`

use tempita::{Context, Template};

fn main() -> Result<(), tempita::Error> {
    // Parsing checks the syntax; errors say `name:line:column: message`.
    let t = Template::builder(
        "Hello {{name.title()}}! You have {{len(items)}} item{{'s' if len(items) != 1 else ''}}.\n",
    )
    .name("hello.txt")
    .build()?;
    // Any `Into<Value>` goes in a context: strings, numbers, vectors, maps…
    let ctx = Context::new()
        .with("name", "ann")
        .with("items", vec![1, 2, 3]);
    print!("{}", t.substitute(&ctx)?);
    Ok(())
}
