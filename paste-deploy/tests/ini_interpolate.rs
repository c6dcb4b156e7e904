//! `%(name)s` interpolation: where names are looked up, and every error
//! with its exact message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use paste_deploy::ErrorKind;
use paste_deploy::ini::IniFile;

const PATH: &str = "/srv/site/app.ini";

fn ini(text: &str) -> IniFile {
    IniFile::parse(text, Some(Path::new(PATH))).unwrap()
}

fn none() -> BTreeMap<String, String> {
    BTreeMap::new()
}

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn get(ini: &IniFile, section: &str, key: &str) -> String {
    ini.get(section, key, &none()).unwrap().unwrap()
}

fn get_err(ini: &IniFile, section: &str, key: &str) -> String {
    let e = ini.get(section, key, &none()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interpolation);
    e.to_string()
}

#[test]
fn plain_values_and_percent_escapes() {
    let f = ini("[s]\na = plain\nb = 100%%\nc = %%(a)s\n");
    assert_eq!(get(&f, "s", "a"), "plain");
    assert_eq!(get(&f, "s", "b"), "100%");
    assert_eq!(get(&f, "s", "c"), "%(a)s");
}

#[test]
fn own_keys_then_defaults() {
    let f = ini("[DEFAULT]\nx = dx\ny = dy\n[s]\nx = sx\nv = %(x)s %(y)s\n");
    assert_eq!(get(&f, "s", "v"), "sx dy");
}

#[test]
fn names_are_case_sensitive_and_may_hold_spaces() {
    let f = ini("[s]\nX = big\nx = small\nlocal conf = lc\nv = %(X)s %(x)s %(local conf)s\n");
    assert_eq!(get(&f, "s", "v"), "big small lc");
}

#[test]
fn found_values_are_interpolated_in_the_section_context() {
    // A DEFAULT value saying %(a)s sees the reading section's `a`.
    let f = ini("[DEFAULT]\nb = %(a)s+\na = 1\n[s]\na = 2\nv = %(b)s\n[t]\nv = %(b)s\n");
    assert_eq!(get(&f, "s", "v"), "2+");
    assert_eq!(get(&f, "t", "v"), "1+");
}

#[test]
fn chains_resolve() {
    let f = ini("[s]\na = %(b)s/a\nb = %(c)s/b\nc = root\n");
    assert_eq!(get(&f, "s", "a"), "root/b/a");
}

#[test]
fn here_and_file() {
    let f = ini("[DEFAULT]\nlog = %(here)s/log\n[s]\nv = %(log)s %(__file__)s\n");
    assert_eq!(get(&f, "s", "v"), "/srv/site/log /srv/site/app.ini");
    assert_eq!(get(&f, "DEFAULT", "log"), "/srv/site/log");
    assert_eq!(f.here(), Some(Path::new("/srv/site")));
}

#[test]
fn here_and_file_are_literal() {
    let f = IniFile::parse("[s]\nv = %(here)s\n", Some(Path::new("/100%/x.ini"))).unwrap();
    assert_eq!(get(&f, "s", "v"), "/100%");
}

#[test]
fn default_and_own_keys_shadow_here() {
    let f = ini("[DEFAULT]\nhere = /d\n[s]\nv = %(here)s\n[t]\nhere = /t\nv = %(here)s\n");
    assert_eq!(get(&f, "s", "v"), "/d");
    assert_eq!(get(&f, "t", "v"), "/t");
}

#[test]
fn overrides_beat_defaults_but_not_own_keys() {
    let f = ini(
        "[DEFAULT]\nhttp_port = 8080\n[server:main]\nport = %(http_port)s\n[s]\nhttp_port = 1\nv = %(http_port)s\n",
    );
    let globals = vars(&[("http_port", "8766")]);
    assert_eq!(
        f.get("server:main", "port", &globals).unwrap().as_deref(),
        Some("8766")
    );
    assert_eq!(f.get("s", "v", &globals).unwrap().as_deref(), Some("1"));
}

#[test]
fn overrides_are_taken_literally() {
    let f = ini("[s]\nv = %(pct)s and %(ref)s\n");
    let globals = vars(&[("pct", "100%"), ("ref", "%(nope)s")]);
    assert_eq!(
        f.get("s", "v", &globals).unwrap().as_deref(),
        Some("100% and %(nope)s")
    );
}

#[test]
fn overrides_reach_defaults_read_in_a_section() {
    let f = ini("[DEFAULT]\nport = 80\nurl = http://h:%(port)s/\n[s]\nv = %(url)s\n");
    let globals = vars(&[("port", "81")]);
    assert_eq!(
        f.get("s", "v", &globals).unwrap().as_deref(),
        Some("http://h:81/")
    );
}

#[test]
fn get_on_default_reads_the_defaults_with_overrides_first() {
    let f = ini("[DEFAULT]\nport = 80\nurl = http://h:%(port)s/\n[s]\n");
    assert_eq!(get(&f, "DEFAULT", "url"), "http://h:80/");
    let globals = vars(&[("port", "81")]);
    assert_eq!(
        f.get("DEFAULT", "url", &globals).unwrap().as_deref(),
        Some("http://h:81/")
    );
    // The key itself is read from [DEFAULT], not from the overrides.
    assert_eq!(
        f.get("DEFAULT", "port", &globals).unwrap().as_deref(),
        Some("80")
    );
}

#[test]
fn a_default_may_extend_an_override_of_itself() {
    let f = ini("[DEFAULT]\npath = %(path)s:/extra\n");
    let globals = vars(&[("path", "/bin")]);
    assert_eq!(
        f.get("DEFAULT", "path", &globals).unwrap().as_deref(),
        Some("/bin:/extra")
    );
}

#[test]
fn missing_keys_and_sections_are_none() {
    let f = ini("[DEFAULT]\nd = 1\n[s]\na = 1\n");
    assert_eq!(f.get("s", "nope", &none()).unwrap(), None);
    // Defaults are not consulted for the key itself.
    assert_eq!(f.get("s", "d", &none()).unwrap(), None);
    assert_eq!(f.get("nope", "a", &none()).unwrap(), None);
    assert_eq!(ini("[s]\n").get("DEFAULT", "a", &none()).unwrap(), None);
}

#[test]
fn interpolation_is_lazy() {
    // A broken value does not stop the others from being read.
    let f = ini("[s]\nbad = %(nope)s\ngood = 1\n");
    assert_eq!(get(&f, "s", "good"), "1");
}

#[test]
fn interpolate_arbitrary_text() {
    let f = ini("[DEFAULT]\nd = dv\n[s]\na = av\n");
    let got = f
        .interpolate("s", "%(a)s-%(d)s-%(here)s", 7, &none())
        .unwrap();
    assert_eq!(got, "av-dv-/srv/site");
    // A section that does not exist sees the defaults only.
    assert_eq!(
        f.interpolate("app:other", "%(d)s", 1, &none()).unwrap(),
        "dv"
    );
    let e = f.interpolate("s", "x %(zz)s", 7, &none()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/srv/site/app.ini:7 [s]: no value for %(zz)s in \"x %(zz)s\""
    );
}

#[test]
fn items_interpolated() {
    let f = ini("[DEFAULT]\nd = 1\n[s]\na = %(d)s\nb = x\n");
    assert_eq!(
        f.items("s", &none()).unwrap().unwrap(),
        [
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "x".to_owned())
        ]
    );
    assert_eq!(f.items("nope", &none()).unwrap(), None);
    let e = ini("[s]\nok = 1\nbad = %(x)s\n")
        .items("s", &none())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "/srv/site/app.ini:3 [s]: no value for %(x)s in \"bad = %(x)s\""
    );
}

#[test]
fn defaults_interpolated_lists_here_file_and_defaults() {
    let f = ini("[DEFAULT]\nport = 80\nurl = http://h:%(port)s%(here)s\n");
    let pairs = |v: Vec<(String, String)>| v;
    assert_eq!(
        pairs(f.defaults_interpolated(&none()).unwrap()),
        [
            ("here".to_owned(), "/srv/site".to_owned()),
            ("__file__".to_owned(), PATH.to_owned()),
            ("port".to_owned(), "80".to_owned()),
            ("url".to_owned(), "http://h:80/srv/site".to_owned()),
        ]
    );
    let globals = vars(&[("port", "81")]);
    assert_eq!(
        f.defaults_interpolated(&globals).unwrap().last().unwrap().1,
        "http://h:81/srv/site"
    );
    // Without a path: no here or __file__; a [DEFAULT] `here` is not doubled.
    let g = IniFile::parse("[DEFAULT]\nhere = /x\n", None).unwrap();
    assert_eq!(
        g.defaults_interpolated(&none()).unwrap(),
        [("here".to_owned(), "/x".to_owned())]
    );
    assert!(
        IniFile::parse("", None)
            .unwrap()
            .defaults_interpolated(&none())
            .unwrap()
            .is_empty()
    );
}

// ---- errors

#[test]
fn error_missing_name() {
    let f = ini("[DEFAULT]\nd = 1\n\n[server:main]\nport = %(http_port)s\n");
    assert_eq!(
        get_err(&f, "server:main", "port"),
        "/srv/site/app.ini:5 [server:main]: no value for %(http_port)s in \"port = %(http_port)s\""
    );
}

#[test]
fn error_missing_name_without_a_path() {
    let f = IniFile::parse("[s]\nv = %(here)s\n", None).unwrap();
    assert_eq!(
        get_err(&f, "s", "v"),
        "line 2 [s]: no value for %(here)s in \"v = %(here)s\""
    );
}

#[test]
fn error_missing_name_in_a_nested_value() {
    let f = ini("[DEFAULT]\nbase = http://%(host)s\n[app:main]\nurl = %(base)s/x\n");
    assert_eq!(
        get_err(&f, "app:main", "url"),
        "/srv/site/app.ini:4 [app:main]: no value for %(host)s in \"base = http://%(host)s\" \
         (line 2 [DEFAULT], reached through url -> base)"
    );
}

#[test]
fn error_bare_percent() {
    let f = ini("[s]\na = 100%\nb = 50%d\nc =\n  x\n  %é\n");
    assert_eq!(
        get_err(&f, "s", "a"),
        "/srv/site/app.ini:2 [s]: `%` must be followed by `%` or `(`, found \"%\" in \"a = 100%\""
    );
    assert_eq!(
        get_err(&f, "s", "b"),
        "/srv/site/app.ini:3 [s]: `%` must be followed by `%` or `(`, found \"%d\" in \"b = 50%d\""
    );
    assert_eq!(
        get_err(&f, "s", "c"),
        "/srv/site/app.ini:4 [s]: `%` must be followed by `%` or `(`, found \"%é\" in \"c = \\nx\\n%é\""
    );
}

#[test]
fn error_bad_references() {
    let f = ini("[s]\na = %(name)\nb = %(name)d!\nc = %(name\nd = %()s\ne = %(x)\nx = 1\n");
    assert_eq!(
        get_err(&f, "s", "a"),
        "/srv/site/app.ini:2 [s]: bad reference \"%(name)\" in \"a = %(name)\": expected `%(name)s`"
    );
    assert_eq!(
        get_err(&f, "s", "b"),
        "/srv/site/app.ini:3 [s]: bad reference \"%(name)d\" in \"b = %(name)d!\": expected `%(name)s`"
    );
    assert_eq!(
        get_err(&f, "s", "c"),
        "/srv/site/app.ini:4 [s]: bad reference \"%(name\" in \"c = %(name\": expected `%(name)s`"
    );
    assert_eq!(
        get_err(&f, "s", "d"),
        "/srv/site/app.ini:5 [s]: bad reference \"%()s\" in \"d = %()s\": expected `%(name)s`"
    );
    assert_eq!(
        get_err(&f, "s", "e"),
        "/srv/site/app.ini:6 [s]: bad reference \"%(x)\" in \"e = %(x)\": expected `%(name)s`"
    );
}

#[test]
fn error_bad_percent_in_a_nested_value() {
    let f = ini("[DEFAULT]\nratio = 100%\n[s]\nv = %(ratio)s\n");
    assert_eq!(
        get_err(&f, "s", "v"),
        "/srv/site/app.ini:4 [s]: `%` must be followed by `%` or `(`, found \"%\" in \"ratio = 100%\" \
         (line 2 [DEFAULT], reached through v -> ratio)"
    );
}

#[test]
fn error_loops() {
    let f = ini("[s]\na = %(b)s\nb = x%(a)s\nself = %(self)s\n");
    assert_eq!(
        get_err(&f, "s", "a"),
        "/srv/site/app.ini:2 [s]: interpolation loop: a -> b -> a"
    );
    assert_eq!(
        get_err(&f, "s", "b"),
        "/srv/site/app.ini:3 [s]: interpolation loop: b -> a -> b"
    );
    // A key that names itself loops: its own key shadows [DEFAULT].
    assert_eq!(
        get_err(&f, "s", "self"),
        "/srv/site/app.ini:4 [s]: interpolation loop: self -> self"
    );
    let e = f.interpolate("s", "%(a)s", 9, &none()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/srv/site/app.ini:9 [s]: interpolation loop: a -> b -> a"
    );
}

#[test]
fn error_loop_through_defaults() {
    let f = ini("[DEFAULT]\nd = %(s1)s\n[s]\ns1 = %(d)s\n");
    assert_eq!(
        get_err(&f, "s", "s1"),
        "/srv/site/app.ini:4 [s]: interpolation loop: s1 -> d -> s1"
    );
}

/// `[s]` with `a0 = %(a1)s` … `a{n-1} = %(a{n})s`, `a{n} = end`.
fn chain(n: usize) -> IniFile {
    let mut text = String::from("[s]\n");
    for i in 0..n {
        text.push_str(&format!("a{i} = %(a{})s\n", i + 1));
    }
    text.push_str(&format!("a{n} = end\n"));
    ini(&text)
}

#[test]
fn depth_ten_is_allowed() {
    // a0 .. a9 hold references: ten values deep, as ConfigParser allows.
    assert_eq!(get(&chain(10), "s", "a0"), "end");
}

#[test]
fn error_deeper_than_ten() {
    assert_eq!(
        get_err(&chain(11), "s", "a0"),
        "/srv/site/app.ini:2 [s]: interpolation nested more than 10 deep: \
         a0 -> a1 -> a2 -> a3 -> a4 -> a5 -> a6 -> a7 -> a8 -> a9 -> a10"
    );
}

#[test]
fn long_loops_do_not_overflow_the_stack() {
    let mut text = String::from("[s]\n");
    for i in 0..5000 {
        text.push_str(&format!("a{i} = %(a{})s\n", (i + 1) % 5000));
    }
    let f = ini(&text);
    let e = f.get("s", "a0", &none()).unwrap_err();
    assert!(
        e.message()
            .starts_with("interpolation nested more than 10 deep")
    );
}

#[test]
fn the_fixture_interpolates() {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ini/site.ini");
    let f = IniFile::read(&path).unwrap();
    let dir = path.parent().unwrap().display().to_string();
    assert_eq!(get(&f, "server:main", "port"), "8080");
    assert_eq!(get(&f, "DEFAULT", "log_dir"), format!("{dir}/log"));
    assert_eq!(
        f.get("server:main", "port", &vars(&[("http_port", "9")]))
            .unwrap()
            .as_deref(),
        Some("9")
    );
}
