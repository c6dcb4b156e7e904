//! Loading the fixture configs in `tests/fixtures/deploy/` through test
//! factories that say what they received.
#![allow(missing_docs)]

use std::path::{Path, PathBuf};

use paste_core::{App, Body, BoxApp, Request, Response, app_fn};
use paste_deploy::{Conf, ErrorKind, Filter, Registry};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deploy")
}

fn text_app(text: String) -> BoxApp {
    BoxApp::new(app_fn(move |_req| {
        let text = text.clone();
        async move { Ok(Response::new(text.into())) }
    }))
}

async fn body(app: &BoxApp) -> String {
    let response = app.call(Request::new(Body::empty())).await.unwrap();
    let bytes = response.into_body().to_bytes(1 << 16).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn registry() -> Registry {
    let mut registry = Registry::new();
    registry
        .app("record", |_global, local| {
            Ok(text_app(format!("{local:?}")))
        })
        .alias("Test#record", "record")
        .app("echo", |_global, local| {
            Ok(text_app(local.require("text")?.to_owned()))
        })
        .composite("pick", |loader, _global, local| {
            let mut loaded = Vec::new();
            for (key, name) in local.iter() {
                loader.get_app(name)?;
                loaded.push(key.to_owned());
            }
            Ok(text_app(loaded.join(",")))
        })
        .alias("Test#pick", "pick")
        .filter("tag", |_global, local| {
            let name = local.get("name").unwrap_or("tag").to_owned();
            Ok(Filter::new(move |inner: BoxApp| {
                let name = name.clone();
                Ok(BoxApp::new(app_fn(move |req| {
                    let (inner, name) = (inner.clone(), name.clone());
                    async move {
                        let response = inner.call(req).await?;
                        let text = response.into_body().to_bytes(1 << 16).await?;
                        let text = String::from_utf8_lossy(&text).into_owned();
                        Ok(Response::new(format!("{name}({text})").into()))
                    }
                })))
            }))
        })
        .filter_app("bracket", |inner, _global, local| {
            let label = local.require("label")?.to_owned();
            Ok(BoxApp::new(app_fn(move |req| {
                let (inner, label) = (inner.clone(), label.clone());
                async move {
                    let response = inner.call(req).await?;
                    let text = response.into_body().to_bytes(1 << 16).await?;
                    let text = String::from_utf8_lossy(&text).into_owned();
                    Ok(Response::new(format!("[{label}:{text}]").into()))
                }
            })))
        });
    registry
}

fn config(name: &str, globals: &Conf) -> paste_deploy::AppConfig {
    registry()
        .app_config("config:config.ini", Some(name), Some(&fixtures()), globals)
        .unwrap()
}

fn local(config: &paste_deploy::AppConfig) -> Vec<(String, String)> {
    config
        .local
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn locals_globals_and_here() {
    let config = config("test1", &Conf::new());
    let here = fixtures().display().to_string();
    assert_eq!(
        local(&config),
        pairs(&[
            ("setting1", "foo"),
            ("setting2", "bar"),
            ("apppath", &format!("{here}/app"))
        ])
    );
    assert_eq!(config.global.get("def1"), Some("a"));
    assert_eq!(config.global.get("here"), Some(here.as_str()));
    assert_eq!(
        config.global.get("__file__"),
        Some(fixtures().join("config.ini").display().to_string().as_str())
    );
}

#[test]
fn set_writes_globals_and_the_outer_section_wins_through_use() {
    let test2 = config("test2", &Conf::new());
    assert_eq!(test2.global.get("def1"), Some("test2"));
    assert_eq!(local(&test2), pairs(&[("another", "TEST")]));

    let test3 = config("test3", &Conf::new());
    assert_eq!(test3.global.get("def1"), Some("test3"));
    assert_eq!(
        local(&test3),
        pairs(&[
            ("another", "TEST"),
            ("setting2", "bar\nwith a continuation")
        ])
    );
}

#[test]
fn get_reads_globals_after_every_set() {
    let config = config("test_get", &Conf::new());
    assert_eq!(local(&config), pairs(&[("def1", "a"), ("foo", "TEST")]));
    assert_eq!(config.global.get("def2"), Some("TEST"));
}

#[test]
fn caller_globals_override_defaults_in_interpolation_too() {
    let globals: Conf = [("def1", "from-caller"), ("inherit", "bazbar")]
        .into_iter()
        .collect();
    let config = config("test_global_conf", &globals);
    // PasteDeploy would give port = a here: it ignores caller values that
    // [DEFAULT] defines when interpolating.
    assert_eq!(
        local(&config),
        pairs(&[("test_interp", "this:bazbar"), ("port", "from-caller")])
    );
    assert_eq!(config.global.get("def1"), Some("from-caller"));
}

#[test]
fn a_local_key_named_like_a_default_is_kept() {
    // PasteDeploy drops it silently.
    let config = config("shadow", &Conf::new());
    assert_eq!(local(&config), pairs(&[("def1", "mine")]));
    assert_eq!(config.global.get("def1"), Some("a"));
}

#[test]
fn use_config_reaches_into_another_file() {
    let globals: Conf = [("def2", "from-caller")].into_iter().collect();
    let config = config("test_foreign_config", &globals);
    let here = fixtures().display().to_string();
    assert_eq!(
        local(&config),
        pairs(&[("another", "FOO"), ("inner_only", &format!("c at {here}"))])
    );
    // The caller beats the included file's [DEFAULT]; its extra keys stay;
    // the outer `set` wins; here and __file__ are the outer file's.
    assert_eq!(config.global.get("def2"), Some("from-caller"));
    assert_eq!(config.global.get("def3"), Some("c"));
    assert_eq!(config.global.get("glob"), Some("outer"));
    assert_eq!(
        config.global.get("__file__"),
        Some(fixtures().join("config.ini").display().to_string().as_str())
    );
}

#[test]
fn names_fragments_aliases_and_bare_sections() {
    let registry = registry();
    let dir = fixtures();
    // An explicit name wins over the fragment.
    let config = registry
        .app_config(
            "config:config.ini#ignored",
            Some("alias"),
            Some(&dir),
            &Conf::new(),
        )
        .unwrap();
    assert_eq!(local(&config), pairs(&[("via", "application")]));
    // With neither, the name is main, and a bare [app] answers to it.
    let config = registry
        .app_config("config:config.ini", None, Some(&dir), &Conf::new())
        .unwrap();
    assert_eq!(local(&config), pairs(&[("bare", "yes")]));
    // The scheme is case-insensitive; a paste.app_factory key names a factory.
    let config = registry
        .app_config(
            "CONFIG:config.ini#bare-call",
            None,
            Some(&dir),
            &Conf::new(),
        )
        .unwrap();
    assert_eq!(local(&config), pairs(&[("x", "1")]));
}

#[tokio::test]
async fn composites_load_the_apps_they_name() {
    let app = registry()
        .load_app(
            "config:config.ini#urls",
            None,
            Some(&fixtures()),
            &Conf::new(),
        )
        .unwrap();
    assert_eq!(body(&app).await, "first,second");
}

#[tokio::test]
async fn pipelines_put_the_first_filter_outermost() {
    let registry = registry();
    let dir = fixtures();
    let load = |name: &str| {
        registry
            .load_app("config:filters.ini", Some(name), Some(&dir), &Conf::new())
            .unwrap()
    };
    assert_eq!(body(&load("main")).await, "outer(inner(app))");
    assert_eq!(body(&load("wrapped")).await, "outer(core)");
    // filter-with on a filter: the filter-with target ends up outermost.
    assert_eq!(body(&load("double-wrapped")).await, "inner(first(core))");
    assert_eq!(body(&load("fa")).await, "[fa:app]");
    // PasteDeploy returns a bare function for filter-with on a pipeline.
    assert_eq!(body(&load("with-filter-with")).await, "outer(inner(app))");
    // A pipeline entry can be a URI.
    assert_eq!(body(&load("with-egg")).await, "tag(app)");
}

fn error(uri: &str, name: &str) -> paste_deploy::Error {
    match registry().load_app(uri, Some(name), Some(&fixtures()), &Conf::new()) {
        Ok(_) => panic!("{uri}#{name} loaded"),
        Err(err) => err,
    }
}

#[test]
fn every_error_says_what_and_where() {
    let file = fixtures().join("errors.ini").display().to_string();
    let cases: &[(&str, ErrorKind, String)] = &[
        (
            "both",
            ErrorKind::AmbiguousSection,
            format!("{file}: ambiguous section names [app:both], [composite:both] for \"both\""),
        ),
        (
            "nothing",
            ErrorKind::MissingSection,
            format!(
                "{file}: no section \"nothing\" (prefixed by \"app\", \"application\", \"composite\", \"composit\", \"pipeline\" or \"filter-app\") found in config; there are [app:both], [composite:both], [filter-app:no-next], [pipeline:no-pipeline], [pipeline:extra], [pipeline:empty], [app:no-loader], [app:two-protocols], [app:loop-a], [app:loop-b], [app:bad-get], [app:unknown], [app:bad-interp], [app:app], [composite:self]"
            ),
        ),
        (
            "no-next",
            ErrorKind::BadSection,
            format!(
                "{file}:7 [filter-app:no-next]: the [filter-app:no-next] section is missing a \"next\" setting"
            ),
        ),
        (
            "no-pipeline",
            ErrorKind::BadSection,
            format!(
                "{file}:10 [pipeline:no-pipeline]: the [pipeline:no-pipeline] section is missing a \"pipeline\" setting"
            ),
        ),
        (
            "extra",
            ErrorKind::BadSection,
            format!(
                "{file}:13 [pipeline:extra]: the [pipeline:extra] section has extra (disallowed) settings: k1, k2"
            ),
        ),
        (
            "empty",
            ErrorKind::BadSection,
            format!("{file}:19 [pipeline:empty]: the pipeline is empty"),
        ),
        (
            "no-loader",
            ErrorKind::NoLoader,
            format!(
                "{file}:21 [app:no-loader]: no loader given: the section has neither `use` nor one of paste.app_factory, paste.composite_factory, paste.composit_factory"
            ),
        ),
        (
            "two-protocols",
            ErrorKind::BadSection,
            format!(
                "{file}:24 [app:two-protocols]: multiple protocols given: paste.app_factory = Test#record, paste.composite_factory = Test#pick"
            ),
        ),
        (
            "loop-a",
            ErrorKind::Cycle,
            format!(
                "{file}:28 [app:loop-a]: a cycle of references: errors.ini[app:loop-a] -> errors.ini[app:loop-b] -> errors.ini[app:loop-a]"
            ),
        ),
        (
            "bad-get",
            ErrorKind::MissingValue,
            format!(
                "{file}:36 [app:bad-get]: get x = nope: there is no global \"nope\" (globals: here, __file__)"
            ),
        ),
        (
            "unknown",
            ErrorKind::UnknownFactory,
            format!(
                "{file}:39 [app:unknown]: no app factory \"egg:Test#recrod\" is registered; did you mean \"record\" or \"Test#record\"? (registered: echo, pick, record)"
            ),
        ),
    ];
    for (name, kind, message) in cases {
        let err = error("config:errors.ini", name);
        assert_eq!(
            (err.kind(), err.to_string()),
            (*kind, message.clone()),
            "{name}"
        );
    }
}

/// A factory's own error (`require` of a missing key) is located at the
/// section that used the factory, header line included, even when a
/// filter-app's factory runs later, as a pipeline applies it.
#[test]
fn factory_errors_are_located_at_their_section() {
    let file = fixtures().join("factory-errors.ini").display().to_string();
    for (name, message) in [
        (
            "no-text",
            format!("{file}:3 [app:no-text]: text is required"),
        ),
        (
            "main",
            format!("{file}:9 [filter:unlabelled]: label is required"),
        ),
        (
            "fa",
            format!("{file}:16 [filter-app:fa]: label is required"),
        ),
    ] {
        let err = error("config:factory-errors.ini", name);
        assert_eq!(
            (err.kind(), err.to_string()),
            (ErrorKind::MissingValue, message),
            "{name}"
        );
    }
}

#[test]
fn interpolation_errors_name_the_value() {
    let err = error("config:errors.ini", "bad-interp");
    assert_eq!(err.kind(), ErrorKind::Interpolation);
    let file = fixtures().join("errors.ini").display().to_string();
    assert!(
        err.to_string()
            .starts_with(&format!("{file}:43 [app:bad-interp]: ")),
        "{err}"
    );
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn cycles_across_files_are_a_chain_not_a_stack_overflow() {
    let err = error("config:cycle-a.ini", "main");
    assert_eq!(err.kind(), ErrorKind::Cycle);
    assert!(
        err.to_string().ends_with(
            "a cycle of references: cycle-a.ini[app:main] -> cycle-b.ini[app:main] -> cycle-a.ini[app:main]"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn server_runners_and_filter_apps_load_as_servers_and_filters() {
    let mut registry = registry();
    let ran = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = std::sync::Arc::clone(&ran);
    registry.server_runner("runner", move |app, _global, local| {
        let seen = std::sync::Arc::clone(&seen);
        let port = local.get("port").unwrap_or_default().to_owned();
        Box::pin(async move {
            *seen.lock().unwrap() = Some((port, body(&app).await));
            Ok(())
        })
    });
    let dir = fixtures();
    let server = registry
        .load_server("config:config.ini", None, Some(&dir), &Conf::new())
        .unwrap();
    assert_eq!(server.worker_threads(), None);
    server.serve(text_app("served".to_owned())).await.unwrap();
    assert_eq!(
        ran.lock().unwrap().clone(),
        Some(("9999".to_owned(), "served".to_owned()))
    );
    // A filter-app factory used as a [filter:] is a filter.
    let filter = registry
        .load_filter("config:config.ini#solo", None, Some(&dir), &Conf::new())
        .unwrap();
    let app = filter.apply(text_app("inner".to_owned())).unwrap();
    assert_eq!(body(&app).await, "[solo:inner]");
}

#[test]
fn a_composite_naming_itself_is_a_cycle() {
    let err = error("config:errors.ini", "self");
    assert_eq!(err.kind(), ErrorKind::Cycle, "{err}");
    assert!(
        err.to_string().ends_with(
            "a cycle of references: errors.ini[composite:self] -> errors.ini[composite:self]"
        ),
        "{err}"
    );
}

#[test]
fn uri_errors() {
    let registry = registry();
    let load = |uri: &str, relative: Option<&Path>| {
        registry
            .load_app(uri, None, relative, &Conf::new())
            .err()
            .map(|e| e.to_string())
    };
    assert_eq!(
        load("config.ini", None).as_deref(),
        Some("URI has no scheme: \"config.ini\" (expected config:, egg: or call:)")
    );
    assert_eq!(
        load("ftp:config.ini", None).as_deref(),
        Some("URI scheme not known: \"ftp\" (known: config, egg, call)")
    );
    assert_eq!(
        load("config:config.ini", None).as_deref(),
        Some("cannot resolve the relative URI \"config:config.ini\": no relative_to given")
    );
    let missing = load("config:nope.ini", Some(&fixtures())).unwrap();
    assert!(missing.contains("nope.ini"), "{missing}");
}
