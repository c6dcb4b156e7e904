//! Path traversal in `DirLoader` (RELIABILITY.md "Security"): every
//! name that could leave the template folder — raw, with backslashes, NUL,
//! Windows drive and share forms, absolute, or through a symlink — is a
//! `TemplateNotFound`, never the file outside.

use tempita::{Context, DirLoader, ErrorKind};

#[test]
fn traversal_dir_loader_refuses_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pages");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(dir.path().join("secret.html"), "SECRET").unwrap();
    std::fs::write(root.join("ok.html"), "fine").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.html"), root.join("link.html")).unwrap();
    std::os::unix::fs::symlink(dir.path(), root.join("out")).unwrap();
    let outside = dir.path().join("secret.html");
    let outside = outside.to_str().unwrap();
    let loader = DirLoader::new(&root);
    let names = [
        "../secret.html",
        "sub/../../secret.html",
        "./../secret.html",
        "..\\secret.html",
        "sub\\..\\..\\secret.html",
        "ok.html\0../../secret.html",
        "link.html",
        "out/secret.html",
        "C:\\secret.html",
        "c:/../../secret.html",
        "//server/share/secret.html",
        "\\\\server\\share\\secret.html",
        outside,
    ];
    for name in names {
        match loader.get(name) {
            Err(err) => assert_eq!(err.kind(), ErrorKind::TemplateNotFound, "{name:?}: {err}"),
            Ok(template) => {
                let text = template.substitute(&Context::new()).unwrap();
                assert_ne!(text, "SECRET", "{name:?} read the file outside");
            }
        }
    }
    // The control: a name inside is served.
    let ok = loader.get("ok.html").unwrap();
    assert_eq!(ok.substitute(&Context::new()).unwrap(), "fine");
}

#[test]
fn traversal_inherit_cannot_reach_outside_either() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pages");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(dir.path().join("secret.html"), "SECRET{{self.body}}").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.html"), root.join("link.html")).unwrap();
    for parent in [
        "../secret.html",
        "link.html",
        "..\\secret.html",
        "/../secret.html",
    ] {
        std::fs::write(
            root.join("page.html"),
            format!("{{{{inherit '{parent}'}}}}body"),
        )
        .unwrap();
        let loader = DirLoader::new(&root);
        let outcome = loader
            .get("page.html")
            .and_then(|t| t.substitute(&Context::new()));
        match outcome {
            Err(err) => assert_eq!(err.kind(), ErrorKind::TemplateNotFound, "{parent:?}: {err}"),
            Ok(text) => assert!(!text.contains("SECRET"), "{parent:?}: {text}"),
        }
    }
}
