//! [`Registry`]: factories by name — Rust's stand-in for eggs and entry
//! points — and the [`Filter`] and [`Server`] values they build.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use paste_core::BoxApp;

use crate::Conf;
use crate::error::{Error, ErrorKind};
use crate::loader::Loader;

/// A filter: wraps an app in middleware (a `[filter:]` section's result).
#[derive(Clone)]
pub struct Filter(Arc<dyn Fn(BoxApp) -> Result<BoxApp, Error> + Send + Sync>);

impl Filter {
    /// A filter from a function of the app it wraps.
    pub fn new(wrap: impl Fn(BoxApp) -> Result<BoxApp, Error> + Send + Sync + 'static) -> Self {
        Self(Arc::new(wrap))
    }

    /// Wraps `app`.
    pub fn apply(&self, app: BoxApp) -> Result<BoxApp, Error> {
        (self.0)(app)
    }
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Filter")
    }
}

/// The future a [`Server`] runs: it serves until it is stopped.
pub type ServeFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// A server: given the app, serves it (a `[server:]` section's result).
pub struct Server {
    serve: Box<dyn FnOnce(BoxApp) -> ServeFuture + Send>,
    worker_threads: Option<usize>,
    url: Option<String>,
}

impl Server {
    /// A server from a function that serves an app.
    pub fn new(serve: impl FnOnce(BoxApp) -> ServeFuture + Send + 'static) -> Self {
        Self {
            serve: Box::new(serve),
            worker_threads: None,
            url: None,
        }
    }

    /// Says how many worker threads the runtime that drives this server
    /// should have (the config's `threads`); whoever runs the server
    /// (`paster serve`) builds its runtime accordingly.
    #[must_use]
    pub fn with_worker_threads(mut self, threads: usize) -> Self {
        self.worker_threads = Some(threads.max(1));
        self
    }

    /// The worker threads asked for, if any.
    pub fn worker_threads(&self) -> Option<usize> {
        self.worker_threads
    }

    /// Says where the server listens (`http://127.0.0.1:8080`), known
    /// once it is bound, for whoever runs it to tell people
    /// (`paster serve` prints it).
    #[must_use]
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Where the server listens, if its factory said.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// Serves `app` until the server stops.
    pub fn serve(self, app: BoxApp) -> ServeFuture {
        (self.serve)(app)
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Server")
    }
}

type AppFactory = Arc<dyn Fn(&Conf, &Conf) -> Result<BoxApp, Error> + Send + Sync>;
type CompositeFactory =
    Arc<dyn Fn(&Loader<'_>, &Conf, &Conf) -> Result<BoxApp, Error> + Send + Sync>;
type FilterFactory = Arc<dyn Fn(&Conf, &Conf) -> Result<Filter, Error> + Send + Sync>;
type FilterAppFactory = Arc<dyn Fn(BoxApp, &Conf, &Conf) -> Result<BoxApp, Error> + Send + Sync>;
pub(crate) type ServerFactory = Arc<dyn Fn(&Conf, &Conf) -> Result<Server, Error> + Send + Sync>;

/// How an app-type factory builds.
#[derive(Clone)]
pub(crate) enum AppMaker {
    App(AppFactory),
    Composite(CompositeFactory),
}

/// How a filter-type factory builds.
#[derive(Clone)]
pub(crate) enum FilterMaker {
    Filter(FilterFactory),
    FilterApp(FilterAppFactory),
}

/// Factories of apps, filters and servers by name.
///
/// Each crate of the workspace that offers factories registers them with
/// a `register(&mut Registry)` function behind its `deploy` feature, under
/// its own names and the names of Python Paste's entry points as aliases
/// (`egg:Paste#urlmap`), so old configs load.
///
/// ```
/// use paste_core::{BoxApp, Response, app_fn};
/// use paste_deploy::{Conf, Registry};
///
/// let mut registry = Registry::new();
/// registry.app("hello", |_global: &Conf, local: &Conf| {
///     let greeting = local.get("greeting").unwrap_or("Hello").to_owned();
///     Ok(BoxApp::new(app_fn(move |_req| {
///         let body = format!("{greeting}, World!");
///         async move { Ok(Response::new(body.into())) }
///     })))
/// });
/// registry.alias("egg:MyApp#hello", "hello");
/// assert!(registry.has_app("hello") && registry.has_app("egg:MyApp#hello"));
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    apps: BTreeMap<String, AppMaker>,
    filters: BTreeMap<String, FilterMaker>,
    servers: BTreeMap<String, ServerFactory>,
    aliases: BTreeMap<String, String>,
    descriptions: BTreeMap<String, Description>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls a crate's `register` function on this registry.
    pub fn register(&mut self, register: impl FnOnce(&mut Self)) -> &mut Self {
        register(self);
        self
    }

    /// Registers an app factory: `f(global_conf, local_conf)`.
    pub fn app(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(&Conf, &Conf) -> Result<BoxApp, Error> + Send + Sync + 'static,
    ) -> &mut Self {
        self.apps.insert(name.into(), AppMaker::App(Arc::new(f)));
        self
    }

    /// Registers a composite factory: `f(loader, global_conf, local_conf)`;
    /// the loader builds the apps the composite names.
    pub fn composite(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(&Loader<'_>, &Conf, &Conf) -> Result<BoxApp, Error> + Send + Sync + 'static,
    ) -> &mut Self {
        self.apps
            .insert(name.into(), AppMaker::Composite(Arc::new(f)));
        self
    }

    /// Registers a filter factory: `f(global_conf, local_conf)` returns
    /// the [`Filter`].
    pub fn filter(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(&Conf, &Conf) -> Result<Filter, Error> + Send + Sync + 'static,
    ) -> &mut Self {
        self.filters
            .insert(name.into(), FilterMaker::Filter(Arc::new(f)));
        self
    }

    /// Registers a filter-app factory: `f(app, global_conf, local_conf)`
    /// returns the wrapped app.
    pub fn filter_app(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(BoxApp, &Conf, &Conf) -> Result<BoxApp, Error> + Send + Sync + 'static,
    ) -> &mut Self {
        self.filters
            .insert(name.into(), FilterMaker::FilterApp(Arc::new(f)));
        self
    }

    /// Registers a server factory: `f(global_conf, local_conf)` returns
    /// the [`Server`].
    pub fn server(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(&Conf, &Conf) -> Result<Server, Error> + Send + Sync + 'static,
    ) -> &mut Self {
        self.servers.insert(name.into(), Arc::new(f));
        self
    }

    /// Registers a server runner: `f(app, global_conf, local_conf)` serves
    /// at once (Paste's `paste.server_runner`).
    pub fn server_runner(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(BoxApp, &Conf, &Conf) -> ServeFuture + Send + Sync + 'static,
    ) -> &mut Self {
        let f = Arc::new(f);
        self.servers.insert(
            name.into(),
            Arc::new(move |global: &Conf, local: &Conf| {
                let (f, global, local) = (Arc::clone(&f), global.clone(), local.clone());
                Ok(Server::new(move |app| f(app, &global, &local)))
            }),
        );
        self
    }

    /// Makes `alias` another name of the factory registered as `name`
    /// (`egg:Paste#urlmap` → `urlmap`).
    pub fn alias(&mut self, alias: impl Into<String>, name: impl Into<String>) -> &mut Self {
        self.aliases.insert(alias.into(), name.into());
        self
    }

    /// Describes the factory registered as `name` (or one of its aliases),
    /// for people: `paster points` lists every factory with its
    /// description and settings.
    ///
    /// ```
    /// use paste_deploy::{Description, FactoryKind, Registry};
    ///
    /// let mut registry = Registry::new();
    /// registry.filter_app("shout", |app, _global, _local| Ok(app));
    /// registry.alias("egg:Demo#shout", "shout");
    /// registry.describe(
    ///     "shout",
    ///     Description::new("Upper-cases the response.").setting("level", "how loud (1-3)"),
    /// );
    /// let info = &registry.factories()[0];
    /// assert_eq!((info.kind, info.name.as_str()), (FactoryKind::FilterApp, "shout"));
    /// assert_eq!(info.aliases, ["egg:Demo#shout"]);
    /// assert_eq!(info.description.summary(), "Upper-cases the response.");
    /// ```
    pub fn describe(&mut self, name: impl Into<String>, description: Description) -> &mut Self {
        let name = name.into();
        let name = self.aliases.get(&name).cloned().unwrap_or(name);
        self.descriptions.insert(name, description);
        self
    }

    /// Every registered factory, by kind then name, with its aliases and
    /// its description (empty when none was given).
    pub fn factories(&self) -> Vec<FactoryInfo> {
        let apps = self.apps.iter().map(|(name, maker)| {
            let kind = match maker {
                AppMaker::App(_) => FactoryKind::App,
                AppMaker::Composite(_) => FactoryKind::Composite,
            };
            (kind, name)
        });
        let filters = self.filters.iter().map(|(name, maker)| {
            let kind = match maker {
                FilterMaker::Filter(_) => FactoryKind::Filter,
                FilterMaker::FilterApp(_) => FactoryKind::FilterApp,
            };
            (kind, name)
        });
        let servers = self.servers.keys().map(|name| (FactoryKind::Server, name));
        let mut all: Vec<FactoryInfo> = apps
            .chain(filters)
            .chain(servers)
            .map(|(kind, name)| FactoryInfo {
                kind,
                name: name.clone(),
                aliases: self
                    .aliases
                    .iter()
                    .filter(|(_, target)| *target == name)
                    .map(|(alias, _)| alias.clone())
                    .collect(),
                description: self.descriptions.get(name).cloned().unwrap_or_default(),
            })
            .collect();
        all.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        all
    }

    /// Whether an app or composite factory answers to `name`.
    pub fn has_app(&self, name: &str) -> bool {
        self.apps.contains_key(self.resolve(name))
    }

    fn resolve<'a>(&'a self, name: &'a str) -> &'a str {
        self.aliases.get(name).map_or(name, String::as_str)
    }

    pub(crate) fn find_app(&self, name: &str) -> Result<AppMaker, Error> {
        find(&self.apps, self.resolve(name), name, "app", &self.aliases)
    }

    pub(crate) fn find_filter(&self, name: &str) -> Result<FilterMaker, Error> {
        find(
            &self.filters,
            self.resolve(name),
            name,
            "filter",
            &self.aliases,
        )
    }

    pub(crate) fn find_server(&self, name: &str) -> Result<ServerFactory, Error> {
        find(
            &self.servers,
            self.resolve(name),
            name,
            "server",
            &self.aliases,
        )
    }
}

/// Looks `name` up, or says what is registered and what is close.
fn find<T: Clone>(
    map: &BTreeMap<String, T>,
    resolved: &str,
    asked: &str,
    kind: &str,
    aliases: &BTreeMap<String, String>,
) -> Result<T, Error> {
    if let Some(found) = map.get(resolved) {
        return Ok(found.clone());
    }
    let names: Vec<&str> = map.keys().map(String::as_str).collect();
    let close = map
        .keys()
        .chain(
            aliases
                .keys()
                .filter(|a| map.contains_key(aliases[*a].as_str())),
        )
        .filter(|n| edit_distance(last_part(n), last_part(asked)) <= 2)
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>();
    let mut message = format!("no {kind} factory {asked:?} is registered");
    if !close.is_empty() {
        message.push_str(&format!("; did you mean {}?", close.join(" or ")));
    }
    if names.is_empty() {
        message.push_str(&format!(" (no {kind} factories are registered)"));
    } else {
        message.push_str(&format!(" (registered: {})", names.join(", ")));
    }
    Err(Error::new(ErrorKind::UnknownFactory, message))
}

/// `egg:Dist#name` → `name`: what a person means by a factory's name.
fn last_part(name: &str) -> &str {
    name.rsplit(['#', ':']).next().unwrap_or(name)
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(current)
            };
            previous = current;
        }
    }
    row[b.len()]
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("apps", &self.apps.keys().collect::<Vec<_>>())
            .field("filters", &self.filters.keys().collect::<Vec<_>>())
            .field("servers", &self.servers.keys().collect::<Vec<_>>())
            .field("aliases", &self.aliases)
            .field(
                "descriptions",
                &self.descriptions.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The kind of a registered factory: what its section builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FactoryKind {
    /// Builds an app from its settings (`paste.app_factory`).
    App,
    /// Builds an app from its settings and other apps it names
    /// (`paste.composite_factory`).
    Composite,
    /// Builds a filter (`paste.filter_factory`).
    Filter,
    /// Wraps an app given with its settings (`paste.filter_app_factory`).
    FilterApp,
    /// Builds a server (`paste.server_factory`, `paste.server_runner`).
    Server,
}

impl FactoryKind {
    /// The kind's name as people write it: `app`, `composite`, `filter`,
    /// `filter-app`, `server`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Composite => "composite",
            Self::Filter => "filter",
            Self::FilterApp => "filter-app",
            Self::Server => "server",
        }
    }
}

impl fmt::Display for FactoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a factory is for and which settings it takes, for people (see
/// [`Registry::describe`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Description {
    text: String,
    settings: Vec<(String, String)>,
}

impl Description {
    /// A description; its first line is the one-line summary.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            settings: Vec::new(),
        }
    }

    /// Adds a setting the factory takes, with what it means.
    #[must_use]
    pub fn setting(mut self, name: impl Into<String>, meaning: impl Into<String>) -> Self {
        self.settings.push((name.into(), meaning.into()));
        self
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first line of the text.
    pub fn summary(&self) -> &str {
        self.text.lines().next().unwrap_or_default()
    }

    /// The settings, in the order given: (name, meaning).
    pub fn settings(&self) -> &[(String, String)] {
        &self.settings
    }
}

/// One registered factory, as [`Registry::factories`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FactoryInfo {
    /// What it builds.
    pub kind: FactoryKind,
    /// The name it was registered under.
    pub name: String,
    /// Its other names (`egg:Paste#gzip`), sorted.
    pub aliases: Vec<String>,
    /// What it is for and its settings.
    pub description: Description,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_get_suggestions() {
        let mut registry = Registry::new();
        registry.filter("gzip", |_, _| Ok(Filter::new(Ok)));
        registry.filter("translogger", |_, _| Ok(Filter::new(Ok)));
        let Err(err) = registry.find_filter("gzipp") else {
            panic!("gzipp is not registered");
        };
        assert_eq!(
            err.to_string(),
            "no filter factory \"gzipp\" is registered; did you mean \"gzip\"? (registered: gzip, translogger)"
        );
        assert_eq!(err.kind(), ErrorKind::UnknownFactory);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("urlmap", "urlmap"), 0);
        assert_eq!(edit_distance("urlmap", "urlmapp"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
