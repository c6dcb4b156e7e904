//! paste-deploy's loader on a config file: the INI text is written to
//! `main.ini` in a temp dir (in /dev/shm if it can; next to a `base.ini` written once, which the
//! input may name with `config:base.ini`), then loaded as an app, a filter
//! and a server with a registry of a few trivial factories: section
//! lookup, `use =`, `config:` references, `[DEFAULT]` and `%(var)s`
//! interpolation, `get`/`set` globals, pipelines, composites, filter-with.
//!
//! Checked: no panic, and every error that comes from the file says where
//! in it (file and line).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use paste_core::{BoxApp, Response, app_fn};
use paste_deploy::{Conf, ErrorKind, Filter, Registry, Server};

const BASE: &str = "\
[DEFAULT]
shared = from base
here_too = %(here)s

[app:base]
use = egg:Fuzz#echo
greeting = %(shared)s

[filter:upper]
use = egg:Fuzz#filter
level = 3

[server:main]
use = egg:Fuzz#server
port = 8080
";

struct Fixture {
    dir: tempfile::TempDir,
    registry: Registry,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // In memory where there is a tmpfs: a file is written per input.
        let dir = tempfile::tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .expect("a temp dir");
        std::fs::write(dir.path().join("base.ini"), BASE).expect("base.ini");
        let mut registry = Registry::new();
        registry
            .app("echo", |_global: &Conf, local: &Conf| {
                let text = local.get("greeting").unwrap_or("hi").to_owned();
                let _ = local.bool("debug")?;
                Ok(BoxApp::new(app_fn(move |_req| {
                    let text = text.clone();
                    async move { Ok(Response::new(text.into())) }
                })))
            })
            .composite("map", |loader, _global: &Conf, local: &Conf| {
                for (_, name) in local.iter() {
                    let _ = loader.get_app(name)?;
                }
                loader.get_app(local.get("default").unwrap_or("base"))
            })
            .filter("filter", |_global: &Conf, local: &Conf| {
                let _ = local.int::<u32>("level")?;
                let _ = local.duration("timeout")?;
                Ok(Filter::new(Ok))
            })
            .filter_app("wrap", |app, _global: &Conf, local: &Conf| {
                let _ = local.list("items");
                Ok(app)
            })
            .server("server", |_global: &Conf, local: &Conf| {
                let _ = local.int::<u16>("port")?;
                Ok(Server::new(|_app| Box::pin(async { Ok(()) })))
            })
            .alias("egg:Fuzz#echo", "echo")
            .alias("egg:Fuzz#map", "map")
            .alias("egg:Fuzz#filter", "filter")
            .alias("egg:Fuzz#wrap", "wrap")
            .alias("egg:Fuzz#server", "server");
        Fixture { dir, registry }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    paste_fuzz::guarded(data, || run(data, fixture));
});

fn run(data: &[u8], fixture: &Fixture) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A config may name any file; keep the fuzzer off the endless ones
    // (/dev/zero) and off the rest of the machine.
    if text.contains("dev") || text.contains("proc") || text.contains("sys") || text.contains("..")
    {
        return;
    }
    let dir = fixture.dir.path();
    let main = dir.join("main.ini");
    std::fs::write(&main, text).expect("main.ini");
    let globals: Conf = [("g", "global"), ("shared", "from caller")]
        .into_iter()
        .collect();
    let registry = &fixture.registry;
    let uri = "config:main.ini";
    check(
        registry.load_app(uri, None, Some(dir), &globals),
        &main,
        dir,
    );
    check(
        registry.load_app(uri, Some("other"), Some(dir), &globals),
        &main,
        dir,
    );
    check(
        registry.load_filter(uri, None, Some(dir), &globals),
        &main,
        dir,
    );
    check(
        registry.load_server(uri, None, Some(dir), &globals),
        &main,
        dir,
    );
    check(
        registry.app_config(uri, None, Some(dir), &globals),
        &main,
        dir,
    );
}

fn check<T>(result: Result<T, paste_deploy::Error>, main: &Path, dir: &Path) {
    let Err(err) = result else {
        return;
    };
    let message = err.to_string();
    let location = err.location();
    // Errors about the file itself name it and the line.
    let in_files = [main.to_path_buf(), dir.join("base.ini")];
    let about_text = matches!(
        err.kind(),
        ErrorKind::Syntax | ErrorKind::Duplicate | ErrorKind::Interpolation
    );
    if about_text {
        assert!(
            location
                .file
                .as_ref()
                .is_some_and(|f| in_files.contains(&PathBuf::from(f))),
            "no file in {message:?}"
        );
        assert!(location.line.is_some(), "no line in {message:?}");
    }
}
