//! A Paste-style config using Paste's entry-point names loads and serves.
#![cfg(feature = "deploy")]
#![allow(missing_docs)]

use paste_core::{App, Body, Request};
use paste_deploy::{Conf, Registry};

async fn get(app: &paste_core::BoxApp, path: &str) -> (u16, String) {
    let req = Request::get(path).body(Body::empty()).unwrap();
    let response = app.call(req).await.unwrap_or_else(|e| e.into_response());
    let status = response.status().as_u16();
    let bytes = response.into_body().to_bytes(1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn a_paste_config_loads_unchanged() {
    let dir = std::env::temp_dir().join(format!("paste-mw-deploy-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("htdocs")).unwrap();
    std::fs::write(dir.join("htdocs/hello.txt"), "static hello").unwrap();
    std::fs::write(
        dir.join("site.ini"),
        "[composite:main]\nuse = egg:Paste#urlmap\n/ = home\n/files = files\ndomain other.example /x = home\n\n\
         [pipeline:home]\npipeline = egg:Paste#recursive config test\n\n\
         [filter:config]\nuse = egg:PasteDeploy#config\nsite = demo\n\n\
         [app:test]\nuse = egg:Paste#test\n\n\
         [app:files]\nuse = egg:Paste#static\ndocument_root = %(here)s/htdocs\n",
    )
    .unwrap();
    let mut registry = Registry::new();
    registry.register(paste_middleware::deploy::register);
    let app = registry
        .load_app("config:site.ini", None, Some(&dir), &Conf::new())
        .unwrap();
    let (status, page) = get(&app, "/some/where?q=1").await;
    assert_eq!(status, 200);
    assert!(page.contains("/some/where"), "{page}");
    assert_eq!(
        get(&app, "/files/hello.txt").await,
        (200, "static hello".to_owned())
    );
    assert_eq!(get(&app, "/files/../site.ini").await.0, 404);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_urlmap_key_names_its_line() {
    let dir = std::env::temp_dir().join(format!("paste-mw-deploy-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("site.ini"), "[composite:main]\nuse = egg:Paste#urlmap\nblog = test\n\n[app:test]\nuse = egg:Paste#test\n").unwrap();
    let mut registry = Registry::new();
    registry.register(paste_middleware::deploy::register);
    let err = registry
        .load_app("config:site.ini", None, Some(&dir), &Conf::new())
        .unwrap_err();
    let file = dir.join("site.ini").display().to_string();
    assert_eq!(
        err.to_string(),
        format!(
            "{file}:3 [composite:main]: bad setting blog = \"test\": is not a path, a domain entry or a URL"
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
