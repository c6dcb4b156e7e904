//! `bunch`: a dict whose keys are also attributes.

use crate::error::{ErrorKind, Result, rt};
use crate::value::{Dict, Kwargs, Object, Value};

#[derive(Debug)]
struct Bunch(Dict);

impl Bunch {
    fn lookup(&self, key: &Value) -> Option<Value> {
        self.0
            .get(key)
            .or_else(|| self.0.get_str("default"))
            .cloned()
    }
}

impl Object for Bunch {
    fn depth(&self) -> u32 {
        self.0.depth()
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        self.lookup(&Value::from(name))
    }
    fn get_item(&self, key: &Value) -> Option<Value> {
        self.lookup(key)
    }
    fn call_method(&self, name: &str, args: &[Value], _kw: &Kwargs) -> Option<Result<Value>> {
        let d = &self.0.entries;
        Some(Ok(match name {
            "items" => d
                .iter()
                .map(|(k, v)| Value::tuple([k.clone(), v.clone()]))
                .collect(),
            "keys" => d.iter().map(|(k, _)| k.clone()).collect(),
            "values" => d.iter().map(|(_, v)| v.clone()).collect(),
            "get" => match args {
                [k] => self.0.get(k).cloned().unwrap_or_default(),
                [k, default] => self.0.get(k).cloned().unwrap_or_else(|| default.clone()),
                _ => return Some(Err(rt(ErrorKind::Type, "get() takes 1 or 2 arguments"))),
            },
            _ => return None,
        }))
    }
    fn iterate(&self) -> Option<Vec<Value>> {
        Some(self.0.entries.iter().map(|(k, _)| k.clone()).collect())
    }
    fn is_true(&self) -> bool {
        !self.0.entries.is_empty()
    }
    fn repr(&self) -> String {
        let mut items: Vec<(String, String)> = self
            .0
            .entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.repr()))
            .collect();
        items.sort();
        let body: Vec<String> = items.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("<bunch {}>", body.join(" "))
    }
}

/// A `bunch`: a dict whose keys are also attributes. A `default` key answers
/// for missing keys.
///
/// ```
/// use tempita::{Value, bunch};
/// let b = bunch([("a", Value::from(1)), ("b", Value::from(2))]);
/// assert_eq!(b.repr(), "<bunch a=1 b=2>");
/// let t = tempita::Template::new("{{b.a}} {{b['b']}} {{d.missing}}").unwrap();
/// let ctx = tempita::Context::new()
///     .with("b", b)
///     .with("d", bunch([("default", Value::from("?"))]));
/// assert_eq!(t.substitute(&ctx).unwrap(), "1 2 ?");
/// ```
pub fn bunch<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let mut d = Dict::default();
    for (k, v) in pairs {
        d.insert(k.into(), v);
    }
    Value::from_object(Bunch(d))
}
