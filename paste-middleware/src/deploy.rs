//! Registration with paste-deploy (feature `deploy`), under Paste's
//! entry-point names (`egg:Paste#urlmap`, `egg:Paste#static`…) and our own.

use std::collections::HashMap;
use std::time::Duration;

use paste_core::BoxApp;
use paste_core::http::StatusCode;
use paste_deploy::{Conf, Description, Error, ErrorKind, Registry};
use webob::cookies::{CookieOptions, SameSite, Signer};

use crate::auth::basic::{BasicAuth, UserTable};
use crate::auth::cookie::CookieAuth;
use crate::auth::digest::{DigestAlgorithm, DigestAuth, digest_password};
use crate::auth::form::FormAuth;
use crate::auth::tkt::AuthTktMiddleware;
use crate::cascade::Cascade;
use crate::config::WithConfig;
use crate::error_catcher::ErrorCatcher;
use crate::errordocument::ErrorDocument;
use crate::grantip::GrantIp;
use crate::gzip::Gzip;
use crate::lint::Lint;
use crate::recursive::Recursive;
use crate::session::{CookieStore, FileStore, MemoryStore, SessionMiddleware};
use crate::static_files::StaticDir;
use crate::test_app::TestApp;
use crate::translogger::{TracingSink, TransLogger};
use crate::urlmap::UrlMap;
use crate::waitforit::WaitForIt;

/// Registers every middleware and app of this crate, each under its name
/// and as `egg:Paste#NAME` (`egg:PasteDeploy#config` for `config`).
///
/// | name | kind | settings |
/// |---|---|---|
/// | `urlmap` | composite | `/path = app`, `domain HOST [port N] /path = app`, `http://host:port/path = app`, `not_found_app = app` |
/// | `cascade` | composite | `app1 = a`, `app2 = b`… (in key order), `catch = 404 405` |
/// | `static` | app | `document_root` (required), `cache_max_age` (seconds) |
/// | `test` | app | — |
/// | `errordocument` | filter-app | `404 = /errors/404`, one per status |
/// | `recursive` | filter-app | — |
/// | `session` (`paste_session`) | filter-app | `store = memory/file/cookie/redis`, `session_file_path` (file), `secret` (cookie, ≥ 32 bytes), `redis_url`, `key_prefix`, `redis_timeout` (redis, feature `redis`), `cookie_name`, `secure`, `httponly`, `domain`, `path`, `idle_timeout` |
/// | `config` | filter-app | every global and local setting, as a `paste_deploy::Conf` in the request |
/// | `waitforit` | filter-app | `time_limit`, `poll_time`, `expiration` (durations) |
/// | `gzip` | filter-app | `compress_level` (1-9), `min_size` (bytes) |
/// | `translogger` | filter-app | `trust_forwarded_for` (logs to `tracing`) |
/// | `lint` | filter-app | — |
/// | `error_catcher` | filter-app | `debug` (local, else global) |
/// | `auth_basic` | filter-app | `realm`, `users = user:password …` |
/// | `auth_digest` | filter-app | `realm` (required), `users = user:password …`, `secret` for the nonces (local, else global; ≥ 32 bytes; random per process when unset), `nonce_ttl`, `algorithms = SHA-256 MD5`, `max_nonces` |
/// | `auth_cookie` | filter-app | `secret` (required, local, else global; ≥ 32 bytes), `cookie_name`, `timeout` (a bare number is minutes, as in Paste; `none` for no limit), `secure`, `httponly`, `samesite` (`strict`/`lax`/`none`), `domain`, `path`; Paste's `scanlist` and `maxlen` are ignored |
/// | `auth_form` | filter-app | `users = user:password …`, `template` or `template_file` (with `{action}` and `{message}`, or Paste's one `%s`); Paste's `realm` is ignored |
/// | `auth_tkt` | filter-app | `secret` (local, else global; not blank), `cookie_name`, `secure`, `logout_path`, `include_ip`, `timeout` |
/// | `grantip` | filter-app | `CIDR = user:role,role …`, `clobber_username` |
/// | `tempita_pages` (feature `tempita`) | app | `directory` (required), `index_file`; every setting of the section is `config` in the pages (`config['title']`) |
///
/// [`auth::multi`](crate::auth::multi) is not registered: it picks a
/// method per request by a predicate, which is code, not a setting.
///
/// `users` keeps passwords in the clear in the config file, as Paste's
/// examples do; it stands for Paste's `authfunc`, which names a Python
/// callable.
pub fn register(registry: &mut Registry) {
    registry
        .composite("urlmap", |loader, _global, local| {
            let mut map = UrlMap::new();
            for (key, name) in local.iter() {
                if key == "not_found_app" {
                    map = map.not_found_app(loader.get_app(name)?);
                    continue;
                }
                let mount = mount_key(key)
                    .ok_or_else(|| bad(local, key, "is not a path, a domain entry or a URL"))?;
                map.insert(&mount, loader.get_app(name)?)
                    .map_err(|err| bad(local, key, err))?;
            }
            Ok(BoxApp::new(map))
        })
        .composite("cascade", |loader, _global, local| {
            let mut names: Vec<(&str, &str)> =
                local.iter().filter(|(k, _)| k.starts_with("app")).collect();
            names.sort_by_key(|(k, _)| *k);
            let apps = names
                .into_iter()
                .map(|(_, name)| loader.get_app(name))
                .collect::<Result<Vec<_>, _>>()?;
            let mut cascade = Cascade::new(apps);
            if local.contains_key("catch") {
                let statuses = local
                    .list("catch")
                    .iter()
                    .map(|s| {
                        s.parse::<u16>()
                            .ok()
                            .and_then(|c| StatusCode::from_u16(c).ok())
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad(local, "catch", "is not a list of status codes"))?;
                cascade = cascade.catch(statuses);
            }
            Ok(BoxApp::new(cascade))
        })
        .app("static", |_global, local| {
            let mut app = StaticDir::new(local.require("document_root")?);
            if let Some(age) = local.int::<u64>("cache_max_age")? {
                app = app.cache_max_age(age);
            }
            Ok(BoxApp::new(app))
        })
        .app("test", |_global, _local| Ok(BoxApp::new(TestApp::new())))
        .filter_app("errordocument", |app, _global, local| {
            let mut documents = ErrorDocument::new(app);
            for (key, target) in local.iter() {
                let status = key
                    .parse::<u16>()
                    .ok()
                    .filter(|s| (100..600).contains(s))
                    .ok_or_else(|| bad(local, key, "is not a status code"))?;
                documents = documents.map(status, target);
            }
            Ok(BoxApp::new(documents))
        })
        .filter_app("recursive", |app, _global, _local| {
            Ok(BoxApp::new(Recursive::new(app)))
        })
        .filter_app("session", session)
        .filter_app("config", |app, global, local| {
            let mut conf = global.clone();
            conf.extend(local);
            Ok(BoxApp::new(WithConfig::new(app, conf)))
        })
        .filter_app("waitforit", |app, _global, local| {
            let mut wait = WaitForIt::new(app);
            if let Some(d) = local.duration("time_limit")? {
                wait = wait.time_limit(d);
            }
            if let Some(d) = local.duration("poll_time")? {
                wait = wait.poll_interval(d);
            }
            if let Some(d) = local.duration("expiration")? {
                wait = wait.expiry(d);
            }
            Ok(BoxApp::new(wait))
        });
    registry
        .filter_app("gzip", |app, _global, local| {
            let mut gzip = Gzip::new(app);
            if let Some(level) = local.int::<u32>("compress_level")? {
                gzip = gzip.level(level);
            }
            if let Some(min) = local.int::<u64>("min_size")? {
                gzip = gzip.min_size(min);
            }
            Ok(BoxApp::new(gzip))
        })
        .filter_app("translogger", |app, _global, local| {
            let trust = local.bool("trust_forwarded_for")?.unwrap_or(false);
            Ok(BoxApp::new(
                TransLogger::new(app, TracingSink).trust_forwarded_for(trust),
            ))
        })
        .filter_app("lint", |app, _global, _local| {
            Ok(BoxApp::new(Lint::new(app)))
        })
        .filter_app("error_catcher", |app, global, local| {
            let debug = match local.bool("debug")? {
                Some(debug) => debug,
                None => global.bool("debug")?.unwrap_or(false),
            };
            Ok(BoxApp::new(ErrorCatcher::new(app).debug(debug)))
        })
        .filter_app("auth_basic", |app, _global, local| {
            let realm = local.require("realm")?.to_owned();
            let table = users(local)?;
            Ok(BoxApp::new(BasicAuth::new(app, &realm, table.into_check())))
        })
        .filter_app("auth_digest", auth_digest)
        .filter_app("auth_cookie", auth_cookie)
        .filter_app("auth_form", |app, _global, local| {
            let mut form = FormAuth::new(app, users(local)?.into_check());
            if let Some(template) = form_template(local)? {
                form = form.template(&template);
            }
            Ok(BoxApp::new(form))
        })
        .filter_app("auth_tkt", |app, global, local| {
            let (secret, conf) = match local.get("secret") {
                Some(secret) => (secret, local),
                None => (global.require("secret")?, global),
            };
            // mod_auth_tkt takes any secret, but a blank one signs nothing.
            if secret.trim().is_empty() {
                return Err(bad(conf, "secret", "is empty"));
            }
            let mut tkt = AuthTktMiddleware::new(app, secret);
            if let Some(name) = local.get("cookie_name") {
                tkt = tkt.cookie_name(name);
            }
            if let Some(secure) = local.bool("secure")? {
                tkt = tkt.secure(secure);
            }
            if let Some(path) = local.get("logout_path") {
                tkt = tkt.logout_path(path);
            }
            if let Some(include) = local.bool("include_ip")? {
                tkt = tkt.include_ip(include);
            }
            if let Some(timeout) = local.duration("timeout")? {
                tkt = tkt.timeout(Some(timeout));
            }
            Ok(BoxApp::new(tkt))
        })
        .filter_app("grantip", |app, _global, local| {
            let mut grant = GrantIp::new(app);
            for (range, who) in local.iter() {
                if range == "clobber_username" {
                    continue;
                }
                grant = grant
                    .grant(range, who)
                    .map_err(|err| bad(local, range, err))?;
            }
            if let Some(clobber) = local.bool("clobber_username")? {
                grant = grant.clobber_username(clobber);
            }
            Ok(BoxApp::new(grant))
        });
    for name in [
        "gzip",
        "translogger",
        "lint",
        "error_catcher",
        "auth_basic",
        "auth_digest",
        "auth_cookie",
        "auth_form",
        "auth_tkt",
        "grantip",
        "urlmap",
        "cascade",
        "static",
        "test",
        "errordocument",
        "recursive",
        "waitforit",
    ] {
        registry.alias(format!("egg:Paste#{name}"), name);
    }
    registry.alias("egg:Paste#paste_session", "session");
    registry.alias("paste_session", "session");
    registry.alias("egg:PasteDeploy#config", "config");
    #[cfg(feature = "tempita")]
    registry.app("tempita_pages", |_global, local| {
        let mut pages = crate::pages::TempitaPages::new(local.require("directory")?);
        if let Some(index) = local.get("index_file") {
            pages = pages.index_file(index);
        }
        // The section's settings, for the pages to show (`config['title']`).
        let config = tempita::Value::dict(local.iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
        pages = pages.namespace(&tempita::Context::new().with("config", config));
        Ok(BoxApp::new(pages))
    });
    describe(registry);
}

/// What `paster points` (paste-script) says of each factory registered here.
fn describe(registry: &mut Registry) {
    registry.describe(
        "urlmap",
        Description::new("Dispatches by path prefix, domain or URL to other apps (paste.urlmap).")
            .setting("/path", "the app mounted at /path")
            .setting("domain HOST /path", "the app for one host")
            .setting("not_found_app", "the app for what no prefix matches"),
    );
    registry.describe(
        "cascade",
        Description::new("Tries apps in turn until one does not answer 404 (paste.cascade).")
            .setting("app1, app2, ...", "the apps, in key order")
            .setting(
                "catch",
                "statuses that pass on to the next app (default 404)",
            ),
    );
    registry.describe(
        "static",
        Description::new("Serves the files of a folder, with conditional and range requests.")
            .setting(
                "document_root",
                "the folder (required; write %(here)s/... for one beside the config)",
            )
            .setting("cache_max_age", "seconds for Cache-Control"),
    );
    registry.describe(
        "test",
        Description::new("Answers with a page describing the request (egg:Paste#test)."),
    );
    registry.describe(
        "errordocument",
        Description::new("Replaces error responses with the page at another path.")
            .setting("404 = /errors/404", "one line per status"),
    );
    registry.describe(
        "recursive",
        Description::new("Lets an app forward or include other requests of the same site."),
    );
    registry.describe(
        "session",
        Description::new(
            "Gives the app a session kept in memory, in files, in a signed cookie or in Redis.",
        )
        .setting("store", "memory, file, cookie or redis")
        .setting(
            "secret",
            "signing key of the cookie store (32 bytes or more)",
        )
        .setting("session_file_path", "folder of the file store")
        .setting(
            "cookie_name, secure, httponly, domain, path",
            "the session cookie",
        )
        .setting("idle_timeout", "how long an unused session lives"),
    );
    registry.describe(
        "config",
        Description::new(
            "Puts the global and local settings into each request (paste.deploy.config).",
        ),
    );
    registry.describe(
        "waitforit",
        Description::new("Shows a please-wait page while a slow response is computed.")
            .setting("time_limit", "time before the wait page")
            .setting("poll_time", "how often the page reloads")
            .setting("expiration", "how long a finished result is kept"),
    );
    registry.describe(
        "gzip",
        Description::new("Compresses responses for clients that accept gzip.")
            .setting("compress_level", "1 (fast) to 9 (small)")
            .setting("min_size", "smallest body compressed, in bytes"),
    );
    registry.describe(
        "translogger",
        Description::new("Logs each request in Apache's combined format (through tracing).")
            .setting("trust_forwarded_for", "log X-Forwarded-For as the client"),
    );
    registry.describe(
        "lint",
        Description::new(
            "Checks that the app and the server keep the contract; fails loudly when not.",
        ),
    );
    registry.describe(
        "error_catcher",
        Description::new(
            "Turns server errors and panics into error pages; with debug, shows the error chain.",
        )
        .setting("debug", "show details (local setting, else [DEFAULT])"),
    );
    registry.describe(
        "auth_basic",
        Description::new("HTTP Basic authentication.")
            .setting("realm", "the realm (required)")
            .setting("users", "user:password pairs"),
    );
    registry.describe(
        "auth_digest",
        Description::new("HTTP Digest authentication (SHA-256 and MD5).")
            .setting("realm", "the realm (required)")
            .setting("users", "user:password pairs")
            .setting("secret", "key of the nonces")
            .setting(
                "nonce_ttl, algorithms, max_nonces",
                "nonce lifetime, algorithms, nonces kept",
            ),
    );
    registry.describe(
        "auth_cookie",
        Description::new("Remembers the authenticated user in a signed cookie.")
            .setting("secret", "signing key (required, 32 bytes or more)")
            .setting("cookie_name, timeout", "the cookie and how long it is good")
            .setting(
                "secure, httponly, samesite, domain, path",
                "cookie attributes",
            ),
    );
    registry.describe(
        "auth_form",
        Description::new("Asks for a user name and password with an HTML form.")
            .setting("users", "user:password pairs")
            .setting(
                "template, template_file",
                "the form page, with {action} and {message}",
            ),
    );
    registry.describe(
        "auth_tkt",
        Description::new("mod_auth_tkt tickets: single sign-on with Apache and others.")
            .setting("secret", "shared secret (required)")
            .setting(
                "cookie_name, secure, include_ip, timeout, logout_path",
                "ticket options",
            ),
    );
    registry.describe(
        "grantip",
        Description::new("Grants a user and roles by client address.")
            .setting("CIDR = user:role,role", "one line per range")
            .setting("clobber_username", "replace a user already set"),
    );
    #[cfg(feature = "tempita")]
    registry.describe(
        "tempita_pages",
        Description::new("Serves a folder of Tempita templates as HTML pages, with the request and the session in their context.")
            .setting("directory", "the folder of templates (required); _files and dotfiles are never served")
            .setting("index_file", "the page for / and folders (index.html)")
            .setting("any other", "shown to the pages as config['name']"),
    );
}

/// `users = alice:secret bob:hunter2` as a Basic auth user table.
fn users(local: &Conf) -> Result<UserTable, Error> {
    Ok(user_pairs(local)?
        .iter()
        .fold(UserTable::new(), |table, (user, password)| {
            table.with_user(user, password)
        }))
}

/// `users = alice:secret bob:hunter2` as (user, password) pairs.
fn user_pairs(local: &Conf) -> Result<Vec<(String, String)>, Error> {
    local
        .list("users")
        .iter()
        .map(|pair| {
            pair.split_once(':')
                .map(|(user, password)| (user.to_owned(), password.to_owned()))
                .ok_or_else(|| bad(local, "users", "is not a list of user:password pairs"))
        })
        .collect()
}

/// `secret` from the local settings, else the global ones, with the
/// settings it came from (to locate errors about it).
fn secret<'a>(global: &'a Conf, local: &'a Conf) -> Option<(&'a str, &'a Conf)> {
    match local.get("secret") {
        Some(secret) => Some((secret, local)),
        None => global.get("secret").map(|secret| (secret, global)),
    }
}

fn auth_digest(app: BoxApp, global: &Conf, local: &Conf) -> Result<BoxApp, Error> {
    let realm = local.require("realm")?.to_owned();
    // The HA1 of every user for both algorithms, so that the passwords
    // are not kept.
    let mut ha1: HashMap<String, [String; 2]> = HashMap::new();
    for (user, password) in user_pairs(local)? {
        let hashes = [DigestAlgorithm::Md5, DigestAlgorithm::Sha256]
            .map(|algorithm| digest_password(&user, &realm, &password, algorithm));
        ha1.insert(user, hashes);
    }
    let lookup = move |user: &str, algorithm: DigestAlgorithm| {
        let [md5, sha256] = ha1.get(user)?;
        Some(match algorithm {
            DigestAlgorithm::Md5 => md5.clone(),
            DigestAlgorithm::Sha256 => sha256.clone(),
        })
    };
    let mut digest = DigestAuth::new(app, &realm, lookup);
    if let Some((secret, conf)) = secret(global, local) {
        digest = digest
            .with_secret(secret.as_bytes())
            .map_err(|err| bad(conf, "secret", err.message().unwrap_or("is refused")))?;
    }
    if let Some(ttl) = local.duration("nonce_ttl")? {
        digest = digest.nonce_ttl(ttl);
    }
    if local.contains_key("algorithms") {
        let algorithms = local
            .list("algorithms")
            .iter()
            .map(|name| DigestAlgorithm::from_name(name))
            .collect::<Option<Vec<_>>>()
            .filter(|algorithms| !algorithms.is_empty())
            .ok_or_else(|| bad(local, "algorithms", "is not a list of SHA-256 and MD5"))?;
        digest = digest.algorithms(&algorithms);
    }
    if let Some(capacity) = local.int::<usize>("max_nonces")? {
        if capacity == 0 {
            return Err(bad(local, "max_nonces", "must be at least 1"));
        }
        digest = digest.max_nonces(capacity);
    }
    Ok(BoxApp::new(digest))
}

fn auth_cookie(app: BoxApp, global: &Conf, local: &Conf) -> Result<BoxApp, Error> {
    let Some((secret, conf)) = secret(global, local) else {
        return Err(Error::new(
            ErrorKind::MissingValue,
            "secret is required (here or in [DEFAULT])",
        ));
    };
    let signer = Signer::new(secret.as_bytes())
        .map_err(|err| bad(conf, "secret", err.message().unwrap_or("is refused")))?;
    let mut auth = CookieAuth::new(app, signer);
    if let Some(name) = local.get("cookie_name") {
        webob::Response::new()
            .set_cookie_with(name, "", &CookieOptions::new())
            .map_err(|err| bad(local, "cookie_name", cookie_refusal(&err)))?;
        auth = auth.cookie_name(name);
    }
    if let Some(timeout) = cookie_timeout(local)? {
        auth = auth.timeout(timeout);
    }
    if ["secure", "httponly", "samesite", "domain", "path"]
        .iter()
        .any(|key| local.contains_key(key))
    {
        // CookieAuth's defaults, then the settings.
        let mut options = CookieOptions::new()
            .http_only(true)
            .same_site(SameSite::Lax);
        let secure = local.bool("secure")?.unwrap_or(false);
        options = options.secure(secure);
        if let Some(http_only) = local.bool("httponly")? {
            options = options.http_only(http_only);
        }
        if let Some(same_site) = local.get("samesite") {
            let same_site = match same_site.trim().to_ascii_lowercase().as_str() {
                "strict" => SameSite::Strict,
                "lax" => SameSite::Lax,
                "none" if secure => SameSite::None,
                "none" => {
                    return Err(bad(
                        local,
                        "samesite",
                        "needs secure = true (browsers drop SameSite=None cookies without Secure)",
                    ));
                }
                _ => return Err(bad(local, "samesite", "is not strict, lax or none")),
            };
            options = options.same_site(same_site);
        }
        // What webob would refuse when setting the cookie (a `;` in a
        // domain, say) is refused here, at its line.
        let check = |key: &str, options: &CookieOptions| {
            webob::Response::new()
                .set_cookie_with("check", "", options)
                .map_err(|err| bad(local, key, cookie_refusal(&err)))
        };
        if let Some(domain) = local.get("domain") {
            options = options.domain(domain);
            check("domain", &options)?;
        }
        if let Some(path) = local.get("path") {
            options = options.path(path);
            check("path", &options)?;
        }
        auth = auth.options(options);
    }
    Ok(BoxApp::new(auth))
}

/// Why webob refused a cookie.
fn cookie_refusal(err: &paste_core::Error) -> String {
    err.message()
        .map_or_else(|| "is refused".to_owned(), str::to_owned)
}

/// auth_cookie's `timeout`: a bare number is minutes, as in Paste; a
/// number with a unit is that duration; `none` is no limit.
fn cookie_timeout(local: &Conf) -> Result<Option<Option<Duration>>, Error> {
    let Some(value) = local.get("timeout").map(str::trim) else {
        return Ok(None);
    };
    if value.eq_ignore_ascii_case("none") {
        return Ok(Some(None));
    }
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let minutes: f64 = value
            .parse()
            .map_err(|_| bad(local, "timeout", "is not a number of minutes"))?;
        return Duration::try_from_secs_f64(minutes * 60.0)
            .map(|timeout| Some(Some(timeout)))
            .map_err(|_| bad(local, "timeout", "is out of range"));
    }
    Ok(Some(local.duration("timeout")?))
}

/// auth_form's page, from `template` or `template_file`: ours, with
/// `{action}` (and `{message}`), or Paste's, with one `%s` for the action
/// (and `%%` for a `%`).
fn form_template(local: &Conf) -> Result<Option<String>, Error> {
    let (key, text) = match (local.get("template"), local.get("template_file")) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(bad(
                local,
                "template_file",
                "is given with template: give one",
            ));
        }
        (Some(text), None) => ("template", text.to_owned()),
        (None, Some(path)) => (
            "template_file",
            std::fs::read_to_string(path).map_err(|err| bad(local, "template_file", err))?,
        ),
    };
    if text.contains("{action}") {
        return Ok(Some(text));
    }
    let no_action = || {
        bad(
            local,
            key,
            "has no {action} (or Paste's %s) for the form's action",
        )
    };
    // Paste's `template % action`.
    let mut out = String::with_capacity(text.len() + 8);
    let mut actions = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s') => {
                out.push_str("{action}");
                actions += 1;
            }
            _ => return Err(bad(local, key, "has a % that is not %s or %%")),
        }
    }
    match actions {
        0 => Err(no_action()),
        1 => Ok(Some(out)),
        _ => Err(bad(local, key, "has more than one %s")),
    }
}

/// A urlmap key as `UrlMap::insert` takes it.
fn mount_key(key: &str) -> Option<String> {
    let key = key.trim();
    if key.starts_with('/') || key.starts_with("http://") || key.starts_with("https://") {
        return Some(key.to_owned());
    }
    // Paste's `domain example.com [port 8080] /path`.
    let mut words = key.split_whitespace();
    if words.next()? != "domain" {
        return None;
    }
    let host = words.next()?;
    let mut rest: Vec<&str> = words.collect();
    let port = if rest.first() == Some(&"port") {
        let port = rest.get(1)?.to_owned();
        rest.drain(..2);
        Some(port)
    } else {
        None
    };
    let path = rest.first().copied().unwrap_or("/");
    Some(match port {
        Some(port) => format!("http://{host}:{port}{path}"),
        None => format!("http://{host}{path}"),
    })
}

fn bad(local: &Conf, key: &str, why: impl std::fmt::Display) -> Error {
    local.bad_setting(key, why)
}

fn session(app: BoxApp, _global: &Conf, local: &Conf) -> Result<BoxApp, Error> {
    fn configure<S: crate::session::Store>(
        mut middleware: SessionMiddleware<BoxApp, S>,
        local: &Conf,
    ) -> Result<SessionMiddleware<BoxApp, S>, Error> {
        let refused = |key: &str, err: paste_core::Error| {
            bad(local, key, err.message().unwrap_or("is not valid"))
        };
        if let Some(name) = local.get("cookie_name") {
            middleware = middleware
                .cookie_name(name)
                .map_err(|err| refused("cookie_name", err))?;
        }
        if let Some(secure) = local.bool("secure")? {
            middleware = middleware.secure(secure);
        }
        if let Some(http_only) = local.bool("httponly")? {
            middleware = middleware.http_only(http_only);
        }
        if let Some(domain) = local.get("domain") {
            middleware = middleware
                .domain(domain)
                .map_err(|err| refused("domain", err))?;
        }
        if let Some(path) = local.get("path") {
            middleware = middleware.path(path).map_err(|err| refused("path", err))?;
        }
        if let Some(timeout) = local.duration("idle_timeout")? {
            middleware = middleware.idle_timeout(timeout);
        }
        Ok(middleware)
    }
    match local.get("store").unwrap_or("memory") {
        "memory" => Ok(BoxApp::new(configure(
            SessionMiddleware::new(app, MemoryStore::new()),
            local,
        )?)),
        "file" => {
            let dir = local.require("session_file_path")?;
            Ok(BoxApp::new(configure(
                SessionMiddleware::new(app, FileStore::new(dir)),
                local,
            )?))
        }
        "cookie" => {
            let secret = local.require("secret")?;
            let signer = webob::cookies::Signer::new(secret.as_bytes())
                .map_err(|err| bad(local, "secret", err.message().unwrap_or("is too short")))?;
            Ok(BoxApp::new(configure(
                SessionMiddleware::new(app, CookieStore::new(signer)),
                local,
            )?))
        }
        #[cfg(feature = "redis")]
        "redis" => {
            let url = local.require("redis_url")?;
            let mut store = crate::session::RedisStore::open(url)
                .map_err(|err| bad(local, "redis_url", err.message().unwrap_or("is not valid")))?;
            if let Some(prefix) = local.get("key_prefix") {
                store = store.key_prefix(prefix);
            }
            if let Some(timeout) = local.duration("redis_timeout")? {
                store = store.timeout(timeout);
            }
            Ok(BoxApp::new(configure(
                SessionMiddleware::new(app, store),
                local,
            )?))
        }
        #[cfg(not(feature = "redis"))]
        "redis" => Err(bad(
            local,
            "store",
            "needs paste-middleware built with the `redis` feature",
        )),
        _ => Err(bad(local, "store", "is not memory, file, cookie or redis")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paste_urlmap_keys() {
        assert_eq!(mount_key("/blog").as_deref(), Some("/blog"));
        assert_eq!(
            mount_key("domain example.com /x").as_deref(),
            Some("http://example.com/x")
        );
        assert_eq!(
            mount_key("domain example.com port 8080 /").as_deref(),
            Some("http://example.com:8080/")
        );
        assert_eq!(
            mount_key("domain h.example").as_deref(),
            Some("http://h.example/")
        );
        assert_eq!(mount_key("blog"), None);
    }
}
