//! The public entry points: `load_app`, `load_filter`, `load_server` and
//! `app_config`.

use std::path::Path;

use paste_core::BoxApp;

use crate::conf::Conf;
use crate::error::Error;
use crate::loader::{Kind, Session};
use crate::registry::{Filter, Registry, Server};

/// The configuration an app would be built with (PasteDeploy's
/// `appconfig`), without building it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppConfig {
    /// The global configuration: `[DEFAULT]`, `here`, `__file__`, the
    /// caller's globals, and the section's `set` lines.
    pub global: Conf,
    /// The section's own settings (after `use` merges and `get`s).
    pub local: Conf,
}

impl AppConfig {
    /// The globals with the local settings over them, as one map (the
    /// shape PasteDeploy's `appconfig` returns).
    pub fn merged(&self) -> Conf {
        let mut merged = self.global.clone();
        merged.extend(&self.local);
        merged
    }
}

impl Registry {
    /// Loads the app `uri` names: `config:path.ini`, `config:path.ini#name`,
    /// `egg:Dist#name` or `call:name`. An explicit `name` wins over the
    /// `#fragment`; with neither, the name is `main`. A relative `config:`
    /// path needs `relative_to`. `globals` (the caller's `var=value`s)
    /// override `[DEFAULT]` everywhere, interpolation included.
    ///
    /// ```
    /// # use std::io::Write;
    /// use paste_core::{BoxApp, Response, app_fn};
    /// use paste_deploy::{Conf, Registry};
    ///
    /// let dir = std::env::temp_dir().join(format!("paste-deploy-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("site.ini"), "[DEFAULT]\ngreeting = Hello\n\n[app:main]\nuse = egg:Demo#hello\nwho = %(greeting)s, World\n").unwrap();
    ///
    /// let mut registry = Registry::new();
    /// registry.app("hello", |_global: &Conf, local: &Conf| {
    ///     let text = local.require("who")?.to_owned();
    ///     Ok(BoxApp::new(app_fn(move |_req| {
    ///         let text = text.clone();
    ///         async move { Ok(Response::new(text.into())) }
    ///     })))
    /// });
    /// let config = registry.app_config("config:site.ini", None, Some(&dir), &Conf::new()).unwrap();
    /// assert_eq!(config.local.get("who"), Some("Hello, World"));
    ///
    /// let globals: Conf = [("greeting", "Bonjour")].into_iter().collect();
    /// let config = registry.app_config("config:site.ini", None, Some(&dir), &globals).unwrap();
    /// assert_eq!(config.local.get("who"), Some("Bonjour, World"));
    /// let _app = registry.load_app("config:site.ini", None, Some(&dir), &globals).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn load_app(
        &self,
        uri: &str,
        name: Option<&str>,
        relative_to: Option<&Path>,
        globals: &Conf,
    ) -> Result<BoxApp, Error> {
        let session = Session::new(self, Vec::new());
        let context = session.uri(Kind::App, uri, name, relative_to, globals)?;
        session.build_app(context)
    }

    /// Loads the filter `uri` names (see [`load_app`](Registry::load_app)).
    pub fn load_filter(
        &self,
        uri: &str,
        name: Option<&str>,
        relative_to: Option<&Path>,
        globals: &Conf,
    ) -> Result<Filter, Error> {
        let session = Session::new(self, Vec::new());
        let context = session.uri(Kind::Filter, uri, name, relative_to, globals)?;
        session.build_filter(context)
    }

    /// Loads the server `uri` names (see [`load_app`](Registry::load_app)).
    pub fn load_server(
        &self,
        uri: &str,
        name: Option<&str>,
        relative_to: Option<&Path>,
        globals: &Conf,
    ) -> Result<Server, Error> {
        let session = Session::new(self, Vec::new());
        let context = session.uri(Kind::Server, uri, name, relative_to, globals)?;
        session.build_server(context)
    }

    /// The configuration the app `uri` names would be built with, without
    /// building anything.
    pub fn app_config(
        &self,
        uri: &str,
        name: Option<&str>,
        relative_to: Option<&Path>,
        globals: &Conf,
    ) -> Result<AppConfig, Error> {
        let session = Session::new(self, Vec::new());
        let context = session.uri(Kind::App, uri, name, relative_to, globals)?;
        let (global, local) = context.config();
        Ok(AppConfig { global, local })
    }
}
