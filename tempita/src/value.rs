//! The value model: Python's None, bool, int, float, str, list, tuple and dict,
//! plus callables, HTML-safe text and host objects.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::error::{ErrorKind, Result, rt};

/// A template value.
///
/// Values are cheap to clone (containers are reference counted) and can be
/// shared between threads. They print like Python: `str()` through
/// [`Display`](fmt::Display), `repr()` through [`Value::repr`].
///
/// ```
/// use tempita::Value;
/// assert_eq!(Value::from(1.0).to_string(), "1.0");
/// assert_eq!(Value::from(1e20).to_string(), "1e+20");
/// assert_eq!(Value::from(vec!["a", "b"]).repr(), "['a', 'b']");
/// assert!(!Value::from("").is_true());
/// #[derive(serde::Serialize)]
/// struct User { name: String, admin: bool }
/// let user = Value::from_serialize(&User { name: "Ann".into(), admin: true }).unwrap();
/// assert_eq!(user.repr(), "{'name': 'Ann', 'admin': True}");
/// ```
#[derive(Clone, Default)]
pub struct Value(pub(crate) Repr);

#[derive(Clone, Default)]
pub(crate) enum Repr {
    #[default]
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Markup(Arc<str>),
    List(Arc<Seq>),
    Tuple(Arc<Seq>),
    Dict(Arc<Dict>),
    Function(Arc<Function>),
    Object(Arc<dyn Object>),
    /// A `{{def}}`, a lambda or a bound method: handled by the evaluator.
    Callable(Arc<crate::eval::Callable>),
}

/// The type of a value, as Python's `type(x).__name__` would say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueKind {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool,
    /// An integer.
    Int,
    /// A float.
    Float,
    /// A string.
    Str,
    /// HTML-safe text made with `html()`.
    Markup,
    /// A list.
    List,
    /// A tuple.
    Tuple,
    /// A dict.
    Dict,
    /// Anything callable.
    Callable,
    /// A host object.
    Object,
}

/// Keyword arguments passed to a callable.
#[derive(Debug, Clone, Default)]
pub struct Kwargs(pub(crate) Vec<(Arc<str>, Value)>);

impl Kwargs {
    /// The value of keyword `name`, if given.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| &**k == name).map(|(_, v)| v)
    }

    /// Whether no keyword was given.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keywords in call order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    /// An error unless every keyword is one of `allowed`.
    ///
    /// # Errors
    /// A `TypeError` naming the first unexpected keyword.
    pub fn check(&self, func: &str, allowed: &[&str]) -> Result<()> {
        match self.0.iter().find(|(k, _)| !allowed.contains(&&**k)) {
            Some((k, _)) => Err(rt(
                ErrorKind::Type,
                format!("{func}() got an unexpected keyword argument '{k}'"),
            )),
            None => Ok(()),
        }
    }
}

type NativeFn = dyn Fn(&[Value], &Kwargs) -> Result<Value> + Send + Sync;

/// A Rust function callable from templates (also usable as a `|filter`).
pub(crate) struct Function {
    pub(crate) name: Arc<str>,
    pub(crate) f: Box<NativeFn>,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<function {}>", self.name)
    }
}

/// A host object: anything that templates can read attributes or items of,
/// call, or iterate. Every method has a default, so implement only what fits.
///
/// ```
/// use tempita::{Object, Template, Value};
/// #[derive(Debug)]
/// struct Point(i64, i64);
/// impl Object for Point {
///     fn get_attr(&self, name: &str) -> Option<Value> {
///         match name { "x" => Some(self.0.into()), "y" => Some(self.1.into()), _ => None }
///     }
/// }
/// let t = Template::new("{{p.x}},{{p.y}}").unwrap();
/// let out = t.substitute(&[("p", Value::from_object(Point(1, 2)))].into_iter().collect()).unwrap();
/// assert_eq!(out, "1,2");
/// ```
pub trait Object: std::any::Any + fmt::Debug + Send + Sync {
    /// `obj.name`.
    fn get_attr(&self, name: &str) -> Option<Value> {
        let _ = name;
        None
    }
    /// `obj[key]`.
    fn get_item(&self, key: &Value) -> Option<Value> {
        let _ = key;
        None
    }
    /// `obj(...)`; `None` when the object is not callable.
    fn call(&self, args: &[Value], kwargs: &Kwargs) -> Option<Result<Value>> {
        let _ = (args, kwargs);
        None
    }
    /// `obj.name(...)`; `None` falls back to calling the attribute `name`.
    fn call_method(&self, name: &str, args: &[Value], kwargs: &Kwargs) -> Option<Result<Value>> {
        let _ = (name, args, kwargs);
        None
    }
    /// The items of `for x in obj`; `None` when not iterable.
    fn iterate(&self) -> Option<Vec<Value>> {
        None
    }
    /// Python truthiness.
    fn is_true(&self) -> bool {
        true
    }
    /// `str(obj)`.
    fn to_str(&self) -> String {
        self.repr()
    }
    /// `repr(obj)`.
    fn repr(&self) -> String {
        format!("<{self:?}>")
    }
    /// `obj.__html__()`: text inserted unescaped by HTML templates.
    fn html(&self) -> Option<String> {
        None
    }
    /// How deeply template values nest inside this object: one more than
    /// the deepest value it holds, or 0 when it holds none (the default).
    /// An object that keeps values a template gave it (as `looper` and
    /// `bunch` do) should say, so that the nesting limit sees through it.
    fn depth(&self) -> u32 {
        0
    }
}

/// Containers nested deeper than this are refused with a RecursionError
/// when a template makes them, so that showing, comparing or dropping one
/// (all recursive) fits in the stack every call starts with (1 MiB, the
/// evaluator's `STACK_RED_ZONE`). Python builds them but fails to show
/// them past its recursion limit of 1,000.
pub(crate) const MAX_NESTING: u32 = 200;

/// The items of a list or tuple, and how deeply containers nest in them.
///
/// Read it as a slice; it changes only through [`Seq::set`], which keeps
/// the depth right.
#[derive(Clone, Debug)]
pub(crate) struct Seq {
    items: Vec<Value>,
    depth: u32,
}

impl Seq {
    /// One more than the deepest item: 1 for a sequence of scalars.
    pub(crate) fn depth(&self) -> u32 {
        self.depth
    }

    /// Replace item `i` (in bounds).
    pub(crate) fn set(&mut self, i: usize, v: Value) {
        self.depth = self.depth.max(v.depth().saturating_add(1));
        self.items[i] = v;
    }
}

impl From<Vec<Value>> for Seq {
    fn from(items: Vec<Value>) -> Self {
        let inner = items.iter().map(Value::depth).max().unwrap_or(0);
        Self {
            depth: inner.saturating_add(1),
            items,
        }
    }
}

impl FromIterator<Value> for Seq {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl std::ops::Deref for Seq {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        &self.items
    }
}

/// An insertion-ordered dict with any value as key. Past a few entries, text
/// keys are indexed by a (randomly seeded) hash map, so that building or
/// reading a dict with many client-chosen keys stays linear.
#[derive(Clone, Debug)]
pub(crate) struct Dict {
    pub(crate) entries: Vec<(Value, Value)>,
    index: Option<HashMap<Arc<str>, usize>>,
    /// As [`Seq`]'s: never lowered when an entry goes.
    depth: u32,
}

impl Default for Dict {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            index: None,
            depth: 1,
        }
    }
}

/// Dicts up to this size are searched linearly.
const INDEX_FROM: usize = 12;

fn text_key(key: &Value) -> Option<&Arc<str>> {
    match &key.0 {
        Repr::Str(s) | Repr::Markup(s) => Some(s),
        _ => None,
    }
}

impl Dict {
    /// One more than the deepest key or value: 1 for a dict of scalars.
    pub(crate) fn depth(&self) -> u32 {
        self.depth
    }

    pub(crate) fn get(&self, key: &Value) -> Option<&Value> {
        if let Some(k) = text_key(key) {
            return self.get_str(k);
        }
        self.entries
            .iter()
            .find(|(k, _)| k.py_eq(key))
            .map(|(_, v)| v)
    }

    pub(crate) fn get_str(&self, key: &str) -> Option<&Value> {
        if let Some(index) = &self.index {
            return index.get(key).map(|i| &self.entries[*i].1);
        }
        self.entries
            .iter()
            .find(|(k, _)| text_key(k).is_some_and(|s| &**s == key))
            .map(|(_, v)| v)
    }

    fn position(&self, key: &Value) -> Option<usize> {
        match (text_key(key), &self.index) {
            (Some(k), Some(index)) => index.get(k).copied(),
            _ => self.entries.iter().position(|(k, _)| k.py_eq(key)),
        }
    }

    pub(crate) fn insert(&mut self, key: Value, value: Value) {
        match self.position(&key) {
            Some(i) => {
                self.deepen(&value);
                self.entries[i].1 = value;
            }
            None => self.push_new(key, value),
        }
    }

    fn deepen(&mut self, v: &Value) {
        self.depth = self.depth.max(v.depth().saturating_add(1));
    }

    /// Add a key known not to be present (struct fields).
    pub(crate) fn push_new(&mut self, key: Value, value: Value) {
        self.deepen(&key);
        self.deepen(&value);
        if let (Some(index), Some(k)) = (&mut self.index, text_key(&key)) {
            index.insert(k.clone(), self.entries.len());
        }
        self.entries.push((key, value));
        if self.index.is_none() && self.entries.len() > INDEX_FROM {
            let index = self
                .entries
                .iter()
                .enumerate()
                .filter_map(|(i, (k, _))| text_key(k).map(|k| (k.clone(), i)))
                .collect();
            self.index = Some(index);
        }
    }
}

impl Value {
    /// Python's `None`.
    pub const NONE: Self = Self(Repr::None);

    /// A value from anything `serde` can serialize: structs and maps become
    /// dicts, sequences become lists, `Option::None` becomes `None`.
    ///
    /// # Errors
    /// When serialization fails.
    pub fn from_serialize<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self> {
        value.serialize(crate::ser::ValueSerializer)
    }

    /// HTML-safe text: inserted unescaped by HTML templates (Tempita's `html()`).
    pub fn safe(text: impl Into<Arc<str>>) -> Self {
        Self(Repr::Markup(text.into()))
    }

    /// A callable made from a Rust function taking positional and keyword
    /// arguments. Register it in a namespace or context to call it, or to
    /// use it as a filter (`{{x|name}}`).
    ///
    /// ```
    /// use tempita::{Template, Value};
    /// let shout = Value::from_function("shout", |args, _kw| {
    ///     Ok(format!("{}!", args.first().cloned().unwrap_or_default()).into())
    /// });
    /// let t = Template::builder("{{name|shout}}").namespace_value("shout", shout).build().unwrap();
    /// assert_eq!(t.substitute(&[("name", "hi")].into_iter().collect()).unwrap(), "hi!");
    /// ```
    pub fn from_function<F>(name: &str, f: F) -> Self
    where
        F: Fn(&[Self], &Kwargs) -> Result<Self> + Send + Sync + 'static,
    {
        Self(Repr::Function(Arc::new(Function {
            name: name.into(),
            f: Box::new(f),
        })))
    }

    /// A value wrapping a host [`Object`].
    pub fn from_object<O: Object + 'static>(object: O) -> Self {
        Self(Repr::Object(Arc::new(object)))
    }

    /// A dict from `(key, value)` pairs, in order.
    pub fn dict<K: Into<Self>, V: Into<Self>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut d = Dict::default();
        for (k, v) in pairs {
            d.insert(k.into(), v.into());
        }
        Self(Repr::Dict(Arc::new(d)))
    }

    /// A tuple.
    pub fn tuple(items: impl IntoIterator<Item = Self>) -> Self {
        Self(Repr::Tuple(Arc::new(items.into_iter().collect())))
    }

    pub(crate) fn list(items: Vec<Self>) -> Self {
        Self(Repr::List(Arc::new(items.into())))
    }

    /// How deeply containers nest in this value: 0 for a scalar, 1 for a
    /// container of scalars.
    #[inline]
    pub(crate) fn depth(&self) -> u32 {
        match &self.0 {
            Repr::List(l) | Repr::Tuple(l) => l.depth,
            Repr::Dict(d) => d.depth,
            Repr::Object(o) => o.depth(),
            Repr::Callable(c) => c.depth(),
            _ => 0,
        }
    }

    /// The type of this value.
    #[must_use]
    pub fn kind(&self) -> ValueKind {
        match &self.0 {
            Repr::None => ValueKind::None,
            Repr::Bool(_) => ValueKind::Bool,
            Repr::Int(_) => ValueKind::Int,
            Repr::Float(_) => ValueKind::Float,
            Repr::Str(_) => ValueKind::Str,
            Repr::Markup(_) => ValueKind::Markup,
            Repr::List(_) => ValueKind::List,
            Repr::Tuple(_) => ValueKind::Tuple,
            Repr::Dict(_) => ValueKind::Dict,
            Repr::Function(_) | Repr::Callable(_) => ValueKind::Callable,
            Repr::Object(_) => ValueKind::Object,
        }
    }

    /// The text of a str or html value.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Str(s) | Repr::Markup(s) => Some(s),
            _ => None,
        }
    }

    /// The integer of an int or bool value.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Int(i) => Some(i),
            Repr::Bool(b) => Some(i64::from(b)),
            _ => None,
        }
    }

    /// The number of an int, bool or float value, as a float.
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(Num::as_f64)
    }

    /// The items of a list or tuple.
    #[must_use]
    pub fn as_slice(&self) -> Option<&[Self]> {
        match &self.0 {
            Repr::List(l) | Repr::Tuple(l) => Some(l),
            _ => None,
        }
    }

    /// The value of a dict's `key` (or of a host object's item `key`).
    ///
    /// ```
    /// # use tempita::Value;
    /// let d = Value::dict([("a", 1)]);
    /// assert_eq!(d.get_item("a"), Some(Value::from(1)));
    /// assert_eq!(d.get_item("b"), None);
    /// ```
    #[must_use]
    pub fn get_item(&self, key: impl Into<Self>) -> Option<Self> {
        let key = key.into();
        match &self.0 {
            Repr::Dict(d) => d.get(&key).cloned(),
            Repr::Object(o) => o.get_item(&key),
            _ => None,
        }
    }

    /// The `(key, value)` pairs of a dict, in order.
    pub fn dict_items(&self) -> Option<impl Iterator<Item = (&Self, &Self)>> {
        match &self.0 {
            Repr::Dict(d) => Some(d.entries.iter().map(|(k, v)| (k, v))),
            _ => None,
        }
    }

    /// Whether this is `None`.
    #[must_use]
    pub fn is_none(&self) -> bool {
        matches!(self.0, Repr::None)
    }

    /// Python truthiness.
    #[must_use]
    pub fn is_true(&self) -> bool {
        match &self.0 {
            Repr::None => false,
            Repr::Bool(b) => *b,
            Repr::Int(i) => *i != 0,
            Repr::Float(f) => *f != 0.0,
            Repr::Str(s) | Repr::Markup(s) => !s.is_empty(),
            Repr::List(l) | Repr::Tuple(l) => !l.is_empty(),
            Repr::Dict(d) => !d.entries.is_empty(),
            Repr::Function(_) | Repr::Callable(_) => true,
            Repr::Object(o) => o.is_true(),
        }
    }

    /// Python's `type(x).__name__`.
    pub(crate) fn type_name(&self) -> &'static str {
        match &self.0 {
            Repr::None => "NoneType",
            Repr::Bool(_) => "bool",
            Repr::Int(_) => "int",
            Repr::Float(_) => "float",
            Repr::Str(_) => "str",
            Repr::Markup(_) => "html",
            Repr::List(_) => "list",
            Repr::Tuple(_) => "tuple",
            Repr::Dict(_) => "dict",
            Repr::Function(_) => "builtin_function_or_method",
            Repr::Callable(_) => "function",
            Repr::Object(_) => "object",
        }
    }

    /// The work of writing this value's text, counted as a step per item
    /// and per `bytes_per_step` bytes of the strings inside, at every
    /// level; counting stops once past `budget`, so that the count costs
    /// no more than the budget allows.
    pub(crate) fn shown_cost(&self, budget: u64, bytes_per_step: usize) -> u64 {
        let text = |s: &str| u64::try_from(s.len() / bytes_per_step).unwrap_or(u64::MAX);
        let mut cost = 0u64;
        let add = |v: &Self, cost: &mut u64| {
            let left = budget.saturating_sub(*cost);
            *cost = cost
                .saturating_add(1)
                .saturating_add(v.shown_cost(left, bytes_per_step));
            *cost <= budget
        };
        match &self.0 {
            Repr::Str(s) | Repr::Markup(s) => return text(s),
            Repr::List(items) | Repr::Tuple(items) => {
                for v in items.iter() {
                    if !add(v, &mut cost) {
                        break;
                    }
                }
            }
            Repr::Dict(d) => {
                for (k, v) in &d.entries {
                    if !add(k, &mut cost) || !add(v, &mut cost) {
                        break;
                    }
                }
            }
            _ => {}
        }
        cost
    }

    /// Python's `repr()`.
    #[must_use]
    pub fn repr(&self) -> String {
        let mut s = String::new();
        self.write_repr(&mut s);
        s
    }

    fn write_repr(&self, out: &mut String) {
        match &self.0 {
            Repr::Str(s) => write_str_repr(s, out),
            Repr::Markup(s) => {
                out.push_str("<html ");
                write_str_repr(s, out);
                out.push('>');
            }
            Repr::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_repr(out);
                }
                out.push(']');
            }
            Repr::Tuple(items) => {
                out.push('(');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_repr(out);
                }
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            Repr::Dict(d) => {
                out.push('{');
                for (i, (k, v)) in d.entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_repr(out);
                    out.push_str(": ");
                    v.write_repr(out);
                }
                out.push('}');
            }
            Repr::Object(o) => out.push_str(&o.repr()),
            Repr::Callable(c) => out.push_str(&c.repr()),
            _ => {
                let _ = write!(out, "{self}");
            }
        }
    }

    /// Python equality (`==`).
    pub(crate) fn py_eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::None, Repr::None) => true,
            (Repr::Str(a) | Repr::Markup(a), Repr::Str(b) | Repr::Markup(b)) => a == b,
            (Repr::List(a), Repr::List(b)) | (Repr::Tuple(a), Repr::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.py_eq(y))
            }
            (Repr::Dict(a), Repr::Dict(b)) => {
                a.entries.len() == b.entries.len()
                    && a.entries
                        .iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.py_eq(w)))
            }
            (Repr::Function(a), Repr::Function(b)) => Arc::ptr_eq(a, b),
            (Repr::Callable(a), Repr::Callable(b)) => Arc::ptr_eq(a, b),
            (Repr::Object(a), Repr::Object(b)) => std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)),
            _ => match (self.as_number(), other.as_number()) {
                (Some(Num::Int(a)), Some(Num::Int(b))) => a == b,
                (Some(a), Some(b)) => a.as_f64() == b.as_f64(),
                _ => false,
            },
        }
    }

    /// Python ordering (`<` and friends).
    pub(crate) fn py_cmp(&self, other: &Self, op: &str) -> Result<Ordering> {
        let ord = match (&self.0, &other.0) {
            (Repr::Str(a) | Repr::Markup(a), Repr::Str(b) | Repr::Markup(b)) => Some(a.cmp(b)),
            (Repr::List(a), Repr::List(b)) | (Repr::Tuple(a), Repr::Tuple(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    if !x.py_eq(y) {
                        return x.py_cmp(y, op);
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            _ => match (self.as_number(), other.as_number()) {
                (Some(Num::Int(a)), Some(Num::Int(b))) => Some(a.cmp(&b)),
                (Some(a), Some(b)) => a.as_f64().partial_cmp(&b.as_f64()).or(Some(Ordering::Less)),
                _ => None,
            },
        };
        ord.ok_or_else(|| {
            rt(
                ErrorKind::Type,
                format!(
                    "'{op}' not supported between instances of '{}' and '{}'",
                    self.type_name(),
                    other.type_name()
                ),
            )
        })
    }

    pub(crate) fn as_number(&self) -> Option<Num> {
        match self.0 {
            Repr::Bool(b) => Some(Num::Int(i64::from(b))),
            Repr::Int(i) => Some(Num::Int(i)),
            Repr::Float(f) => Some(Num::Float(f)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            #[allow(clippy::cast_precision_loss)]
            Self::Int(i) => i as f64,
            Self::Float(f) => f,
        }
    }
}

/// Python's `repr()` of a str: single quotes unless the text holds a single
/// quote and no double quote.
pub(crate) fn write_str_repr(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // The bytes where a scan must look closer: C0 controls, DEL, the
    // backslash, both quotes and 0xC2, the lead byte of U+0080..U+00BF.
    const LOOK: [bool; 256] = {
        let mut look = [false; 256];
        let mut b = 0;
        while b < 0x20 {
            look[b] = true;
            b += 1;
        }
        look[0x7f] = true;
        look[b'\\' as usize] = true;
        look[b'\'' as usize] = true;
        look[b'"' as usize] = true;
        look[0xc2] = true;
        look
    };
    let quote = if s.contains('\'') && !s.contains('"') {
        b'"'
    } else {
        b'\''
    };
    out.reserve(s.len() + 2);
    out.push(char::from(quote));
    // Runs that need no escape are copied whole: a repr is written for
    // every tuple, list and dict shown. The scan stops only on ASCII bytes
    // and on 0xC2, so every cut is on a character boundary.
    let bytes = s.as_bytes();
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if !LOOK[usize::from(b)] {
            i += 1;
            continue;
        }
        let (width, code) = match b {
            b'\\' | b'\n' | b'\r' | b'\t' => (1, None),
            b'\'' | b'"' if b == quote => (1, None),
            0..0x20 | 0x7f => (1, Some(b)),
            // U+0080..U+009F, the C1 controls: C2 80..C2 9F.
            0xc2 if bytes.get(i + 1).is_some_and(|&n| n < 0xa0) => (2, Some(bytes[i + 1])),
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&s[run..i]);
        match (b, code) {
            (_, Some(c)) => {
                out.push_str("\\x");
                out.push(char::from(HEX[usize::from(c >> 4)]));
                out.push(char::from(HEX[usize::from(c & 0xf)]));
            }
            (b'\n', None) => out.push_str("\\n"),
            (b'\r', None) => out.push_str("\\r"),
            (b'\t', None) => out.push_str("\\t"),
            (b, None) => {
                out.push('\\');
                out.push(char::from(b));
            }
        }
        i += width;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push(char::from(quote));
}

/// Python's `repr()` of a float: the shortest text that reads back the same,
/// in fixed notation for exponents -4..16 and scientific otherwise.
pub(crate) fn write_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
        return;
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        let n = i32::try_from(digits.len()).unwrap_or(i32::MAX);
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else if exp + 1 >= n {
            out.push_str(&digits);
            for _ in 0..(exp + 1 - n) {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            let split = usize::try_from(exp + 1).unwrap_or(0);
            out.push_str(&digits[..split]);
            out.push('.');
            out.push_str(&digits[split..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    }
}

/// Python's `str()`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::None => f.write_str("None"),
            Repr::Bool(true) => f.write_str("True"),
            Repr::Bool(false) => f.write_str("False"),
            Repr::Int(i) => write!(f, "{i}"),
            Repr::Float(x) => {
                let mut s = String::new();
                write_float(*x, &mut s);
                f.write_str(&s)
            }
            Repr::Str(s) | Repr::Markup(s) => f.write_str(s),
            Repr::Object(o) => f.write_str(&o.to_str()),
            Repr::Function(func) => write!(f, "<built-in function {}>", func.name),
            _ => f.write_str(&self.repr()),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr())
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.py_eq(other)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Self(Repr::Int(i64::from(v))) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        #[allow(clippy::cast_precision_loss)]
        i64::try_from(v).map_or(Self(Repr::Float(v as f64)), |i| Self(Repr::Int(i)))
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Self::from(v as u64)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self(Repr::Bool(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self(Repr::Float(v))
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Self(Repr::Float(f64::from(v)))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self(Repr::Str(v.into()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Self(Repr::Str(v.into()))
    }
}
impl From<Arc<str>> for Value {
    fn from(v: Arc<str>) -> Self {
        Self(Repr::Str(v))
    }
}
impl From<()> for Value {
    fn from((): ()) -> Self {
        Self::NONE
    }
}
impl<T: Into<Self>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::NONE, Into::into)
    }
}
impl<T: Into<Self>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Self::list(v.into_iter().map(Into::into).collect())
    }
}
impl<K: Into<Self>, V: Into<Self>> From<BTreeMap<K, V>> for Value {
    fn from(v: BTreeMap<K, V>) -> Self {
        Self::dict(v)
    }
}
impl<K: Into<Self>, V: Into<Self>, S> From<HashMap<K, V, S>> for Value {
    fn from(v: HashMap<K, V, S>) -> Self {
        Self::dict(v)
    }
}
impl<T: Into<Self>> FromIterator<T> for Value {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self::list(iter.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(f: f64) -> String {
        Value::from(f).to_string()
    }

    /// The byte scan of `write_str_repr` against the rule it implements,
    /// one character at a time, over the first 0x800 code points (one, two
    /// and three-byte UTF-8, C0 and C1 controls) and both quotes.
    #[test]
    fn str_repr_escapes_exactly_the_controls_quotes_and_backslash() {
        for quotes in ["", "'", "\"", "'\""] {
            let text: String = (0..0x800u32)
                .filter_map(char::from_u32)
                .filter(|c| !matches!(c, '\'' | '"'))
                .chain(quotes.chars())
                .collect();
            let quote = if quotes == "'" { '"' } else { '\'' };
            let mut expected = String::from(quote);
            for c in text.chars() {
                match c {
                    '\\' => expected.push_str("\\\\"),
                    '\n' => expected.push_str("\\n"),
                    '\r' => expected.push_str("\\r"),
                    '\t' => expected.push_str("\\t"),
                    c if c == quote => {
                        expected.push('\\');
                        expected.push(c);
                    }
                    c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                        expected.push_str(&format!("\\x{:02x}", c as u32));
                    }
                    c => expected.push(c),
                }
            }
            expected.push(quote);
            let mut got = String::new();
            write_str_repr(&text, &mut got);
            assert_eq!(got, expected, "quotes in the text: {quotes:?}");
        }
    }

    #[test]
    fn floats_print_like_python() {
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(1e20), "1e+20");
        assert_eq!(float(1e16), "1e+16");
        assert_eq!(float(1e15), "1000000000000000.0");
        assert_eq!(float(1.5e-7), "1.5e-07");
        assert_eq!(float(0.0001), "0.0001");
        assert_eq!(float(0.00001), "1e-05");
        assert_eq!(float(-2.5), "-2.5");
        assert_eq!(float(123.456), "123.456");
        assert_eq!(float(f64::INFINITY), "inf");
        assert_eq!(float(f64::NEG_INFINITY), "-inf");
        assert_eq!(float(f64::NAN), "nan");
        assert_eq!(float(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(float(-0.0), "-0.0");
    }

    #[test]
    fn str_repr_picks_quotes_like_python() {
        assert_eq!(Value::from("Ian").repr(), "'Ian'");
        assert_eq!(Value::from("it's").repr(), "\"it's\"");
        assert_eq!(Value::from("a'b\"c").repr(), "'a\\'b\"c'");
        assert_eq!(Value::from("t\n\x01é").repr(), "'t\\n\\x01é'");
    }

    #[test]
    fn containers_repr() {
        let t = Value::tuple([Value::from(1)]);
        assert_eq!(t.repr(), "(1,)");
        let d = Value::dict([("a", Value::NONE), ("b", Value::from(true))]);
        assert_eq!(d.to_string(), "{'a': None, 'b': True}");
    }

    #[test]
    fn truthiness() {
        for v in [
            Value::NONE,
            0.into(),
            0.0.into(),
            "".into(),
            Value::list(vec![]),
            false.into(),
        ] {
            assert!(!v.is_true(), "{v:?}");
        }
        for v in [
            1.into(),
            "x".into(),
            Value::from(vec![0]),
            true.into(),
            (-0.5).into(),
        ] {
            assert!(v.is_true(), "{v:?}");
        }
    }

    #[test]
    fn numbers_compare_across_types() {
        assert!(Value::from(1).py_eq(&Value::from(1.0)));
        assert!(Value::from(true).py_eq(&Value::from(1)));
        assert!(!Value::from("1").py_eq(&Value::from(1)));
        assert!(Value::from("a").py_cmp(&Value::from(1), "<").is_err());
    }
}
