//! Every factory the workspace ships, registered in one place, with a
//! description of each for `paster points`.

use paste_deploy::{Description, Registry};

/// Registers every built-in factory: paste-server's `http` server,
/// paste-middleware's apps and middleware, and paste-cgi's CGI, FastCGI
/// and PHP apps, each under its own name and Python Paste's entry-point
/// names (`egg:Paste#urlmap`); then describes them.
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
        .register(paste_cgi::deploy::register);
    // Crates to come register here too: wsgiproxy's `proxy` and the
    // Tempita pages app (with their descriptions in DESCRIPTIONS).
    describe(registry);
}

/// A factory's name, summary, and settings with their meanings.
type Described = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The built-in factories, described.
const DESCRIPTIONS: &[Described] = &[
    (
        "http",
        "The web server: HTTP/1.1 and HTTP/2 on hyper, graceful shutdown, optional TLS.",
        &[
            ("host", "address to listen on (default 127.0.0.1)"),
            ("port", "port (default 8080; 0 picks a free one)"),
            ("unix_socket", "a Unix socket path instead of host and port"),
            ("threads", "worker threads of the runtime"),
            (
                "header_read_timeout",
                "time a client has to send a request head (30s)",
            ),
            (
                "keep_alive_timeout",
                "idle time before a kept-alive connection closes",
            ),
            ("drain_timeout", "time requests in flight get at shutdown"),
            ("max_header_size", "bytes of a request head"),
            ("max_body_size", "bytes of a request body"),
            ("max_connections", "open connections at once"),
            ("server_version", "the Server header (empty for none)"),
            ("tls_cert, tls_key", "PEM files: serve HTTPS"),
            ("ssl_pem", "one PEM file holding both (Paste's name)"),
        ],
    ),
    (
        "urlmap",
        "Dispatches by path prefix, domain or URL to other apps (paste.urlmap).",
        &[
            ("/path", "the app mounted at /path"),
            ("domain HOST /path", "the app for one host"),
            ("not_found_app", "the app for what no prefix matches"),
        ],
    ),
    (
        "cascade",
        "Tries apps in turn until one does not answer 404 (paste.cascade).",
        &[
            ("app1, app2, ...", "the apps, in key order"),
            (
                "catch",
                "statuses that pass on to the next app (default 404)",
            ),
        ],
    ),
    (
        "static",
        "Serves the files of a folder, with conditional and range requests.",
        &[
            (
                "document_root",
                "the folder (required; write %(here)s/... for one beside the config)",
            ),
            ("cache_max_age", "seconds for Cache-Control"),
        ],
    ),
    (
        "test",
        "Answers with a page describing the request (egg:Paste#test).",
        &[],
    ),
    (
        "errordocument",
        "Replaces error responses with the page at another path.",
        &[("404 = /errors/404", "one line per status")],
    ),
    (
        "recursive",
        "Lets an app forward or include other requests of the same site.",
        &[],
    ),
    (
        "session",
        "Gives the app a session kept in memory, in files, in a signed cookie or in Redis.",
        &[
            ("store", "memory, file, cookie or redis"),
            (
                "secret",
                "signing key of the cookie store (32 bytes or more)",
            ),
            ("session_file_path", "folder of the file store"),
            (
                "cookie_name, secure, httponly, domain, path",
                "the session cookie",
            ),
            ("idle_timeout", "how long an unused session lives"),
        ],
    ),
    (
        "config",
        "Puts the global and local settings into each request (paste.deploy.config).",
        &[],
    ),
    (
        "waitforit",
        "Shows a please-wait page while a slow response is computed.",
        &[
            ("time_limit", "time before the wait page"),
            ("poll_time", "how often the page reloads"),
            ("expiration", "how long a finished result is kept"),
        ],
    ),
    (
        "gzip",
        "Compresses responses for clients that accept gzip.",
        &[
            ("compress_level", "1 (fast) to 9 (small)"),
            ("min_size", "smallest body compressed, in bytes"),
        ],
    ),
    (
        "translogger",
        "Logs each request in Apache's combined format (through tracing).",
        &[("trust_forwarded_for", "log X-Forwarded-For as the client")],
    ),
    (
        "lint",
        "Checks that the app and the server keep the contract; fails loudly when not.",
        &[],
    ),
    (
        "error_catcher",
        "Turns server errors and panics into error pages; with debug, shows the error chain.",
        &[("debug", "show details (local setting, else [DEFAULT])")],
    ),
    (
        "auth_basic",
        "HTTP Basic authentication.",
        &[
            ("realm", "the realm (required)"),
            ("users", "user:password pairs"),
        ],
    ),
    (
        "auth_digest",
        "HTTP Digest authentication (SHA-256 and MD5).",
        &[
            ("realm", "the realm (required)"),
            ("users", "user:password pairs"),
            ("secret", "key of the nonces"),
            (
                "nonce_ttl, algorithms, max_nonces",
                "nonce lifetime, algorithms, nonces kept",
            ),
        ],
    ),
    (
        "auth_cookie",
        "Remembers the authenticated user in a signed cookie.",
        &[
            ("secret", "signing key (required, 32 bytes or more)"),
            ("cookie_name, timeout", "the cookie and how long it is good"),
            (
                "secure, httponly, samesite, domain, path",
                "cookie attributes",
            ),
        ],
    ),
    (
        "auth_form",
        "Asks for a user name and password with an HTML form.",
        &[
            ("users", "user:password pairs"),
            (
                "template, template_file",
                "the form page, with {action} and {message}",
            ),
        ],
    ),
    (
        "auth_tkt",
        "mod_auth_tkt tickets: single sign-on with Apache and others.",
        &[
            ("secret", "shared secret (required)"),
            (
                "cookie_name, secure, include_ip, timeout, logout_path",
                "ticket options",
            ),
        ],
    ),
    (
        "grantip",
        "Grants a user and roles by client address.",
        &[
            ("CIDR = user:role,role", "one line per range"),
            ("clobber_username", "replace a user already set"),
        ],
    ),
    (
        "cgi",
        "Runs one CGI program (paste.cgiapp).",
        &[
            ("script", "the program (required)"),
            ("path", "folders to look for it in"),
            ("pass_env, env NAME", "the program's environment"),
            ("timeout, max_concurrent", "limits"),
        ],
    ),
    (
        "cgi_directory",
        "Runs the CGI programs of a folder, a cgi-bin.",
        &[
            ("directory", "the folder (required)"),
            ("pass_env, env NAME", "the programs' environment"),
            ("timeout, max_concurrent", "limits"),
        ],
    ),
    (
        "fastcgi",
        "Forwards requests to a FastCGI server (php-fpm and others).",
        &[
            ("address", "host:port or unix:/path (required)"),
            ("script_filename", "SCRIPT_FILENAME to send"),
            ("max_connections, connect_timeout", "the connection pool"),
        ],
    ),
    (
        "php",
        "Serves a folder of PHP scripts through php-cgi or php-fpm (WPHP).",
        &[
            ("base_dir", "the folder (required)"),
            (
                "php_cgi, php_ini, option NAME",
                "the PHP program and its settings",
            ),
            ("fpm", "an existing php-fpm's address"),
        ],
    ),
];

fn describe(registry: &mut Registry) {
    let known: Vec<String> = registry
        .factories()
        .into_iter()
        .map(|info| info.name)
        .collect();
    for (name, summary, settings) in DESCRIPTIONS {
        if !known.iter().any(|k| k == name) {
            continue;
        }
        let description = settings
            .iter()
            .fold(Description::new(*summary), |d, (setting, meaning)| {
                d.setting(*setting, *meaning)
            });
        registry.describe(*name, description);
    }
}
