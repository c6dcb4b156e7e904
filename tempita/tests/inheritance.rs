//! `{{inherit}}`, `self`, `self.body`, `self.get`, loaders and directories.

use std::collections::HashMap;

use tempita::{Context, DirLoader, ErrorKind, HtmlTemplate, Result, Template};

/// A loader over an in-memory map of templates, as in Tempita's doctests.
fn map_loader(
    templates: HashMap<&'static str, &'static str>,
) -> impl Fn(&str, &Template) -> Result<Template> {
    move |name: &str, from: &Template| match templates.get(name) {
        Some(src) => from.sibling(*src).name(name).build(),
        None => Err(tempita::Error::new(
            ErrorKind::TemplateNotFound,
            format!("no {name}"),
        )),
    }
}

#[test]
fn tempita_inheritance_doctest() {
    let templates = HashMap::from([
        (
            "super_test",
            "{{self.block('blah')}}\n{{self.body}}\n{{self.get.something('hi')}}x",
        ),
        (
            "child",
            "{{default master = 'test'}}{{inherit 'super_' + master}}{{def block(arg='hi_' + master)}}block:{{arg}}{{enddef}}body",
        ),
    ]);
    let loader = map_loader(templates);
    let child = Template::builder(
        "{{default master = 'test'}}{{inherit 'super_' + master}}{{def block(arg='hi_' + master)}}block:{{arg}}{{enddef}}body",
    )
    .name("child")
    .loader(loader)
    .build()
    .unwrap();
    assert_eq!(
        child.substitute(&Context::new()).unwrap(),
        "block:blah\nbody\nx"
    );
}

#[test]
fn default_inherit_and_namespace_flow() {
    let loader = map_loader(HashMap::from([(
        "layout",
        "<{{title}}|{{self.block()}}|{{self.body}}|{{x}}>",
    )]));
    let t = Template::builder("{{py:x = 42}}{{def block(arg='hi')}}{{arg}}{{enddef}}main")
        .default_inherit("layout")
        .loader(loader)
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&Context::new().with("title", "T")).unwrap(),
        "<T|hi|main|42>"
    );
}

#[test]
fn inheritance_chain_and_loop_guard() {
    let loader = map_loader(HashMap::from([
        ("a", "{{inherit 'b'}}A[{{self.body}}]"),
        ("b", "B[{{self.body}}]"),
        ("loop", "{{inherit 'loop'}}x"),
    ]));
    let t = Template::builder("{{inherit 'a'}}c")
        .loader(loader)
        .build()
        .unwrap();
    assert_eq!(t.substitute(&Context::new()).unwrap(), "B[A[c]]");
    let loader = map_loader(HashMap::from([("loop", "{{inherit 'loop'}}x")]));
    let t = Template::builder("{{inherit 'loop'}}")
        .loader(loader)
        .build()
        .unwrap();
    assert!(
        t.substitute(&Context::new())
            .unwrap_err()
            .to_string()
            .contains("nested more than 32 deep")
    );
}

#[test]
fn inherit_without_loader_is_an_error() {
    let e = Template::builder("x\n{{inherit 'base'}}")
        .name("t")
        .build()
        .unwrap()
        .substitute(&Context::new())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "t:2:3: You cannot use inheritance without passing in get_template"
    );
    assert_eq!(e.kind(), ErrorKind::TemplateNotFound);
}

#[test]
fn dir_loader_serves_files_and_refuses_traversal() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pages");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
    std::fs::write(
        root.join("base.html"),
        "<title>{{self.title()}}</title>\n{{self.body}}",
    )
    .unwrap();
    std::fs::write(
        root.join("sub/page.html"),
        "{{inherit '../base.html'}}\n{{def title}}T&C{{enddef}}\n<p>{{msg}}</p>\n",
    )
    .unwrap();
    std::fs::write(root.join("sub/evil.html"), "{{inherit '../../secret.txt'}}").unwrap();
    std::fs::write(
        root.join("sub/abs.html"),
        "{{inherit '/base.html'}}{{def title}}abs{{enddef}}",
    )
    .unwrap();
    std::fs::write(root.join("plain.txt"), "{{msg}}").unwrap();
    let loader = DirLoader::new(&root);
    let page = loader.get("sub/page.html").unwrap();
    assert!(page.is_html());
    let ctx = Context::new().with("msg", "<b>");
    assert_eq!(
        page.substitute(&ctx).unwrap(),
        "<title>T&C</title>\n\n<p>&lt;b&gt;</p>\n"
    );
    assert_eq!(
        loader
            .get("sub/abs.html")
            .unwrap()
            .substitute(&ctx)
            .unwrap(),
        "<title>abs</title>\n"
    );
    assert_eq!(
        loader.get("plain.txt").unwrap().substitute(&ctx).unwrap(),
        "<b>"
    );
    let e = loader
        .get("sub/evil.html")
        .unwrap()
        .substitute(&ctx)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TemplateNotFound);
    assert!(
        e.to_string()
            .starts_with("sub/evil.html:1:3: template \"../../secret.txt\" not found"),
        "{e}"
    );
    for bad in [
        "../secret.txt",
        "/../secret.txt",
        "sub/../../secret.txt",
        "nope.html",
        "sub",
    ] {
        assert_eq!(
            loader.get(bad).unwrap_err().kind(),
            ErrorKind::TemplateNotFound,
            "{bad}"
        );
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
        assert_eq!(
            loader.get("link.txt").unwrap_err().kind(),
            ErrorKind::TemplateNotFound
        );
    }
}

#[test]
fn dir_loader_reloads_changed_files_and_reports_errors_with_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.tmpl");
    std::fs::write(&path, "one").unwrap();
    let loader = DirLoader::new(dir.path());
    assert_eq!(
        loader
            .get("p.tmpl")
            .unwrap()
            .substitute(&Context::new())
            .unwrap(),
        "one"
    );
    std::fs::write(&path, "two {{if x}}").unwrap();
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    let e = loader.get("p.tmpl").unwrap_err();
    assert_eq!(e.to_string(), "p.tmpl:1:7: No {{endif}}");
}

#[test]
fn from_file_inherits_from_siblings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.html"), "[{{self.body}}]").unwrap();
    std::fs::write(
        dir.path().join("child.html"),
        "{{inherit 'base.html'}}<{{x}}>",
    )
    .unwrap();
    let t = HtmlTemplate::from_file(dir.path().join("child.html")).unwrap();
    assert_eq!(
        t.substitute(&Context::new().with("x", "&")).unwrap(),
        "[<&amp;>]"
    );
    let e = Template::from_file(dir.path().join("missing.html")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
}

#[test]
fn dir_loader_namespace_reaches_every_template_and_context_from_a_map() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("layout.tmpl"),
        "[{{shout(site)}}|{{self.body}}]",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("page.tmpl"),
        "{{inherit 'layout.tmpl'}}{{shout(request['path'])}}",
    )
    .unwrap();
    let shout = tempita::Value::from_function("shout", |args, _| {
        Ok(args[0].to_string().to_uppercase().into())
    });
    let loader = DirLoader::new(dir.path())
        .namespace(&Context::new().with("shout", shout).with("site", "demo"));
    let request: HashMap<String, tempita::Value> = HashMap::from([(
        "request".to_owned(),
        tempita::Value::from(HashMap::from([("path", "/a/b")])),
    )]);
    let ctx: Context = request.into_iter().collect();
    assert_eq!(
        loader.get("page.tmpl").unwrap().substitute(&ctx).unwrap(),
        "[DEMO|/A/B]"
    );
}

#[test]
fn named_template_runtime_error_doctest() {
    let t = Template::builder("Hi {{name}}")
        .name("tmpl")
        .build()
        .unwrap();
    let e = t.substitute(&Context::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "tmpl:1:6: NameError: name 'name' is not defined"
    );
    let upper =
        tempita::Value::from_function("upper", |a, _| Ok(a[0].to_string().to_uppercase().into()));
    let t = Template::builder("Hi {{upper(name)}}")
        .namespace(&Context::new().with("upper", upper))
        .build()
        .unwrap();
    assert_eq!(
        t.substitute(&Context::new().with("name", "Bob")).unwrap(),
        "Hi BOB"
    );
}

#[test]
fn parents_take_the_mode_of_the_child_and_outlive_the_loader() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("layout.html"), "<{{x}}>[{{self.body}}]").unwrap();
    std::fs::write(
        dir.path().join("page.tmpl"),
        "{{inherit 'layout.html'}}{{x}}",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("page.html"),
        "{{inherit 'layout.html'}}{{x}}",
    )
    .unwrap();
    let ctx = Context::new().with("x", "&");
    let (plain, html) = {
        let loader = DirLoader::new(dir.path());
        (
            loader.get("page.tmpl").unwrap(),
            loader.get("page.html").unwrap(),
        )
    };
    assert!(!plain.is_html());
    assert_eq!(plain.substitute(&ctx).unwrap(), "<&>[&]");
    assert_eq!(html.substitute(&ctx).unwrap(), "<&amp;>[&amp;]");
    let forced = DirLoader::new(dir.path()).html(true);
    assert_eq!(
        forced.get("page.tmpl").unwrap().substitute(&ctx).unwrap(),
        "<&amp;>[&amp;]"
    );
}

#[test]
fn self_get_finds_existing_defs_and_template_name_is_set() {
    let loader = map_loader(HashMap::from([(
        "base",
        "{{self.get.title('x')}}|{{self.get.missing}}|{{__template_name__}}",
    )]));
    let t = Template::builder("{{inherit 'base'}}{{def title(a)}}T{{a}}{{enddef}}")
        .name("child")
        .loader(loader)
        .build()
        .unwrap();
    assert_eq!(t.substitute(&Context::new()).unwrap(), "Tx||base");
}

#[test]
fn errors_in_a_parent_name_the_parent_and_io_errors_keep_their_cause() {
    let loader = map_loader(HashMap::from([("base", "ok\n{{missing}}")]));
    let t = Template::builder("{{inherit 'base'}}x")
        .name("child")
        .loader(loader)
        .build()
        .unwrap();
    let e = t.substitute(&Context::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "base:2:3: NameError: name 'missing' is not defined"
    );
    let e = Template::from_file("/nonexistent/dir/t.html").unwrap_err();
    let cause = std::error::Error::source(&e).expect("the io::Error is kept");
    assert!(cause.downcast_ref::<std::io::Error>().is_some());
}
