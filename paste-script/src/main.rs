//! The `paster` binary: Paste Script with every built-in factory.

/// With the `jemalloc` feature (on by default), a long-running server's
/// memory stays flat where glibc's malloc lets it creep up over its
/// per-thread arenas (RELIABILITY.md, the mixed load).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    paste_script::Paster::new()
        .register(paste_script::builtins::register)
        .run()
}
