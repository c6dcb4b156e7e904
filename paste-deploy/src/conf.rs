//! [`Conf`]: the global or local configuration a factory receives, with
//! typed getters whose errors say where the value was written.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Location};

/// An ordered map of string keys to string values, each remembering where
/// it was written (file, line, section), as factories receive their
/// global and local configuration.
///
/// The typed getters follow Paste's converters: [`bool`](Conf::bool) takes
/// `true yes on y t 1` and `false no off n f 0` in any case;
/// [`list`](Conf::list) splits on whitespace. A bad value is an [`Error`]
/// naming the key, the value and where it was written.
///
/// ```
/// use std::time::Duration;
/// use paste_deploy::Conf;
///
/// let conf: Conf = [("debug", "Yes"), ("port", "8080"), ("hosts", "a b  c"), ("timeout", "90s")]
///     .into_iter()
///     .collect();
/// assert_eq!(conf.bool("debug").unwrap(), Some(true));
/// assert_eq!(conf.int::<u16>("port").unwrap(), Some(8080));
/// assert_eq!(conf.list("hosts"), ["a", "b", "c"]);
/// assert_eq!(conf.duration("timeout").unwrap(), Some(Duration::from_secs(90)));
/// assert_eq!(conf.bool("missing").unwrap(), None);
///
/// let bad: Conf = [("port", "eighty")].into_iter().collect();
/// assert_eq!(
///     bad.int::<u16>("port").unwrap_err().to_string(),
///     "bad value for port: \"eighty\" is not an integer"
/// );
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Conf {
    entries: Vec<(String, String, Location)>,
}

impl Conf {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` (replacing its value and origin if present).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>, at: Location) {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _, _)| *k == key) {
            Some(entry) => {
                entry.1 = value;
                entry.2 = at;
            }
            None => self.entries.push((key, value, at)),
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let at = self.entries.iter().position(|(k, _, _)| k == key)?;
        Some(self.entries.remove(at).1)
    }

    /// Every pair of `other` over this one (other's values win).
    pub fn extend(&mut self, other: &Self) {
        for (key, value, at) in &other.entries {
            self.insert(key.clone(), value.clone(), at.clone());
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v.as_str())
    }

    /// Where `key` was written.
    pub fn location(&self, key: &str) -> Option<&Location> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, at)| at)
    }

    /// The value of `key`, or an error saying it is required.
    pub fn require(&self, key: &str) -> Result<&str, Error> {
        self.get(key)
            .ok_or_else(|| Error::new(ErrorKind::MissingValue, format!("{key} is required")))
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(k, v, _)| (k.as_str(), v.as_str()))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _, _)| k.as_str())
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// An error for a setting a factory refuses: `bad setting KEY = "VALUE":
    /// WHY`, located at the setting's file and line. The value is left out
    /// when it may be a credential: a key naming a secret or a password,
    /// or a URL with a user part (`redis://:pw@host`).
    ///
    /// ```
    /// use std::path::Path;
    /// use paste_deploy::{Conf, Location};
    ///
    /// let at = |line| Location::file(Some(Path::new("site.ini"))).at_line(line).in_section("app:main");
    /// let mut conf = Conf::new();
    /// conf.insert("workers", "many", at(3));
    /// conf.insert("secret", "hunter2", at(4));
    /// let err = conf.bad_setting("workers", "is not a number");
    /// assert_eq!(err.to_string(), "site.ini:3 [app:main]: bad setting workers = \"many\": is not a number");
    /// let err = conf.bad_setting("secret", "is too short");
    /// assert_eq!(err.to_string(), "site.ini:4 [app:main]: bad setting secret: is too short");
    /// ```
    pub fn bad_setting(&self, key: &str, why: impl fmt::Display) -> Error {
        let value = self.get(key).unwrap_or_default();
        let lower = key.to_ascii_lowercase();
        let credential = lower.contains("secret")
            || lower.contains("password")
            || value
                .split_once("://")
                .is_some_and(|(_, rest)| rest.split('/').next().unwrap_or_default().contains('@'));
        let message = if credential {
            format!("bad setting {key}: {why}")
        } else {
            format!("bad setting {key} = {value:?}: {why}")
        };
        let err = Error::new(ErrorKind::BadValue, message);
        match self.location(key) {
            Some(at) => err.at(at.clone()),
            None => err,
        }
    }

    fn bad(&self, key: &str, why: impl fmt::Display) -> Error {
        let value = self.get(key).unwrap_or_default();
        let err = Error::new(
            ErrorKind::BadValue,
            format!("bad value for {key}: {value:?} {why}"),
        );
        match self.location(key) {
            Some(at) => err.at(at.clone()),
            None => err,
        }
    }

    /// `key` as a boolean (Paste's `asbool`); `None` when unset.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, Error> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "y" | "t" | "1" => Ok(Some(true)),
            "false" | "no" | "off" | "n" | "f" | "0" => Ok(Some(false)),
            _ => Err(self.bad(key, "is not true/false (yes/no, on/off, 1/0)")),
        }
    }

    /// `key` as an integer of type `T` (Paste's `asint`); `None` when unset.
    pub fn int<T: FromStr>(&self, key: &str) -> Result<Option<T>, Error> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        value
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| self.bad(key, "is not an integer"))
    }

    /// `key` split on whitespace (Paste's `aslist`); empty when unset.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// `key` as a duration: a number of seconds (`30`, `1.5`), or with a
    /// unit (`250ms`, `30s`, `5m`, `2h`, `1d`); `None` when unset.
    pub fn duration(&self, key: &str) -> Result<Option<Duration>, Error> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let value = value.trim();
        let split = value
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(value.len());
        let (number, unit) = value.split_at(split);
        let scale = match unit.trim() {
            "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "ms" => 0.001,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86400.0,
            _ => return Err(self.bad(key, "is not a duration (like 30s, 5m, 250ms)")),
        };
        let number: f64 = number
            .parse()
            .map_err(|_| self.bad(key, "is not a duration (like 30s, 5m, 250ms)"))?;
        Duration::try_from_secs_f64(number * scale)
            .map(Some)
            .map_err(|_| self.bad(key, "is out of range"))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Conf {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut conf = Self::new();
        for (k, v) in iter {
            conf.insert(k, v, Location::default());
        }
        conf
    }
}

impl fmt::Debug for Conf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_follow_asbool() {
        let conf: Conf = [("a", " ON "), ("b", "f"), ("c", "maybe")]
            .into_iter()
            .collect();
        assert_eq!(conf.bool("a").unwrap(), Some(true));
        assert_eq!(conf.bool("b").unwrap(), Some(false));
        assert_eq!(
            conf.bool("c").unwrap_err().to_string(),
            "bad value for c: \"maybe\" is not true/false (yes/no, on/off, 1/0)"
        );
    }

    #[test]
    fn errors_say_where_the_value_was_written() {
        let mut conf = Conf::new();
        conf.insert(
            "port",
            "x",
            Location::file(Some(std::path::Path::new("/etc/app.ini")))
                .at_line(7)
                .in_section("server:main"),
        );
        assert_eq!(
            conf.int::<u16>("port").unwrap_err().to_string(),
            "/etc/app.ini:7 [server:main]: bad value for port: \"x\" is not an integer"
        );
    }

    #[test]
    fn durations() {
        let conf: Conf = [
            ("a", "250ms"),
            ("b", "1.5"),
            ("c", "2h"),
            ("d", "5 parsecs"),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            conf.duration("a").unwrap(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            conf.duration("b").unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(conf.duration("c").unwrap(), Some(Duration::from_secs(7200)));
        assert!(conf.duration("d").is_err());
    }

    #[test]
    fn insert_replaces_in_place() {
        let mut conf: Conf = [("a", "1"), ("b", "2")].into_iter().collect();
        conf.insert("a", "3", Location::default());
        assert_eq!(conf.iter().collect::<Vec<_>>(), [("a", "3"), ("b", "2")]);
    }
}
