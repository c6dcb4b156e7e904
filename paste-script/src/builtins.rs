//! Every factory the workspace ships, registered in one place. Each crate
//! describes its own factories for `paster points`.

use paste_deploy::Registry;

/// Registers every built-in factory: paste-server's `http` server,
/// paste-middleware's apps and middleware (Tempita pages included),
/// paste-cgi's CGI, FastCGI and PHP apps, and wsgiproxy's proxies, each
/// under its own name and Python Paste's entry-point names
/// (`egg:Paste#urlmap`), with its description.
///
/// ```
/// use paste_deploy::Registry;
///
/// let mut registry = Registry::new();
/// registry.register(paste_script::builtins::register);
/// assert!(registry.has_app("egg:Paste#urlmap"));
/// ```
pub fn register(registry: &mut Registry) {
    registry
        .register(paste_server::deploy::register)
        .register(paste_middleware::deploy::register)
        .register(paste_cgi::deploy::register)
        .register(wsgiproxy::deploy::register);
}
