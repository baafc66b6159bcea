//! Which target answers which host. Routes are checked in the order they were
//! added; the first whose pattern matches wins. A host with no route is never
//! looked up in DNS or contacted: the dispatcher answers 502 itself.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, PoisonError, RwLock};

use rustls::RootCertStore;
use url::Url;

use super::error::RouteError;
use super::forward::Upstream;
use super::service::Service;

/// A host matcher: one exact name, or every name under a domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// `login.microsoftonline.com`, `169.254.169.254`.
    Exact(String),
    /// `*.blob.core.windows.net`, stored as the suffix `.blob.core.windows.net`;
    /// matches names any number of labels deep, not the bare domain.
    Suffix(String),
}

impl HostPattern {
    /// Parses `name` or `*.domain`; case-insensitive, no port.
    pub fn parse(pattern: &str) -> Result<Self, RouteError> {
        let invalid = |reason| RouteError::InvalidPattern {
            pattern: pattern.to_owned(),
            reason,
        };
        let lower = pattern.trim().to_ascii_lowercase();
        let (wildcard, name) = match lower.strip_prefix("*.") {
            Some(domain) => (true, domain),
            None => (false, lower.as_str()),
        };
        if name.is_empty() {
            return Err(invalid("empty host"));
        }
        if name.contains('*') {
            return Err(invalid("`*` is only allowed as the first label"));
        }
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
            if wildcard {
                return Err(invalid("an IP address cannot have a wildcard"));
            }
            return Ok(Self::Exact(ip.to_string()));
        }
        if name.contains(['/', ':', '@', ' ', '[', ']']) {
            return Err(invalid("a host pattern has no scheme, port, path or user"));
        }
        Ok(if wildcard {
            Self::Suffix(format!(".{name}"))
        } else {
            Self::Exact(name.to_owned())
        })
    }

    /// Whether `host` (lower case, no port, as the dispatcher normalises it)
    /// falls under this pattern.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            Self::Exact(name) => host == name,
            Self::Suffix(suffix) => host.len() > suffix.len() && host.ends_with(suffix.as_str()),
        }
    }
}

impl FromStr for HostPattern {
    type Err = RouteError;

    fn from_str(pattern: &str) -> Result<Self, RouteError> {
        Self::parse(pattern)
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(name) => f.write_str(name),
            Self::Suffix(suffix) => write!(f, "*{suffix}"),
        }
    }
}

/// Brings a host as clients spell it (`ACCT.blob.core.windows.net.`,
/// `[::1]`) to the form patterns are matched against: lower case, no
/// trailing dot, IPv6 without brackets.
pub(crate) fn normalize_host(raw: &str) -> String {
    let bare = raw.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return ip.to_string();
    }
    bare.trim_end_matches('.').to_ascii_lowercase()
}

/// Where a routed request goes.
#[derive(Clone)]
pub enum Target {
    /// A real server on loopback (Azurite, a registry's token server). The
    /// request keeps its method, path, query, headers and original `Host`.
    Upstream {
        /// `https://127.0.0.1:PORT`, optionally with a path prefix.
        base: Url,
        /// What to trust when `base` is https; usually the harness CA alone.
        tls_roots: RootCertStore,
    },
    /// An in-process mock endpoint.
    Service(Arc<dyn Service>),
    /// A host that does not answer (no IMDS on this machine): the client's
    /// connection is closed without a response, as with an unreachable
    /// address, rather than given a proxy's 502 it could mistake for an answer.
    Unreachable,
}

impl Target {
    pub fn upstream(base: Url, tls_roots: RootCertStore) -> Self {
        Self::Upstream { base, tls_roots }
    }

    pub fn service(service: impl Service) -> Self {
        Self::Service(Arc::new(service))
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Upstream { base, tls_roots } => f
                .debug_struct("Upstream")
                .field("base", &base.as_str())
                .field("tls_roots", &tls_roots.len())
                .finish(),
            Self::Service(_) => f.write_str("Service(..)"),
            Self::Unreachable => f.write_str("Unreachable"),
        }
    }
}

/// A host pattern and the target that answers it.
#[derive(Debug, Clone)]
pub struct Route {
    pub host: HostPattern,
    pub target: Target,
}

impl Route {
    pub fn new(host: HostPattern, target: Target) -> Self {
        Self { host, target }
    }

    /// `Route::to("*.blob.core.windows.net", target)`.
    pub fn to(pattern: &str, target: Target) -> Result<Self, RouteError> {
        Ok(Self::new(HostPattern::parse(pattern)?, target))
    }
}

/// A target ready to serve: upstreams carry their connection pool.
#[derive(Clone)]
pub(crate) enum ResolvedTarget {
    Upstream(Arc<Upstream>),
    Service(Arc<dyn Service>),
    Unreachable,
}

struct CompiledRoute {
    host: HostPattern,
    target: ResolvedTarget,
}

/// The live route list, shared by every connection; routes can be added while
/// traffic flows (the identity mocks register themselves after start).
#[derive(Clone, Default)]
pub(crate) struct RouteTable {
    routes: Arc<RwLock<Vec<CompiledRoute>>>,
}

impl RouteTable {
    pub(crate) fn add(&self, route: Route) -> Result<(), RouteError> {
        let target = match route.target {
            Target::Upstream { base, tls_roots } => {
                ResolvedTarget::Upstream(Arc::new(Upstream::new(base, tls_roots)?))
            }
            Target::Service(service) => ResolvedTarget::Service(service),
            Target::Unreachable => ResolvedTarget::Unreachable,
        };
        self.routes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(CompiledRoute {
                host: route.host,
                target,
            });
        Ok(())
    }

    pub(crate) fn lookup(&self, host: &str) -> Option<ResolvedTarget> {
        self.routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|route| route.host.matches(host))
            .map(|route| route.target.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exact_names_and_suffixes() {
        let blob = HostPattern::parse("*.blob.core.windows.net").unwrap();
        assert!(blob.matches("acct.blob.core.windows.net"));
        assert!(blob.matches("a.b.blob.core.windows.net"));
        assert!(!blob.matches("blob.core.windows.net"));
        assert!(!blob.matches("acct.blob.core.windows.net.evil"));
        assert_eq!(blob.to_string(), "*.blob.core.windows.net");

        let login = HostPattern::parse("Login.MicrosoftOnline.com").unwrap();
        assert!(login.matches("login.microsoftonline.com"));
        assert!(!login.matches("x.login.microsoftonline.com"));

        let loopback6 = HostPattern::parse("[::1]").unwrap();
        assert!(loopback6.matches("::1"));
    }

    #[test]
    fn normalizes_hosts_as_clients_spell_them() {
        assert_eq!(
            normalize_host("ACCT.Blob.core.windows.net."),
            "acct.blob.core.windows.net"
        );
        assert_eq!(normalize_host("[::1]"), "::1");
        assert_eq!(normalize_host("169.254.169.254"), "169.254.169.254");
    }

    #[test]
    fn rejects_patterns_that_are_urls() {
        for bad in [
            "",
            "*.",
            "https://x",
            "x:443",
            "a.*.b",
            "**.x",
            "*.127.0.0.1",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
