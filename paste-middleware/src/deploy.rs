//! Registration with paste-deploy (feature `deploy`), under Paste's
//! entry-point names (`egg:Paste#urlmap`, `egg:Paste#static`…) and our own.

use paste_core::BoxApp;
use paste_core::http::StatusCode;
use paste_deploy::{Conf, Error, ErrorKind, Registry};

use crate::auth::basic::{BasicAuth, UserTable};
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
/// | `session` (`paste_session`) | filter-app | `store = memory/file/cookie`, `session_file_path` (file), `secret` (cookie, ≥ 32 bytes), `cookie_name`, `secure`, `httponly`, `domain`, `path`, `idle_timeout` |
/// | `config` | filter-app | every global and local setting, as a `paste_deploy::Conf` in the request |
/// | `waitforit` | filter-app | `time_limit`, `poll_time`, `expiration` (durations) |
/// | `gzip` | filter-app | `compress_level` (1-9), `min_size` (bytes) |
/// | `translogger` | filter-app | `trust_forwarded_for` (logs to `tracing`) |
/// | `lint` | filter-app | — |
/// | `error_catcher` | filter-app | `debug` (local, else global) |
/// | `auth_basic` | filter-app | `realm`, `users = user:password …` |
/// | `auth_tkt` | filter-app | `secret` (local, else global), `include_ip`, `timeout` |
/// | `grantip` | filter-app | `CIDR = user:role,role …`, `clobber_username` |
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
        .filter_app("auth_tkt", |app, global, local| {
            let secret = match local.get("secret") {
                Some(secret) => secret,
                None => global.require("secret")?,
            };
            let mut tkt = AuthTktMiddleware::new(app, secret);
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
}

/// `users = alice:secret bob:hunter2` as a Basic auth user table.
fn users(local: &Conf) -> Result<UserTable, Error> {
    let mut table = UserTable::new();
    for pair in local.list("users") {
        let (user, password) = pair
            .split_once(':')
            .ok_or_else(|| bad(local, "users", "is not a list of user:password pairs"))?;
        table = table.with_user(user, password);
    }
    Ok(table)
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
    // A secret is not repeated in a message that may well be logged.
    let message = if key == "secret" {
        format!("bad setting {key}: {why}")
    } else {
        let value = local.get(key).unwrap_or_default();
        format!("bad setting {key} = {value:?}: {why}")
    };
    let err = Error::new(ErrorKind::BadValue, message);
    match local.location(key) {
        Some(at) => err.at(at.clone()),
        None => err,
    }
}

fn session(app: BoxApp, _global: &Conf, local: &Conf) -> Result<BoxApp, Error> {
    fn configure<S: crate::session::Store>(
        mut middleware: SessionMiddleware<BoxApp, S>,
        local: &Conf,
    ) -> Result<SessionMiddleware<BoxApp, S>, Error> {
        let factory = |err: paste_core::Error| Error::new(ErrorKind::BadValue, err.to_string());
        if let Some(name) = local.get("cookie_name") {
            middleware = middleware.cookie_name(name).map_err(factory)?;
        }
        if let Some(secure) = local.bool("secure")? {
            middleware = middleware.secure(secure);
        }
        if let Some(http_only) = local.bool("httponly")? {
            middleware = middleware.http_only(http_only);
        }
        if let Some(domain) = local.get("domain") {
            middleware = middleware.domain(domain).map_err(factory)?;
        }
        if let Some(path) = local.get("path") {
            middleware = middleware.path(path).map_err(factory)?;
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
        _ => Err(bad(local, "store", "is not memory, file or cookie")),
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
