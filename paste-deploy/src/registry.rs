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
}

impl Server {
    /// A server from a function that serves an app.
    pub fn new(serve: impl FnOnce(BoxApp) -> ServeFuture + Send + 'static) -> Self {
        Self {
            serve: Box::new(serve),
            worker_threads: None,
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
            .finish()
    }
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
