//! `Template`, its builder, the render context and template loaders.

use std::collections::HashMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::error::{Error, ErrorKind, Result};
use crate::eval::{Ns, State};
use crate::parser::Node;
use crate::value::{Repr, Value};
use crate::{lexer, parser};

pub(crate) struct TemplateInner {
    pub(crate) name: Option<String>,
    pub(crate) source: String,
    pub(crate) nodes: Vec<Node>,
    pub(crate) namespace: Ns,
    pub(crate) loader: Option<Arc<dyn Loader>>,
    pub(crate) default_inherit: Option<String>,
    pub(crate) html: bool,
    pub(crate) delimiters: (String, String),
    /// The size of the last output, to allocate the next one at once.
    pub(crate) last_len: std::sync::atomic::AtomicUsize,
    /// The most work one rendering may do.
    pub(crate) max_steps: u64,
}

/// A parsed template: parse once, render many times from many threads.
///
/// ```
/// use tempita::{Context, Template};
/// let t = Template::new("Hello {{name}}!").unwrap();
/// assert_eq!(t.substitute(&Context::new().with("name", "Bob")).unwrap(), "Hello Bob!");
/// ```
#[derive(Clone)]
pub struct Template {
    inner: Arc<TemplateInner>,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.inner.name)
            .field("html", &self.inner.html)
            .field("delimiters", &self.inner.delimiters)
            .finish_non_exhaustive()
    }
}

impl Template {
    /// Parse `content` as an unnamed plain-text template.
    ///
    /// # Errors
    /// A syntax error, with line and column.
    pub fn new(content: impl Into<String>) -> Result<Self> {
        Self::builder(content).build()
    }

    /// A builder for a template with a name, namespace, loader, delimiters….
    pub fn builder(content: impl Into<String>) -> TemplateBuilder {
        TemplateBuilder {
            content: content.into(),
            name: None,
            namespace: Ns::default(),
            loader: None,
            default_inherit: None,
            html: false,
            delimiters: ("{{".to_owned(), "}}".to_owned()),
            line_offset: 0,
            max_steps: crate::eval::DEFAULT_MAX_STEPS,
        }
    }

    /// Read and parse a UTF-8 template file. The template is named after the
    /// path, and `{{inherit "name"}}` finds files in the same directory.
    ///
    /// # Errors
    /// When the file cannot be read or parsed.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::file_builder(path.as_ref())?.build()
    }

    pub(crate) fn file_builder(path: &Path) -> Result<TemplateBuilder> {
        let content = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read {}: {e}", path.display()),
            )
            .with_source(e)
        })?;
        let mut b = Self::builder(content).name(path.display().to_string());
        if let Some(dir) = path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            b = b.loader(SiblingLoader(dir.to_path_buf()));
        }
        Ok(b)
    }

    /// The template name, if any.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The source text.
    #[must_use]
    pub fn content(&self) -> &str {
        &self.inner.source
    }

    /// Whether values are HTML-escaped on output.
    #[must_use]
    pub fn is_html(&self) -> bool {
        self.inner.html
    }

    /// The start and end delimiters.
    #[must_use]
    pub fn delimiters(&self) -> (&str, &str) {
        (&self.inner.delimiters.0, &self.inner.delimiters.1)
    }

    /// The value of `name` in the constructor namespace.
    #[must_use]
    pub fn namespace_get(&self, name: &str) -> Option<&Value> {
        self.inner.namespace.get(name)
    }

    /// Render with the variables of `context`. Context values win over the
    /// constructor namespace of the same name.
    ///
    /// # Errors
    /// Any error raised while rendering, with the template name, line and column.
    pub fn substitute(&self, context: &Context) -> Result<String> {
        crate::eval::check_host_values(&context.vars)?;
        let mut state = State::new().with_max_steps(self.inner.max_steps);
        state.render(&self.inner, context.vars.clone())
    }

    pub(crate) fn from_inner(inner: Arc<TemplateInner>) -> Self {
        Self { inner }
    }

    pub(crate) fn into_inner(self) -> Arc<TemplateInner> {
        self.inner
    }

    /// A builder for another template that shares this one's namespace,
    /// loader and HTML mode (what a [`Loader`] usually wants).
    pub fn sibling(&self, content: impl Into<String>) -> TemplateBuilder {
        let mut b = Self::builder(content);
        b.namespace = self.inner.namespace.clone();
        b.loader = self.inner.loader.clone();
        b.html = self.inner.html;
        b.max_steps = self.inner.max_steps;
        b
    }
}

/// Build a [`Template`] with options.
///
/// ```
/// use tempita::{Context, Template};
/// let t = Template::builder("Hi [[name.upper()]]")
///     .name("greeting")
///     .delimiters("[[", "]]")
///     .build()
///     .unwrap();
/// assert_eq!(t.substitute(&Context::new().with("name", "ann")).unwrap(), "Hi ANN");
/// ```
#[must_use = "call build() to get the template"]
pub struct TemplateBuilder {
    content: String,
    name: Option<String>,
    namespace: Ns,
    loader: Option<Arc<dyn Loader>>,
    default_inherit: Option<String>,
    html: bool,
    delimiters: (String, String),
    line_offset: usize,
    max_steps: u64,
}

impl fmt::Debug for TemplateBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemplateBuilder")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TemplateBuilder {
    /// The name used in error messages (and by loaders to resolve relative names).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Variables every rendering sees (functions, constants).
    pub fn namespace(mut self, namespace: &Context) -> Self {
        self.namespace
            .extend(namespace.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        self
    }

    /// One variable every rendering sees, for example a function.
    pub fn namespace_value(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.namespace.insert(name.into(), value.into());
        self
    }

    /// The loader that `{{inherit "name"}}` uses.
    pub fn loader(mut self, loader: impl Loader + 'static) -> Self {
        self.loader = Some(Arc::new(loader));
        self
    }

    /// A template to inherit from when the template itself has no `{{inherit}}`.
    pub fn default_inherit(mut self, name: impl Into<String>) -> Self {
        self.default_inherit = Some(name.into());
        self
    }

    /// HTML mode: values are escaped on output unless marked safe with `html()`.
    pub fn html(mut self, html: bool) -> Self {
        self.html = html;
        self
    }

    /// Other delimiters than `{{` and `}}`.
    pub fn delimiters(mut self, start: impl Into<String>, end: impl Into<String>) -> Self {
        self.delimiters = (start.into(), end.into());
        self
    }

    /// The most work one rendering may do, in steps (a node, an
    /// expression, an item iterated, of a `range` or of a list built,
    /// 16 bytes of text built or written, 16 digits of a format
    /// precision; repetition and the text of a list, tuple or dict are
    /// counted before they are made): past it, rendering
    /// fails with an `OverflowError`, so that no template runs for ever.
    /// The default, 10 000 000, is about a second of CPU time; an
    /// untrusted template deserves less.
    ///
    /// ```
    /// use tempita::{Context, Template};
    /// let t = Template::builder("{{for i in range(1000)}}{{i}}{{endfor}}")
    ///     .max_steps(100)
    ///     .build()
    ///     .unwrap();
    /// let err = t.substitute(&Context::new()).unwrap_err();
    /// assert!(err.to_string().contains("more than 100 steps"), "{err}");
    /// ```
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.max_steps = steps;
        self
    }

    /// Add `offset` to every reported line number (for templates embedded in a file).
    pub fn line_offset(mut self, offset: usize) -> Self {
        self.line_offset = offset;
        self
    }

    /// Parse the template.
    ///
    /// # Errors
    /// A syntax error with line and column, or empty delimiters.
    pub fn build(self) -> Result<Template> {
        let name = self.name.as_deref();
        let (start, end) = &self.delimiters;
        if start.is_empty() || end.is_empty() {
            return Err(
                Error::new(ErrorKind::Syntax, "delimiters must not be empty").with_name(name),
            );
        }
        let mut tokens = lexer::lex(&self.content, start, end, self.line_offset)
            .map_err(|e| e.with_name(name))?;
        lexer::trim(&mut tokens);
        let nodes = parser::parse(tokens, &self.content).map_err(|e| e.with_name(name))?;
        crate::eval::check_host_values(&self.namespace).map_err(|e| e.with_name(name))?;
        Ok(Template {
            inner: Arc::new(TemplateInner {
                name: self.name,
                source: self.content,
                nodes,
                namespace: self.namespace,
                loader: self.loader,
                default_inherit: self.default_inherit,
                html: self.html,
                delimiters: self.delimiters,
                last_len: std::sync::atomic::AtomicUsize::new(0),
                max_steps: self.max_steps,
            }),
        })
    }
}

/// Shortcuts for HTML templates: values are escaped on output unless they are
/// marked safe with `html()` (or are [`Value::safe`]).
///
/// ```
/// use tempita::{Context, HtmlTemplate};
/// let t = HtmlTemplate::new("<a title=\"{{title}}\">{{html(label)}}</a>").unwrap();
/// let ctx = Context::new().with("title", "Attack!\">").with("label", "<b>go</b>");
/// assert_eq!(t.substitute(&ctx).unwrap(), "<a title=\"Attack!&quot;&gt;\"><b>go</b></a>");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct HtmlTemplate;

impl HtmlTemplate {
    /// Parse an HTML template.
    ///
    /// # Errors
    /// A syntax error with line and column.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(content: impl Into<String>) -> Result<Template> {
        Self::builder(content).build()
    }

    /// A builder with HTML mode on.
    pub fn builder(content: impl Into<String>) -> TemplateBuilder {
        Template::builder(content).html(true)
    }

    /// Read and parse an HTML template file (see [`Template::from_file`]).
    ///
    /// # Errors
    /// When the file cannot be read or parsed.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Template> {
        Template::file_builder(path.as_ref())?.html(true).build()
    }
}

/// Parse and render `content` in one go (Tempita's `sub`).
///
/// ```
/// use tempita::{Context, sub};
/// assert_eq!(sub("{{x * 2}}", &Context::new().with("x", 21)).unwrap(), "42");
/// ```
///
/// # Errors
/// Syntax and render errors.
pub fn sub(content: &str, context: &Context) -> Result<String> {
    Template::new(content)?.substitute(context)
}

/// Evaluate one Python expression with the variables of `context`.
///
/// ```
/// use tempita::{Context, eval};
/// let v = eval("[x * 2 for x in range(n)]", &Context::new().with("n", 3)).unwrap();
/// assert_eq!(v.repr(), "[0, 2, 4]");
/// ```
///
/// # Errors
/// Syntax and evaluation errors.
pub fn eval(expression: &str, context: &Context) -> Result<Value> {
    let pos = crate::error::Pos { line: 1, column: 1 };
    let (expr, filters) = crate::expr::parse_piped(expression).map_err(|e| {
        Error::new(
            ErrorKind::Syntax,
            format!(
                "SyntaxError: {} in expression: {}",
                e.message(),
                expression.trim()
            ),
        )
        .at(pos, Some("<expression>"), expression)
    })?;
    let inner = TemplateInner {
        name: Some("<expression>".to_owned()),
        source: expression.to_owned(),
        nodes: vec![Node::Expr { pos, expr, filters }],
        namespace: Ns::default(),
        loader: None,
        default_inherit: None,
        html: false,
        delimiters: ("{{".to_owned(), "}}".to_owned()),
        last_len: std::sync::atomic::AtomicUsize::new(0),
        max_steps: crate::eval::DEFAULT_MAX_STEPS,
    };
    crate::eval::check_host_values(&context.vars)?;
    let mut state = State::new();
    state.eval_first(&Arc::new(inner), context.vars.clone())
}

/// [`sub`] for HTML: values are escaped (Tempita's `sub_html`).
///
/// # Errors
/// Syntax and render errors.
pub fn sub_html(content: &str, context: &Context) -> Result<String> {
    HtmlTemplate::new(content)?.substitute(context)
}

/// The variables of one rendering: name → [`Value`].
///
/// ```
/// use tempita::{Context, Template};
/// #[derive(serde::Serialize)]
/// struct Page { title: String, items: Vec<u32> }
/// let ctx = Context::from_serialize(&Page { title: "T".into(), items: vec![1, 2] })
///     .unwrap()
///     .with("user", "ann");
/// let t = Template::new("{{title}}:{{len(items)}}:{{user}}").unwrap();
/// assert_eq!(t.substitute(&ctx).unwrap(), "T:2:ann");
/// ```
#[derive(Clone, Default)]
pub struct Context {
    pub(crate) vars: Ns,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.vars.iter()).finish()
    }
}

impl Context {
    /// An empty context.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A context from a struct or map that `serde` can serialize: its fields
    /// become the variables.
    ///
    /// # Errors
    /// When serialization fails or the value is not a struct or map.
    pub fn from_serialize<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self> {
        let v = Value::from_serialize(value)?;
        let Repr::Dict(d) = &v.0 else {
            return Err(Error::new(
                ErrorKind::Serialize,
                format!("a context must be a struct or a map, not {}", v.type_name()),
            ));
        };
        let mut ctx = Self::new();
        for (k, v) in &d.entries {
            ctx.vars.insert(k.to_string().into(), v.clone());
        }
        Ok(ctx)
    }

    /// Set a variable.
    pub fn insert(&mut self, name: &str, value: impl Into<Value>) {
        self.vars.insert(name.into(), value.into());
    }

    /// Set a variable, builder style.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.insert(name, value);
        self
    }

    /// The value of a variable.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    /// Remove a variable.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.vars.remove(name)
    }

    /// The number of variables.
    #[must_use]
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether there is no variable.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

impl<K: AsRef<str>, V: Into<Value>> FromIterator<(K, V)> for Context {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut ctx = Self::new();
        ctx.extend(iter);
        ctx
    }
}

impl<K: AsRef<str>, V: Into<Value>> Extend<(K, V)> for Context {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k.as_ref(), v);
        }
    }
}

/// Finds the template that `{{inherit "name"}}` names (Tempita's `get_template`).
///
/// Closures `Fn(&str, &Template) -> Result<Template>` are loaders.
///
/// ```
/// use tempita::{Context, Template};
/// let child = Template::builder("{{inherit 'base'}}{{def title}}Home{{enddef}}hello")
///     .loader(|name: &str, from: &Template| {
///         assert_eq!(name, "base");
///         from.sibling("<h1>{{self.title()}}</h1>{{self.body}}").name(name).build()
///     })
///     .build()
///     .unwrap();
/// assert_eq!(child.substitute(&Context::new()).unwrap(), "<h1>Home</h1>hello");
/// ```
pub trait Loader: Send + Sync {
    /// The template called `name`, asked for by template `from`.
    ///
    /// # Errors
    /// [`ErrorKind::TemplateNotFound`] or a parse error.
    fn load(&self, name: &str, from: &Template) -> Result<Template>;
}

impl<F> Loader for F
where
    F: Fn(&str, &Template) -> Result<Template> + Send + Sync,
{
    fn load(&self, name: &str, from: &Template) -> Result<Template> {
        self(name, from)
    }
}

fn not_found(name: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::TemplateNotFound,
        format!("template {name:?} not found: {why}"),
    )
}

/// Resolve `name` against `base` (a directory inside the root, as segments),
/// refusing anything that would leave the root.
fn resolve(base: &[String], name: &str) -> Result<Vec<String>> {
    if name.contains('\0') || name.contains('\\') {
        return Err(not_found(name, "invalid characters in the name"));
    }
    let mut parts: Vec<String> = if name.starts_with('/') {
        Vec::new()
    } else {
        base.to_vec()
    };
    for comp in Path::new(name.trim_start_matches('/')).components() {
        match comp {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(not_found(name, "the name leaves the template directory"));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(not_found(name, "absolute names are not allowed"));
            }
        }
    }
    if parts.is_empty() {
        return Err(not_found(name, "empty name"));
    }
    Ok(parts)
}

/// The loader of [`Template::from_file`]: siblings of the template's file.
struct SiblingLoader(PathBuf);

impl Loader for SiblingLoader {
    fn load(&self, name: &str, from: &Template) -> Result<Template> {
        let path = self.0.join(name);
        let b = Template::file_builder(&path)?;
        let mut b = b.html(from.is_html());
        b.namespace.clone_from(&from.inner.namespace);
        b.build()
    }
}

struct DirInner {
    root: PathBuf,
    html: Option<bool>,
    namespace: Ns,
}

/// Parsed templates by (relative name, HTML mode), with the file's mtime.
type Cache = Mutex<HashMap<(String, bool), (Option<SystemTime>, Template)>>;

/// The loader held by cached templates points at the cache weakly, so that
/// cache → template → loader → cache is not a reference cycle.
#[derive(Clone)]
enum CacheRef {
    Strong(Arc<Cache>),
    Weak(std::sync::Weak<Cache>),
}

impl CacheRef {
    fn get(&self) -> Option<Arc<Cache>> {
        match self {
            Self::Strong(c) => Some(c.clone()),
            Self::Weak(w) => w.upgrade(),
        }
    }
}

/// Loads templates from one directory, by relative name, and caches them
/// (reloading a file when its modification time changes).
///
/// Names are `/`-separated and relative to the directory of the template that
/// asks (or to the root when they start with `/`); a name that would leave the
/// root (`..`, absolute paths, symlinks pointing outside) is refused.
/// Templates whose name ends in `.html`, `.htm`, `.xhtml` or `.xml` are HTML
/// templates unless [`DirLoader::html`] says otherwise; a parent loaded by
/// `{{inherit}}` takes the mode of the template that inherits (as in Tempita).
/// Templates keep working after the loader is dropped (without the cache).
///
/// ```
/// use tempita::{Context, DirLoader};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("base.html"), "<title>{{self.title()}}</title>{{self.body}}").unwrap();
/// std::fs::write(dir.path().join("page.html"), "{{inherit 'base.html'}}{{def title}}Hi{{enddef}}<p>{{msg}}</p>").unwrap();
/// let loader = DirLoader::new(dir.path());
/// let page = loader.get("page.html").unwrap();
/// let out = page.substitute(&Context::new().with("msg", "a<b")).unwrap();
/// assert_eq!(out, "<title>Hi</title><p>a&lt;b</p>");
/// assert!(loader.get("../etc/passwd").is_err());
/// ```
#[derive(Clone)]
pub struct DirLoader {
    inner: Arc<DirInner>,
    cache: CacheRef,
}

impl fmt::Debug for DirLoader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirLoader")
            .field("root", &self.inner.root)
            .finish_non_exhaustive()
    }
}

impl DirLoader {
    /// A loader for the templates under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            inner: Arc::new(DirInner {
                root: root.into(),
                html: None,
                namespace: Ns::default(),
            }),
            cache: CacheRef::Strong(Arc::default()),
        }
    }

    fn rebuild(&self, f: impl FnOnce(&mut DirInner)) -> Self {
        let mut inner = DirInner {
            root: self.inner.root.clone(),
            html: self.inner.html,
            namespace: self.inner.namespace.clone(),
        };
        f(&mut inner);
        Self {
            inner: Arc::new(inner),
            cache: CacheRef::Strong(Arc::default()),
        }
    }

    /// Force HTML mode on (or off) for every template, whatever its extension.
    #[must_use]
    pub fn html(&self, html: bool) -> Self {
        self.rebuild(|i| i.html = Some(html))
    }

    /// Variables (functions, constants) every loaded template sees.
    #[must_use]
    pub fn namespace(&self, namespace: &Context) -> Self {
        self.rebuild(|i| {
            i.namespace
                .extend(namespace.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        })
    }

    /// The root directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The template called `name` (relative to the root).
    ///
    /// # Errors
    /// [`ErrorKind::TemplateNotFound`] for a missing or refused name, or a parse error.
    pub fn get(&self, name: &str) -> Result<Template> {
        let parts = resolve(&[], name)?;
        self.load_parts(name, &parts, None)
    }

    /// Load `parts`; `html` is the mode of the template that inherits (its
    /// parents take its mode, as in Tempita), `None` for a page itself.
    fn load_parts(&self, asked: &str, parts: &[String], html: Option<bool>) -> Result<Template> {
        let rel = parts.join("/");
        let html = self.inner.html.or(html).unwrap_or_else(|| {
            let ext = rel.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            matches!(ext.as_str(), "html" | "htm" | "xml" | "xhtml")
        });
        let key = (rel, html);
        let rel = &key.0;
        let cache = self.cache.get();
        let path = self.inner.root.join(rel);
        let root = self
            .inner
            .root
            .canonicalize()
            .map_err(|e| not_found(asked, &e.to_string()))?;
        let real = path
            .canonicalize()
            .map_err(|_| not_found(asked, "no such file"))?;
        if !real.starts_with(&root) {
            return Err(not_found(asked, "the name leaves the template directory"));
        }
        let meta = std::fs::metadata(&real).map_err(|e| not_found(asked, &e.to_string()))?;
        if !meta.is_file() {
            return Err(not_found(asked, "not a file"));
        }
        let mtime = meta.modified().ok();
        if let Some(cache) = &cache
            && let Some((m, t)) = cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&key)
            && *m == mtime
            && mtime.is_some()
        {
            return Ok(t.clone());
        }
        let content = std::fs::read_to_string(&real).map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read {rel}: {e}")).with_source(e)
        })?;
        let weak = Self {
            inner: self.inner.clone(),
            cache: match &cache {
                Some(c) => CacheRef::Weak(Arc::downgrade(c)),
                None => CacheRef::Weak(std::sync::Weak::new()),
            },
        };
        let mut b = Template::builder(content)
            .name(rel.clone())
            .html(html)
            .loader(weak);
        b.namespace.clone_from(&self.inner.namespace);
        let t = b.build()?;
        if let Some(cache) = cache {
            cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(key, (mtime, t.clone()));
        }
        Ok(t)
    }
}

impl Loader for DirLoader {
    fn load(&self, name: &str, from: &Template) -> Result<Template> {
        let base: Vec<String> = match from.name() {
            Some(n) => {
                let mut parts = resolve(&[], n).unwrap_or_default();
                parts.pop();
                parts
            }
            None => Vec::new(),
        };
        let parts = resolve(&base, name)?;
        self.load_parts(name, &parts, Some(from.is_html()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_refuses_escapes() {
        assert_eq!(resolve(&["a".into()], "b.html").unwrap(), ["a", "b.html"]);
        assert_eq!(resolve(&["a".into()], "../b.html").unwrap(), ["b.html"]);
        assert_eq!(resolve(&["a".into()], "/c/d").unwrap(), ["c", "d"]);
        assert!(resolve(&["a".into()], "../../b").is_err());
        assert!(resolve(&[], "..").is_err());
        assert!(resolve(&[], "a\\..\\..\\b").is_err());
        assert!(resolve(&[], "").is_err());
    }

    #[test]
    fn template_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Template>();
        check::<Value>();
        check::<DirLoader>();
    }
}
