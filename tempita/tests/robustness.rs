//! Random token soup, parsed and rendered: errors are fine, panics are not.
//! Deterministic (a fixed xorshift seed) and quick.

use tempita::{Context, Template, Value};

const ATOMS: &[&str] = &[
    "{{",
    "}}",
    "if ",
    "for ",
    "x",
    " in ",
    "y",
    "endif",
    "endfor",
    "else",
    "elif ",
    "py:",
    "\n",
    "def ",
    "f(",
    ")",
    "(",
    "[",
    "]",
    "{",
    "}",
    "'",
    "\"",
    "|",
    ":",
    ",",
    "=",
    "+",
    "-",
    "*",
    "**",
    "/",
    "//",
    "%",
    "1",
    "0",
    "2.5",
    "e",
    "not ",
    " and ",
    " or ",
    " is ",
    "None",
    "lambda",
    ".",
    "upper",
    "()",
    "len",
    "range",
    "enddef",
    "break",
    "continue",
    "#",
    "default ",
    "inherit ",
    "\\",
    "\r\n",
    " ",
    "\t",
    "looper",
    "'%s'",
    "[::-1]",
    "é",
    "self",
    "1e400",
    "9223372036854775807",
    "-1",
    "::",
    "[1::",
    "%(",
    "{:",
    ".format(",
    "sorted",
    "enumerate(",
    "zip(",
    "min(",
    "round(",
    "int(",
    "hex(",
    "' * ",
    ".center(",
    ".split(",
    ".join(",
    "{{for a, b in ",
    "{{py:\n",
    "}}\n",
];

#[test]
fn random_templates_never_panic() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let ctx = Context::new()
        .with("x", vec![1, 2])
        .with("y", Value::dict([("a", 1)]));
    for _ in 0..30_000 {
        let n = usize::try_from(next() % 30).unwrap() + 1;
        let src: String = (0..n)
            .map(|_| ATOMS[usize::try_from(next() % ATOMS.len() as u64).unwrap()])
            .collect();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = Template::new(src.clone()).and_then(|t| t.substitute(&ctx));
        }));
        assert!(outcome.is_ok(), "panic on {src:?}");
    }
}
