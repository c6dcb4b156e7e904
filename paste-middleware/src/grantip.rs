//! Grants a user and roles by the client's IP address: Paste's
//! `paste.auth.grantip`.
//!
//! Each rule maps an address range to a grant written as Paste's
//! configuration writes it, `user:role,role,-role`:
//! - the user (before `:`) becomes the remote user; `-` or nothing means
//!   no user; an existing remote user is kept unless
//!   [`clobber_username`](GrantIp::clobber_username) is on;
//! - each role is added to the request's [`Tokens`]; a role starting with
//!   `-` is removed from them instead.
//!
//! Every rule whose range holds the address applies, in order.
//!
//! Ranges are IPv4 or IPv6 addresses, CIDR blocks (`10.0.0.0/8`,
//! `2001:db8::/32`; host bits are ignored, as Paste does) or
//! `first-last` spans. An IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`) is
//! matched as its IPv4 address.
//!
//! Differences from Paste, on purpose:
//! - IPv6 ranges and clients are supported (Paste's are IPv4 only);
//! - the roles given by every matching rule are applied (Paste's final
//!   check looks at the last rule's roles only);
//! - the user `__remove__` (drop the remote user) is not supported: the
//!   core has no way to unset it; a grant naming it is refused;
//! - a malformed range or grant is an error when the rule is added, not
//!   at the first request.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use paste_core::{App, Request, RequestExt, Result};

use crate::auth::{AuthType, Tokens, authenticate, call_marked};

/// A range of IP addresses: one family, first to last inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpRange {
    v6: bool,
    first: u128,
    last: u128,
}

/// Why a range or grant was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantError(String);

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GrantError {}

/// An address as (is IPv6, number), IPv4-mapped IPv6 as IPv4.
fn number(addr: IpAddr) -> (bool, u128) {
    match addr {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (false, u128::from(u32::from(v4))),
            None => (true, u128::from(v6)),
        },
    }
}

fn parse_addr(text: &str) -> std::result::Result<(bool, u128), GrantError> {
    let text = text.trim();
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    text.parse::<IpAddr>()
        .map(number)
        .map_err(|_| GrantError(format!("{text:?} is not an IP address")))
}

impl IpRange {
    /// Whether `addr` is in the range.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let (v6, n) = number(addr);
        v6 == self.v6 && self.first <= n && n <= self.last
    }
}

impl FromStr for IpRange {
    type Err = GrantError;

    /// `addr`, `addr/prefix` or `first-last`.
    fn from_str(text: &str) -> std::result::Result<Self, GrantError> {
        let text = text.trim();
        if let Some((first, last)) = text.split_once('-') {
            let (v6, first) = parse_addr(first)?;
            let (last_v6, last) = parse_addr(last)?;
            if v6 != last_v6 || first > last {
                return Err(GrantError(format!("{text:?} is not a range")));
            }
            return Ok(Self { v6, first, last });
        }
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let (v6, n) = parse_addr(addr)?;
        let bits: u32 = if v6 { 128 } else { 32 };
        let prefix = match prefix {
            None => bits,
            Some(p) => match p.trim().parse::<u32>() {
                Ok(n) if n <= bits && p.trim().bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return Err(GrantError(format!("bad prefix length in {text:?}"))),
            },
        };
        let host_bits = bits - prefix;
        // The mask of the host bits: up to 128 of them.
        let host_mask = if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let first = n & !host_mask;
        Ok(Self {
            v6,
            first,
            last: first | host_mask,
        })
    }
}

/// What a rule gives: a user and role changes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Grant {
    user: Option<String>,
    add: Vec<String>,
    remove: Vec<String>,
}

impl FromStr for Grant {
    type Err = GrantError;

    fn from_str(text: &str) -> std::result::Result<Self, GrantError> {
        let (user, roles) = text.split_once(':').unwrap_or((text, ""));
        let user = user.trim();
        if user == "__remove__" {
            return Err(GrantError(
                "the user __remove__ is not supported".to_owned(),
            ));
        }
        let mut grant = Self {
            user: (!user.is_empty() && user != "-").then(|| user.to_owned()),
            ..Self::default()
        };
        for role in roles.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            match role.strip_prefix('-') {
                Some(removed) if !removed.is_empty() => grant.remove.push(removed.to_owned()),
                Some(_) => {}
                None => grant.add.push(role.to_owned()),
            }
        }
        Ok(grant)
    }
}

/// Sets the remote user and roles of requests by their client's address.
///
/// ```
/// use paste_core::{App, Body, ConnectionInfo, Request, RequestExt, Response, app_fn};
/// use paste_core::http::uri::Scheme;
/// use paste_middleware::auth::Tokens;
/// use paste_middleware::grantip::GrantIp;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let app = GrantIp::new(app_fn(|req: Request| async move {
///     let who = format!("{} {:?}", req.remote_user().unwrap_or("-"), Tokens::of(&req));
///     Ok(Response::new(who.into()))
/// }))
/// .grant("127.0.0.1", "-:system")?
/// .grant("10.0.0.0/8", "staff:editor")?
/// .grant("2001:db8::/32", "lab:editor,-system")?;
///
/// let mut req = Request::get("/").body(Body::empty()).unwrap();
/// req.extensions_mut().insert(
///     ConnectionInfo::new(Scheme::HTTP).with_remote_addr("10.1.2.3:5000".parse()?),
/// );
/// let response = app.call(req).await.unwrap();
/// assert_eq!(response.into_body().to_bytes(64).await.unwrap(), r#"staff ["editor"]"#);
/// # Ok(()) }
/// ```
pub struct GrantIp<A> {
    app: A,
    rules: Vec<(IpRange, Grant)>,
    clobber_username: bool,
}

impl<A: App> GrantIp<A> {
    /// No rules yet; existing remote users are kept.
    pub fn new(app: A) -> Self {
        Self {
            app,
            rules: Vec::new(),
            clobber_username: false,
        }
    }

    /// Adds a rule: clients in `range` get `grant` (`user:role,-role`;
    /// see the [module docs](self)).
    pub fn grant(mut self, range: &str, grant: &str) -> std::result::Result<Self, GrantError> {
        self.rules.push((range.parse()?, grant.parse()?));
        Ok(self)
    }

    /// Whether a granted user replaces a remote user set before (Paste's
    /// `clobber_username`, default off).
    #[must_use]
    pub fn clobber_username(mut self, clobber: bool) -> Self {
        self.clobber_username = clobber;
        self
    }
}

impl<A: App> App for GrantIp<A> {
    async fn call(&self, mut req: Request) -> Result {
        let Some(addr) = req.remote_addr().map(|a| a.ip()) else {
            return self.app.call(req).await;
        };
        let mut user = None;
        let mut tokens: Option<Tokens> = None;
        for (_, grant) in self.rules.iter().filter(|(r, _)| r.contains(addr)) {
            if grant.user.is_some() {
                user.clone_from(&grant.user);
            }
            if !grant.add.is_empty() || !grant.remove.is_empty() {
                let tokens = tokens.get_or_insert_with(|| {
                    req.extensions()
                        .get::<Tokens>()
                        .cloned()
                        .unwrap_or_default()
                });
                for role in &grant.add {
                    if !tokens.contains(role) {
                        tokens.0.push(role.clone());
                    }
                }
                tokens.0.retain(|t| !grant.remove.contains(t));
            }
        }
        if let Some(tokens) = tokens {
            req.extensions_mut().insert(tokens);
        }
        if let Some(user) = user
            && (req.remote_user().is_none() || self.clobber_username)
        {
            authenticate(&mut req, &user, AuthType::Ip);
        }
        call_marked(&self.app, req).await
    }
}

impl<A> fmt::Debug for GrantIp<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantIp")
            .field("rules", &self.rules.len())
            .field("clobber_username", &self.clobber_username)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> IpRange {
        text.parse().unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn cidr_blocks_cover_what_they_should() {
        let r = range("192.168.0.0/24");
        assert!(r.contains(ip("192.168.0.0")) && r.contains(ip("192.168.0.255")));
        assert!(!r.contains(ip("192.168.1.0")) && !r.contains(ip("192.167.255.255")));
        // Host bits are ignored.
        assert_eq!(range("192.168.0.77/24"), r);
        assert!(range("0.0.0.0/0").contains(ip("255.255.255.255")));
        assert!(!range("0.0.0.0/0").contains(ip("::1")));
        assert!(range("10.0.0.1/32").contains(ip("10.0.0.1")));
        assert!(!range("10.0.0.1").contains(ip("10.0.0.2")));
        let v6 = range("2001:db8::/32");
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::")));
        assert!(range("::/0").contains(ip("2001:db8::1")));
        assert!(range("::1/128").contains(ip("::1")));
        assert!(range("[::1]").contains(ip("::1")));
        // IPv4-mapped peers are IPv4.
        assert!(r.contains(ip("::ffff:192.168.0.9")));
        let span = range("10.0.0.5-10.0.0.9");
        assert!(span.contains(ip("10.0.0.5")) && span.contains(ip("10.0.0.9")));
        assert!(!span.contains(ip("10.0.0.10")));
    }

    #[test]
    fn malformed_ranges_are_errors() {
        for bad in [
            "",
            "10.0.0",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "10.0.0.9-10.0.0.5",
            "10.0.0.1-::1",
            "host.example",
            "10.0.0.0/8/8",
            "1.2.3.4.5",
        ] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn grants_parse_as_paste_writes_them() {
        let g: Grant = "joe:admin, -guest,".parse().unwrap();
        assert_eq!(g.user.as_deref(), Some("joe"));
        assert_eq!(
            (g.add, g.remove),
            (vec!["admin".to_owned()], vec!["guest".to_owned()])
        );
        assert_eq!("-:x".parse::<Grant>().unwrap().user, None);
        assert_eq!(":x".parse::<Grant>().unwrap().user, None);
        assert_eq!("joe".parse::<Grant>().unwrap().add, Vec::<String>::new());
        assert!("__remove__".parse::<Grant>().is_err());
    }
}
