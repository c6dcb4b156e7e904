//! Generated INI-ish input: nothing panics, the document round-trips, the
//! reader and the document agree, and `set` keeps its promises.

use std::collections::BTreeMap;
use std::path::Path;

use paste_deploy::ini::{IniDocument, IniFile};

/// A small deterministic generator (no dependencies).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = (self.next() % items.len() as u64) as usize;
        items[i]
    }

    fn text(&mut self, pieces: &[&str], max: u64) -> String {
        let n = self.next() % max;
        (0..n).map(|_| self.pick(pieces)).collect()
    }
}

const PIECES: &[&str] = &[
    "[",
    "]",
    "[s]",
    "[DEFAULT]",
    "[t]",
    "=",
    " = ",
    ":",
    "#",
    ";",
    "%",
    "%%",
    "%(",
    ")s",
    "%(a)s",
    "%(b)s",
    "%(here)s",
    "(",
    ")",
    "a",
    "b",
    "k",
    " ",
    "  ",
    "\t",
    "\n",
    "\n",
    "\n",
    "\r\n",
    "\r",
    "é",
    "\u{feff}",
    "\n  ",
    "\na = ",
    "\nb = ",
    "\n[s]\n",
];

#[test]
fn generated_input_never_panics_and_round_trips() {
    let mut rng = Rng(0x5eed);
    let overrides = BTreeMap::from([("a".to_owned(), "ov".to_owned())]);
    let mut parsed = 0;
    for _ in 0..20_000 {
        let text = rng.text(PIECES, 40);
        let file = IniFile::parse(&text, Some(Path::new("/x/y.ini")));
        let document = IniDocument::parse(&text);
        assert_eq!(file.is_ok(), document.is_ok(), "{text:?}");
        let (Ok(file), Ok(mut document)) = (file, document) else {
            continue;
        };
        parsed += 1;
        assert_eq!(document.to_string(), text);

        let mut names: Vec<String> = file.sections().map(|s| s.name().to_owned()).collect();
        names.push("DEFAULT".to_owned());
        for name in &names {
            let _ = file.items(name, &overrides);
            let _ = file.interpolate(name, &text, 1, &overrides);
        }
        let _ = file.defaults_interpolated(&overrides);

        // set: a value reads back (stripped), or the document is unchanged.
        let section = rng.pick(&["s", "t", "DEFAULT", "new"]);
        let key = rng.pick(&["a", "b", "k", "z"]);
        let value = rng.text(PIECES, 12);
        let before = document.to_string();
        match document.set(section, key, &value) {
            Ok(()) => {
                let got = document.get(section, key).unwrap();
                let expect: Vec<&str> =
                    value.split(['\n', '\r']).map(str::trim).collect::<Vec<_>>();
                let expect = expect.join("\n");
                // Lines split on `\r\n` leave an extra empty part here;
                // compare without empty lines.
                let squash = |s: &str| {
                    s.split('\n')
                        .filter(|l| !l.is_empty())
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                assert_eq!(squash(&got), squash(&expect), "{before:?} {value:?}");
                let again = IniDocument::parse(&document.to_string()).unwrap();
                assert_eq!(again, document);
            }
            Err(_) => assert_eq!(document.to_string(), before),
        }
        if document.remove(section, key) {
            assert_eq!(document.get(section, key), None);
            IniFile::parse(&document.to_string(), None).unwrap();
        }
    }
    assert!(parsed > 1_000, "only {parsed} inputs parsed");
}
