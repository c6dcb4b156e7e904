//! `tempita`: fill a template with variables (Tempita's fill command).
//!
//! ```text
//! tempita [-o FILE] [--html] [--env] TEMPLATE|- [name=value ...] [py:name=expression ...]
//! ```

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use tempita::{Context, HtmlTemplate, Template, Value};

const USAGE: &str = "\
Usage: tempita [OPTIONS] TEMPLATE|- [name=value ...] [py:name=expression ...]

Fill TEMPLATE (or standard input for -) and print the result.

Options:
  -o, --output FILE  write the result to FILE instead of standard output
      --html         HTML template: values are escaped
      --env          make the environment variables available
  -h, --help         show this help
  -V, --version      show the version

Arguments name=value set a variable to a string; py:name=expression set it
to the value of a Python expression (evaluated with the variables so far).";

struct Args {
    output: Option<String>,
    html: bool,
    env: bool,
    template: String,
    vars: Vec<String>,
}

enum Parsed {
    Run(Args),
    Exit(ExitCode),
}

fn usage_error(msg: &str) -> Parsed {
    eprintln!("{msg}\n\n{USAGE}");
    Parsed::Exit(ExitCode::from(2))
}

fn parse_args(argv: impl Iterator<Item = String>) -> Parsed {
    let mut output = None;
    let (mut html, mut env) = (false, false);
    let mut positional = Vec::new();
    let mut argv = argv.peekable();
    let mut only_positional = false;
    while let Some(a) = argv.next() {
        if only_positional || a == "-" || !a.starts_with('-') {
            positional.push(a);
            continue;
        }
        match a.as_str() {
            "--" => only_positional = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Parsed::Exit(ExitCode::SUCCESS);
            }
            "-V" | "--version" => {
                println!("tempita {}", env!("CARGO_PKG_VERSION"));
                return Parsed::Exit(ExitCode::SUCCESS);
            }
            "--html" => html = true,
            "--env" => env = true,
            "-o" | "--output" => match argv.next() {
                Some(f) => output = Some(f),
                None => return usage_error(&format!("{a} needs a file name")),
            },
            _ => match a.strip_prefix("--output=").or_else(|| a.strip_prefix("-o")) {
                Some(f) if !f.is_empty() => output = Some(f.to_owned()),
                _ => return usage_error(&format!("Unknown option: {a}")),
            },
        }
    }
    if positional.is_empty() {
        return usage_error("You must give a template filename");
    }
    let template = positional.remove(0);
    Parsed::Run(Args {
        output,
        html,
        env,
        template,
        vars: positional,
    })
}

fn run(args: &Args) -> Result<(), String> {
    let mut ctx = Context::new();
    if args.env {
        for (k, v) in std::env::vars() {
            ctx.insert(&k, v);
        }
    }
    for var in &args.vars {
        let Some((name, value)) = var.split_once('=') else {
            return Err(format!("Bad argument: {var}"));
        };
        match name.strip_prefix("py:") {
            Some(name) => {
                let v: Value = tempita::eval(value, &ctx).map_err(|e| format!("{var}: {e:#}"))?;
                ctx.insert(name, v);
            }
            None => ctx.insert(name, value),
        }
    }
    let template = if args.template == "-" {
        let mut src = String::new();
        std::io::stdin()
            .read_to_string(&mut src)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        let b = if args.html {
            HtmlTemplate::builder(src)
        } else {
            Template::builder(src)
        };
        b.name("<stdin>").build()
    } else if args.html {
        HtmlTemplate::from_file(&args.template)
    } else {
        Template::from_file(&args.template)
    }
    .map_err(|e| format!("{e:#}"))?;
    let out = template.substitute(&ctx).map_err(|e| format!("{e:#}"))?;
    match &args.output {
        Some(path) => std::fs::write(path, out).map_err(|e| format!("cannot write {path}: {e}")),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write: {e}"))
        }
    }
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Parsed::Exit(code) => code,
        Parsed::Run(args) => match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(msg) => {
                eprintln!("tempita: {msg}");
                if msg.starts_with("Bad argument") {
                    ExitCode::from(2)
                } else {
                    ExitCode::FAILURE
                }
            }
        },
    }
}
