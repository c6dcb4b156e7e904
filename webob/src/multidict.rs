//! [`MultiDict`]: an ordered, multi-valued dictionary with WebOb's rules.

use std::fmt;

use http::StatusCode;
use paste_core::Error;

/// An ordered list of `(key, value)` pairs where a key may repeat, read
/// the way WebOb reads it: [`get`](MultiDict::get) gives the **last** value,
/// [`get_all`](MultiDict::get_all) every value in order, and
/// [`get_one`](MultiDict::get_one) insists on exactly one.
///
/// ```
/// use webob::MultiDict;
///
/// let mut params = MultiDict::new();
/// params.add("tag", "rust");
/// params.add("tag", "web");
/// params.add("page", "2");
/// assert_eq!(params.get("tag"), Some(&"web"));
/// assert_eq!(params.get_all("tag").collect::<Vec<_>>(), [&"rust", &"web"]);
/// assert!(params.get_one("tag").is_err()); // two values: a 400 for the client
/// assert_eq!(params.get_one("page").unwrap(), &"2");
/// ```
///
/// Values whose key mentions a password are masked in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct MultiDict<V = String> {
    items: Vec<(String, V)>,
}

impl<V> MultiDict<V> {
    /// An empty dictionary.
    pub const fn new() -> Self {
        Self { items: Vec::new() }
    }

    /// An empty dictionary with room for `capacity` pairs.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            items: Vec::with_capacity(capacity),
        }
    }

    /// Appends a pair, keeping any earlier values of `key`.
    pub fn add(&mut self, key: impl Into<String>, value: V) {
        self.items.push((key.into(), value));
    }

    /// Replaces every value of `key` with `value` (appended at the end).
    pub fn set(&mut self, key: impl Into<String>, value: V) {
        let key = key.into();
        self.items.retain(|(k, _)| *k != key);
        self.items.push((key, value));
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.items
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Every value of `key`, in order.
    pub fn get_all<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a V> {
        self.items
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The one value of `key`: a 400 [`Error`] when there is none or more
    /// than one, since either is the client's mistake.
    pub fn get_one(&self, key: &str) -> Result<&V, Error> {
        let mut values = self.get_all(key);
        match (values.next(), values.next()) {
            (Some(value), None) => Ok(value),
            (None, _) => Err(Error::new(StatusCode::BAD_REQUEST)
                .with_message(format!("missing parameter {key:?}"))),
            (Some(_), Some(_)) => Err(Error::new(StatusCode::BAD_REQUEST)
                .with_message(format!("parameter {key:?} given more than once"))),
        }
    }

    /// Whether `key` has at least one value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.items.iter().any(|(k, _)| k == key)
    }

    /// Removes every value of `key`, returning them in order.
    pub fn remove(&mut self, key: &str) -> Vec<V> {
        let mut removed = Vec::new();
        let mut kept = Vec::with_capacity(self.items.len());
        for (k, v) in self.items.drain(..) {
            if k == key {
                removed.push(v);
            } else {
                kept.push((k, v));
            }
        }
        self.items = kept;
        removed
    }

    /// The number of pairs (not of distinct keys).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.items.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The distinct keys, in order of first appearance.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        let mut seen: Vec<&str> = Vec::new();
        self.items.iter().filter_map(move |(k, _)| {
            if seen.contains(&k.as_str()) {
                None
            } else {
                seen.push(k);
                Some(k.as_str())
            }
        })
    }

    /// Appends every pair of `other`.
    pub fn extend(&mut self, other: impl IntoIterator<Item = (String, V)>) {
        self.items.extend(other);
    }
}

impl<V> Default for MultiDict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Into<String>, V> FromIterator<(K, V)> for MultiDict<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            items: iter.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }
}

impl<V> IntoIterator for MultiDict<V> {
    type Item = (String, V);
    type IntoIter = std::vec::IntoIter<(String, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "passwd", "pwd", "secret", "token"]
        .iter()
        .any(|s| key.contains(s))
}

impl<V: fmt::Debug> fmt::Debug for MultiDict<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (k, v) in &self.items {
            if is_secret(k) {
                list.entry(&(k, "******"));
            } else {
                list.entry(&(k, v));
            }
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_all_values_and_appends() {
        let mut d: MultiDict<&str> = [("a", "1"), ("b", "2"), ("a", "3")].into_iter().collect();
        d.set("a", "4");
        assert_eq!(d.iter().collect::<Vec<_>>(), [("b", &"2"), ("a", &"4")]);
    }

    #[test]
    fn remove_returns_values_in_order() {
        let mut d: MultiDict<i32> = [("x", 1), ("y", 2), ("x", 3)].into_iter().collect();
        assert_eq!(d.remove("x"), [1, 3]);
        assert_eq!(d.len(), 1);
        assert!(d.remove("nope").is_empty());
    }

    #[test]
    fn keys_are_distinct_and_ordered() {
        let d: MultiDict<i32> = [("b", 1), ("a", 2), ("b", 3)].into_iter().collect();
        assert_eq!(d.keys().collect::<Vec<_>>(), ["b", "a"]);
    }

    #[test]
    fn get_one_errors_are_400s() {
        let d: MultiDict<i32> = [("a", 1), ("a", 2)].into_iter().collect();
        assert_eq!(d.get_one("a").unwrap_err().status(), 400);
        assert_eq!(d.get_one("b").unwrap_err().status(), 400);
    }

    #[test]
    fn passwords_are_masked_in_debug() {
        let d: MultiDict = [
            ("user", "bob".to_owned()),
            ("Password", "hunter2".to_owned()),
        ]
        .into_iter()
        .collect();
        let shown = format!("{d:?}");
        assert!(
            shown.contains("bob") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
