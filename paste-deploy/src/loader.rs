//! Resolving a URI or a section name to a context (PasteDeploy's
//! `get_context`), then building it into an app, a filter or a server.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use paste_core::BoxApp;

use crate::conf::Conf;
use crate::error::{Error, ErrorKind, Location};
use crate::ini::{IniFile, Section};
use crate::registry::{AppMaker, Filter, FilterMaker, Registry, Server};

/// What a name is asked to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    App,
    Filter,
    Server,
}

impl Kind {
    /// The section prefixes of this kind, in groups searched in order; the
    /// first prefix of a group that matches wins within the group.
    fn groups(self) -> &'static [&'static [&'static str]] {
        match self {
            Self::App => &[
                &["app", "application"],
                &["composite", "composit"],
                &["pipeline"],
                &["filter-app"],
            ],
            Self::Filter => &[&["filter"]],
            Self::Server => &[&["server"]],
        }
    }

    fn protocol_keys(self) -> &'static [&'static str] {
        match self {
            Self::App => &[
                "paste.app_factory",
                "paste.composite_factory",
                "paste.composit_factory",
            ],
            Self::Filter => &["paste.filter_factory", "paste.filter_app_factory"],
            Self::Server => &["paste.server_factory", "paste.server_runner"],
        }
    }

    fn describe_prefixes(self) -> String {
        let all: Vec<String> = self
            .groups()
            .iter()
            .flat_map(|g| g.iter())
            .map(|p| format!("{p:?}"))
            .collect();
        match all.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => all.join(""),
        }
    }
}

/// A section resolved and ready to build.
pub(crate) struct Context {
    global: Conf,
    local: Conf,
    /// The `set` lines of the section, re-applied when a section `use`s it.
    additions: Conf,
    build: Build,
    location: Location,
    id: String,
}

enum Build {
    App(AppMaker, Option<Arc<IniFile>>),
    Filter(FilterMaker),
    Server(crate::registry::ServerFactory),
    Pipeline(Vec<Context>, Box<Context>),
    FilterApp(Box<Context>, Box<Context>),
    FilterWith(Box<Context>, Box<Context>),
}

/// One load: the files read so far and the chain of references being
/// followed (for cycle detection).
pub(crate) struct Session<'r> {
    registry: &'r Registry,
    files: RefCell<HashMap<PathBuf, Arc<IniFile>>>,
    chain: RefCell<Vec<String>>,
}

impl<'r> Session<'r> {
    pub(crate) fn new(registry: &'r Registry, chain: Vec<String>) -> Self {
        Self {
            registry,
            files: RefCell::new(HashMap::new()),
            chain: RefCell::new(chain),
        }
    }

    /// Resolves a URI given by the caller (`config:app.ini#main`).
    pub(crate) fn uri(
        &self,
        kind: Kind,
        uri: &str,
        name: Option<&str>,
        relative_to: Option<&Path>,
        globals: &Conf,
    ) -> Result<Context, Error> {
        let Some((scheme, rest)) = uri.split_once(':').filter(|(s, _)| is_scheme(s)) else {
            return Err(Error::new(
                ErrorKind::BadUri,
                format!("URI has no scheme: {uri:?} (expected config:, egg: or call:)"),
            ));
        };
        let (path, fragment) = match rest.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (rest, None),
        };
        let name = name.or(fragment).unwrap_or("main");
        match scheme.to_ascii_lowercase().as_str() {
            "config" => {
                let file = self.file(path, uri, relative_to)?;
                let section = find_section(kind, &file, name)?;
                self.section(kind, &file, section, globals)
            }
            "egg" => {
                let dist = path;
                let candidates = [
                    format!("egg:{dist}#{name}"),
                    format!("{dist}#{name}"),
                    name.to_owned(),
                ];
                let found = candidates
                    .iter()
                    .find(|c| self.has(kind, c))
                    .unwrap_or(&candidates[0]);
                self.factory(kind, found, globals, Location::default())
            }
            "call" => self.factory(kind, path, globals, Location::default()),
            other => Err(Error::new(
                ErrorKind::BadUri,
                format!("URI scheme not known: {other:?} (known: config, egg, call)"),
            )),
        }
    }

    fn has(&self, kind: Kind, name: &str) -> bool {
        match kind {
            Kind::App => self.registry.find_app(name).is_ok(),
            Kind::Filter => self.registry.find_filter(name).is_ok(),
            Kind::Server => self.registry.find_server(name).is_ok(),
        }
    }

    /// Reads (once per load) the file a `config:` URI names.
    fn file(
        &self,
        path: &str,
        uri: &str,
        relative_to: Option<&Path>,
    ) -> Result<Arc<IniFile>, Error> {
        let mut path = path.replace('\\', "/");
        if let Some(rest) = path.strip_prefix("///") {
            path = format!("/{rest}");
        }
        let path = PathBuf::from(path);
        let path = if path.is_absolute() {
            path
        } else {
            let Some(base) = relative_to else {
                return Err(Error::new(
                    ErrorKind::BadUri,
                    format!("cannot resolve the relative URI {uri:?}: no relative_to given"),
                ));
            };
            base.join(path)
        };
        let path = std::path::absolute(&path).unwrap_or(path);
        if let Some(file) = self.files.borrow().get(&path) {
            return Ok(Arc::clone(file));
        }
        let file = Arc::new(IniFile::read(&path)?);
        self.files.borrow_mut().insert(path, Arc::clone(&file));
        Ok(file)
    }

    /// A context for a factory named directly (`egg:`, `call:`, or a
    /// `paste.*_factory` key), with no section of its own.
    fn factory(
        &self,
        kind: Kind,
        name: &str,
        globals: &Conf,
        at: Location,
    ) -> Result<Context, Error> {
        let build = match kind {
            Kind::App => Build::App(self.registry.find_app(name)?, None),
            Kind::Filter => Build::Filter(self.registry.find_filter(name)?),
            Kind::Server => Build::Server(self.registry.find_server(name)?),
        };
        Ok(Context {
            global: globals.clone(),
            local: Conf::new(),
            additions: Conf::new(),
            build,
            location: at,
            id: name.to_owned(),
        })
    }

    /// Resolves `name` (a section name or a URI) met inside `file`.
    fn reference(
        &self,
        kind: Kind,
        name: &str,
        file: &Arc<IniFile>,
        globals: &Conf,
    ) -> Result<Context, Error> {
        let name = name.trim();
        if name.split_once(':').is_some_and(|(s, _)| is_scheme(s)) {
            let dir = file.path().and_then(Path::parent);
            return self.uri(kind, name, None, dir, globals);
        }
        let section = find_section(kind, file, name)?;
        self.section(kind, file, section, globals)
    }

    /// The heart of it: a section turned into a context.
    fn section(
        &self,
        kind: Kind,
        file: &Arc<IniFile>,
        section: &Section,
        caller: &Conf,
    ) -> Result<Context, Error> {
        let here = Location::file(file.path()).in_section(section.name());
        let id = format!(
            "{}[{}]",
            file.path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            section.name()
        );
        {
            let mut chain = self.chain.borrow_mut();
            if let Some(start) = chain.iter().position(|c| *c == id) {
                let cycle: Vec<String> = chain[start..]
                    .iter()
                    .chain(std::iter::once(&id))
                    .map(|c| shorten(c))
                    .collect();
                return Err(Error::new(
                    ErrorKind::Cycle,
                    format!("a cycle of references: {}", cycle.join(" -> ")),
                )
                .at(here.at_line(section.line())));
            }
            chain.push(id.clone());
        }
        let result = self.section_inner(kind, file, section, caller, &here, id);
        self.chain.borrow_mut().pop();
        result
    }

    fn section_inner(
        &self,
        kind: Kind,
        file: &Arc<IniFile>,
        section: &Section,
        caller: &Conf,
        here: &Location,
        id: String,
    ) -> Result<Context, Error> {
        let overrides: BTreeMap<String, String> = caller
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut global = defaults(file, &overrides)?;
        global.extend(caller);
        let mut local = Conf::new();
        let mut additions = Conf::new();
        let mut gets = Vec::new();
        for entry in section.entries() {
            let at = here.clone().at_line(entry.line());
            let key = entry.key();
            if let Some(name) = key.strip_prefix("set ") {
                let value = file
                    .get(section.name(), key, &overrides)?
                    .unwrap_or_default();
                global.insert(name.trim(), value.clone(), at.clone());
                additions.insert(name.trim(), value, at);
            } else if let Some(name) = key.strip_prefix("get ") {
                gets.push((name.trim().to_owned(), entry.value().trim().to_owned(), at));
            } else {
                let value = file
                    .get(section.name(), key, &overrides)?
                    .unwrap_or_default();
                local.insert(key, value, at);
            }
        }
        for (name, global_name, at) in gets {
            let Some(value) = global.get(&global_name).map(str::to_owned) else {
                let known: Vec<&str> = global.keys().collect();
                return Err(Error::new(
                    ErrorKind::MissingValue,
                    format!(
                        "get {name} = {global_name}: there is no global {global_name:?} (globals: {})",
                        known.join(", ")
                    ),
                )
                .at(at));
            };
            local.insert(name, value, at);
        }
        let filter_with = match kind {
            Kind::App | Kind::Filter => local
                .location("filter-with")
                .cloned()
                .zip(local.remove("filter-with")),
            Kind::Server => None,
        };
        local.remove("require");
        let prefix = section.name().split(':').next().unwrap_or("").trim();
        let mut context = match prefix {
            "filter-app" => {
                let Some(next) = local.remove("next") else {
                    return Err(Error::new(
                        ErrorKind::BadSection,
                        format!(
                            "the [{}] section is missing a \"next\" setting",
                            section.name()
                        ),
                    )
                    .at(here.clone().at_line(section.line())));
                };
                let next_at = here.clone();
                let mut filter =
                    self.use_or_protocol(Kind::Filter, file, section, &mut local, &global, here)?;
                filter.local.extend(&local);
                let next = self
                    .reference(Kind::App, &next, file, &global)
                    .map_err(|e| e.at(next_at))?;
                Context {
                    global: global.clone(),
                    local: Conf::new(),
                    additions,
                    build: Build::FilterApp(Box::new(filter), Box::new(next)),
                    location: here.clone().at_line(section.line()),
                    id,
                }
            }
            "pipeline" => {
                let at = local
                    .location("pipeline")
                    .cloned()
                    .unwrap_or_else(|| here.clone());
                let Some(pipeline) = local.remove("pipeline") else {
                    return Err(Error::new(
                        ErrorKind::BadSection,
                        format!(
                            "the [{}] section is missing a \"pipeline\" setting",
                            section.name()
                        ),
                    )
                    .at(here.clone().at_line(section.line())));
                };
                if !local.is_empty() {
                    let extra: Vec<&str> = local.keys().collect();
                    return Err(Error::new(
                        ErrorKind::BadSection,
                        format!(
                            "the [{}] section has extra (disallowed) settings: {}",
                            section.name(),
                            extra.join(", ")
                        ),
                    )
                    .at(here.clone().at_line(section.line())));
                }
                let names: Vec<&str> = pipeline.split_whitespace().collect();
                let Some((app, filters)) = names.split_last() else {
                    return Err(Error::new(ErrorKind::BadSection, "the pipeline is empty").at(at));
                };
                let filters = filters
                    .iter()
                    .map(|name| {
                        self.reference(Kind::Filter, name, file, &global)
                            .map_err(|e| e.at(at.clone()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let app = self
                    .reference(Kind::App, app, file, &global)
                    .map_err(|e| e.at(at.clone()))?;
                Context {
                    global: global.clone(),
                    local: Conf::new(),
                    additions,
                    build: Build::Pipeline(filters, Box::new(app)),
                    location: here.clone().at_line(section.line()),
                    id,
                }
            }
            _ => {
                let mut context =
                    self.use_or_protocol(kind, file, section, &mut local, &global, here)?;
                // A composite loads the names it is given from the file it is
                // defined in (the innermost section that says so).
                if let Build::App(AppMaker::Composite(_), defined_in @ None) = &mut context.build {
                    *defined_in = Some(Arc::clone(file));
                }
                context.global.extend(&additions);
                context.additions.extend(&additions);
                context.local.extend(&local);
                context.id = id;
                context
            }
        };
        if let Some((at, filter_with)) = filter_with {
            let filter = self
                .reference(Kind::Filter, &filter_with, file, &context.global)
                .map_err(|e| e.at(at))?;
            let location = context.location.clone();
            let id = context.id.clone();
            context = Context {
                global: context.global.clone(),
                local: context.local.clone(),
                additions: Conf::new(),
                build: Build::FilterWith(Box::new(context), Box::new(filter)),
                location,
                id,
            };
        }
        Ok(context)
    }

    /// A section's `use = …` target, or the factory its `paste.*_factory`
    /// key names (removed from `local`).
    fn use_or_protocol(
        &self,
        kind: Kind,
        file: &Arc<IniFile>,
        section: &Section,
        local: &mut Conf,
        global: &Conf,
        here: &Location,
    ) -> Result<Context, Error> {
        if let Some(at) = local.location("use").cloned() {
            let target = local.remove("use").unwrap_or_default();
            let mut context = self
                .reference(kind, &target, file, global)
                .map_err(|e| e.at(at))?;
            if context.location.file.is_none() {
                context.location = here.clone().at_line(section.line());
            }
            return Ok(context);
        }
        let given: Vec<(String, String, Location)> = kind
            .protocol_keys()
            .iter()
            .filter_map(|key| {
                let at = local.location(key)?.clone();
                Some((key.to_string(), local.get(key)?.to_owned(), at))
            })
            .collect();
        match given.as_slice() {
            [] => Err(Error::new(
                ErrorKind::NoLoader,
                format!(
                    "no loader given: the section has neither `use` nor one of {}",
                    kind.protocol_keys().join(", ")
                ),
            )
            .at(here.clone().at_line(section.line()))),
            [(key, name, at)] => {
                local.remove(key);
                self.factory(kind, name, global, here.clone().at_line(section.line()))
                    .map_err(|e| e.at(at.clone()))
            }
            several => Err(Error::new(
                ErrorKind::BadSection,
                format!(
                    "multiple protocols given: {}",
                    several
                        .iter()
                        .map(|(k, v, _)| format!("{k} = {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .at(here.clone().at_line(section.line()))),
        }
    }
}

/// The file's `[DEFAULT]` values, interpolated, plus `here` and `__file__`.
fn defaults(file: &IniFile, overrides: &BTreeMap<String, String>) -> Result<Conf, Error> {
    let mut global = Conf::new();
    let at = Location::file(file.path()).in_section("DEFAULT");
    if let Some(path) = file.path() {
        let dir = path.parent().unwrap_or(path);
        global.insert("here", dir.display().to_string(), at.clone());
        global.insert("__file__", path.display().to_string(), at.clone());
    }
    if let Some(defaults) = file.defaults() {
        for entry in defaults.entries() {
            let value = file
                .get("DEFAULT", entry.key(), overrides)?
                .unwrap_or_default();
            global.insert(entry.key(), value, at.clone().at_line(entry.line()));
        }
    }
    Ok(global)
}

/// The section answering to `name` among the prefixes of `kind`. A bare
/// `[app]` (or `[filter]`, `[server]`) answers to `main`.
fn find_section<'f>(kind: Kind, file: &'f IniFile, name: &str) -> Result<&'f Section, Error> {
    let mut found: Vec<&Section> = Vec::new();
    for group in kind.groups() {
        let in_group = group.iter().find_map(|prefix| {
            file.sections().find(|s| match s.name().split_once(':') {
                Some((p, n)) => p == *prefix && n.trim() == name,
                None => name == "main" && s.name() == *prefix,
            })
        });
        if let Some(section) = in_group {
            found.push(section);
        }
    }
    let at = Location::file(file.path());
    match found.as_slice() {
        [one] => Ok(one),
        [] => {
            let available: Vec<String> = file
                .sections()
                .filter(|s| {
                    let prefix = s.name().split(':').next().unwrap_or("");
                    kind.groups().iter().any(|g| g.contains(&prefix))
                })
                .map(|s| format!("[{}]", s.name()))
                .collect();
            let available = if available.is_empty() {
                "there are none".to_owned()
            } else {
                format!("there are {}", available.join(", "))
            };
            Err(Error::new(
                ErrorKind::MissingSection,
                format!(
                    "no section {name:?} (prefixed by {}) found in config; {available}",
                    kind.describe_prefixes()
                ),
            )
            .at(at))
        }
        several => Err(Error::new(
            ErrorKind::AmbiguousSection,
            format!(
                "ambiguous section names {} for {name:?}",
                several
                    .iter()
                    .map(|s| format!("[{}]", s.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .at(at)),
    }
}

fn is_scheme(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `/abs/dir/app.ini[app:main]` → `app.ini[app:main]`, for cycle reports.
fn shorten(id: &str) -> String {
    match id.find('[') {
        Some(i) => {
            let (path, section) = id.split_at(i);
            let file = Path::new(path)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{file}{section}")
        }
        None => id.to_owned(),
    }
}

// ----- building -----

impl Session<'_> {
    pub(crate) fn build_app(&self, context: Context) -> Result<BoxApp, Error> {
        let at = context.location.clone();
        let result = match context.build {
            Build::App(AppMaker::App(factory), _) => factory(&context.global, &context.local),
            Build::App(AppMaker::Composite(factory), file) => {
                // The composite's loads share this session (files read
                // once) and its chain (a composite naming itself is a cycle).
                self.chain.borrow_mut().push(context.id.clone());
                let loader = Loader {
                    session: self,
                    file,
                    globals: context.global.clone(),
                };
                let built = factory(&loader, &context.global, &context.local);
                self.chain.borrow_mut().pop();
                built
            }
            Build::Pipeline(filters, app) => {
                let filters = filters
                    .into_iter()
                    .map(|f| self.build_filter(f))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut app = self.build_app(*app)?;
                for filter in filters.iter().rev() {
                    app = filter.apply(app)?;
                }
                Ok(app)
            }
            Build::FilterApp(filter, next) => {
                let filter = self.build_filter(*filter)?;
                filter.apply(self.build_app(*next)?)
            }
            Build::FilterWith(inner, filter) => {
                let filter = self.build_filter(*filter)?;
                filter.apply(self.build_app(*inner)?)
            }
            Build::Filter(_) | Build::Server(_) => Err(Error::new(
                ErrorKind::BadSection,
                "a filter or server where an app was expected",
            )),
        };
        result.map_err(|e| e.at(at))
    }

    pub(crate) fn build_filter(&self, context: Context) -> Result<Filter, Error> {
        let at = context.location.clone();
        let result = match context.build {
            Build::Filter(FilterMaker::Filter(factory)) => factory(&context.global, &context.local),
            Build::Filter(FilterMaker::FilterApp(factory)) => {
                // The factory runs when the filter is applied, perhaps from
                // a pipeline elsewhere: its errors are located here.
                let (global, local, at) = (context.global, context.local, at.clone());
                Ok(Filter::new(move |app| {
                    factory(app, &global, &local).map_err(|e| e.at(at.clone()))
                }))
            }
            Build::FilterWith(inner, outer) => {
                let inner = self.build_filter(*inner)?;
                let outer = self.build_filter(*outer)?;
                Ok(Filter::new(move |app| outer.apply(inner.apply(app)?)))
            }
            _ => Err(Error::new(
                ErrorKind::BadSection,
                "an app or server where a filter was expected",
            )),
        };
        result.map_err(|e| e.at(at))
    }

    pub(crate) fn build_server(&self, context: Context) -> Result<Server, Error> {
        let at = context.location.clone();
        match context.build {
            Build::Server(factory) => factory(&context.global, &context.local),
            _ => Err(Error::new(
                ErrorKind::BadSection,
                "an app or filter where a server was expected",
            )),
        }
        .map_err(|e| e.at(at))
    }
}

impl Context {
    /// The configuration a factory would receive (PasteDeploy's
    /// `appconfig`): for a pipeline, the globals alone.
    pub(crate) fn config(&self) -> (Conf, Conf) {
        match &self.build {
            Build::FilterWith(inner, _) => inner.config(),
            _ => (self.global.clone(), self.local.clone()),
        }
    }
}

/// Given to composite factories: loads the apps, filters and servers a
/// composite names, from the file the composite is defined in, with the
/// same globals, sharing the load's cache of files and its cycle checks.
pub struct Loader<'a> {
    session: &'a Session<'a>,
    file: Option<Arc<IniFile>>,
    globals: Conf,
}

impl Loader<'_> {
    /// Builds the app called `name` (a section name or a URI).
    pub fn get_app(&self, name: &str) -> Result<BoxApp, Error> {
        let context = self.resolve(Kind::App, name)?;
        self.session.build_app(context)
    }

    /// Builds the filter called `name`.
    pub fn get_filter(&self, name: &str) -> Result<Filter, Error> {
        let context = self.resolve(Kind::Filter, name)?;
        self.session.build_filter(context)
    }

    /// Builds the server called `name`.
    pub fn get_server(&self, name: &str) -> Result<Server, Error> {
        let context = self.resolve(Kind::Server, name)?;
        self.session.build_server(context)
    }

    /// The globals the composite was given.
    pub fn globals(&self) -> &Conf {
        &self.globals
    }

    fn resolve(&self, kind: Kind, name: &str) -> Result<Context, Error> {
        match &self.file {
            Some(file) => self.session.reference(kind, name, file, &self.globals),
            None => self.session.uri(kind, name, None, None, &self.globals),
        }
    }
}

impl fmt::Debug for Loader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loader")
            .field("file", &self.file.as_ref().and_then(|f| f.path()))
            .finish_non_exhaustive()
    }
}
