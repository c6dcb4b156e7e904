//! The `paster` binary: Paste Script with every built-in factory.

fn main() -> std::process::ExitCode {
    paste_script::Paster::new()
        .register(paste_script::builtins::register)
        .run()
}
