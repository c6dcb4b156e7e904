//! Choosing a link or a button to click: [`Link`].

use regex::Regex;
use scraper::{ElementRef, Html, Selector};

/// Which link (or button) to click: regular expressions over its content
/// (inner HTML), its id (`""` when it has none) and its `href`, all of
/// which must match (`is_match`, a search, not a whole match), and an index
/// to choose among several matches.
///
/// ```
/// use webtest::Link;
///
/// let link = Link::text("^Next").and_href(r"page=\d+$").index(1);
/// # let _ = link;
/// ```
///
/// A pattern that is not a valid regular expression fails the test when
/// the link is looked for.
#[derive(Clone, Debug, Default)]
pub struct Link {
    text: Option<String>,
    id: Option<String>,
    href: Option<String>,
    onclick: Option<String>,
    index: Option<usize>,
}

impl Link {
    /// Links whose content matches `pattern`.
    pub fn text(pattern: &str) -> Self {
        Self::default().and_text(pattern)
    }

    /// Links whose id matches `pattern`.
    pub fn id(pattern: &str) -> Self {
        Self::default().and_id(pattern)
    }

    /// Links whose `href` matches `pattern`.
    pub fn href(pattern: &str) -> Self {
        Self::default().and_href(pattern)
    }

    /// Also: the content matches `pattern`.
    #[must_use]
    pub fn and_text(mut self, pattern: &str) -> Self {
        self.text = Some(pattern.to_owned());
        self
    }

    /// Also: the id matches `pattern`.
    #[must_use]
    pub fn and_id(mut self, pattern: &str) -> Self {
        self.id = Some(pattern.to_owned());
        self
    }

    /// Also: the `href` matches `pattern` (for links only).
    #[must_use]
    pub fn and_href(mut self, pattern: &str) -> Self {
        self.href = Some(pattern.to_owned());
        self
    }

    /// For buttons: the pattern whose first group, searched in `onclick`,
    /// is the target (default `location\.href='(.*?)'`).
    #[must_use]
    pub fn onclick(mut self, pattern: &str) -> Self {
        self.onclick = Some(pattern.to_owned());
        self
    }

    /// Chooses the `index`-th (from 0) of several matches.
    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.text {
            parts.push(format!("content ~ {t:?}"));
        }
        if let Some(t) = &self.id {
            parts.push(format!("id ~ {t:?}"));
        }
        if let Some(t) = &self.href {
            parts.push(format!("href ~ {t:?}"));
        }
        if parts.is_empty() {
            "any".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

fn compile(pattern: Option<&String>) -> Result<Option<Regex>, String> {
    pattern
        .map(|p| Regex::new(p).map_err(|e| format!("bad pattern {p:?}: {e}")))
        .transpose()
}

/// Whether `element` matches the content and id patterns.
fn matches(element: &ElementRef<'_>, text: Option<&Regex>, id: Option<&Regex>) -> bool {
    text.is_none_or(|re| re.is_match(&element.inner_html()))
        && id.is_none_or(|re| re.is_match(element.value().attr("id").unwrap_or("")))
}

fn choose(found: &[String], query: &Link, what: &str) -> Result<String, String> {
    match (found.len(), query.index) {
        (0, _) => Err(format!("no {what} matches {}", query.describe())),
        (_, Some(i)) if i < found.len() => Ok(found[i].clone()),
        (n, Some(i)) => Err(format!(
            "{what} index {i} is out of range: {n} {what}s match {}",
            query.describe()
        )),
        (1, None) => Ok(found[0].clone()),
        (n, None) => Err(format!(
            "{n} {what}s match {}: {found:?}; choose one with an index",
            query.describe()
        )),
    }
}

/// The `href` of the one link `query` chooses.
pub(crate) fn find_link(html: &Html, query: &Link) -> Result<String, String> {
    let text = compile(query.text.as_ref())?;
    let id = compile(query.id.as_ref())?;
    let href_re = compile(query.href.as_ref())?;
    let selector = Selector::parse("a[href]").map_err(|e| e.to_string())?;
    let found = html
        .select(&selector)
        .filter_map(|a| {
            let href = a.value().attr("href")?;
            let skip = href.starts_with('#')
                || href
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("javascript:");
            (!skip
                && matches(&a, text.as_ref(), id.as_ref())
                && href_re.as_ref().is_none_or(|re| re.is_match(href)))
            .then(|| href.to_owned())
        })
        .collect::<Vec<_>>();
    choose(&found, query, "link")
}

/// The target of the one `<button>` `query` chooses.
pub(crate) fn find_button(html: &Html, query: &Link) -> Result<String, String> {
    let text = compile(query.text.as_ref())?;
    let id = compile(query.id.as_ref())?;
    let href_re = compile(query.href.as_ref())?;
    let onclick = Regex::new(
        query
            .onclick
            .as_deref()
            .unwrap_or(r"location\.href='(.*?)'"),
    )
    .map_err(|e| format!("bad onclick pattern: {e}"))?;
    let selector = Selector::parse("button").map_err(|e| e.to_string())?;
    let found = html
        .select(&selector)
        .filter_map(|b| {
            let target = onclick
                .captures(b.value().attr("onclick")?)?
                .get(1)?
                .as_str()
                .to_owned();
            (matches(&b, text.as_ref(), id.as_ref())
                && href_re.as_ref().is_none_or(|re| re.is_match(&target)))
            .then_some(target)
        })
        .collect::<Vec<_>>();
    choose(&found, query, "button")
}
