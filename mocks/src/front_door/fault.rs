//! Faults injected at the front door: rules matched per request by host,
//! method and path prefix, each with an action (a canned response with the
//! real service's error body, or a connection cut before any response).
//! Rules are added and removed while traffic flows, so a scenario can open
//! and close an outage window; every request a rule hit names it in its
//! traffic record.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode};

use super::body::{full, ProxyBody};
use super::routing::HostPattern;

/// What a matching request gets instead of its target's answer.
#[derive(Debug, Clone)]
pub enum FaultAction {
    /// A response written by the fault, shaped like the real service's error.
    Respond(CannedResponse),
    /// The connection is closed before any response byte.
    Reset,
}

#[derive(Debug, Clone)]
pub struct CannedResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: String,
}

impl CannedResponse {
    pub fn json(status: StatusCode, body: &serde_json::Value) -> Self {
        CannedResponse {
            status,
            headers: vec![(
                hyper::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            body: body.to_string(),
        }
    }

    pub(crate) fn to_response(&self) -> Response<ProxyBody> {
        let mut response = Response::new(full(self.body.clone()));
        *response.status_mut() = self.status;
        for (name, value) in &self.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

/// Which requests a fault applies to, and what it does to them.
#[derive(Debug, Clone)]
pub struct FaultRule {
    /// Named in traffic records and reports.
    pub name: String,
    pub host: HostPattern,
    pub method: Option<Method>,
    /// Matched against the path without the query.
    pub path_prefix: Option<String>,
    pub action: FaultAction,
}

impl FaultRule {
    fn matches(&self, host: &str, method: &Method, path: &str) -> bool {
        let path = path.split('?').next().unwrap_or(path);
        self.host.matches(host)
            && self.method.as_ref().is_none_or(|m| m == method)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| path.starts_with(prefix))
    }
}

/// Identifies an added rule, to remove it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(u64);

#[derive(Default)]
pub(crate) struct Faults {
    next: AtomicU64,
    rules: RwLock<Vec<(FaultId, Arc<FaultRule>)>>,
}

impl Faults {
    pub(crate) fn add(&self, rule: FaultRule) -> FaultId {
        let id = FaultId(self.next.fetch_add(1, Ordering::Relaxed));
        self.rules
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, Arc::new(rule)));
        id
    }

    pub(crate) fn remove(&self, id: FaultId) -> bool {
        let mut rules = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        let before = rules.len();
        rules.retain(|(rule_id, _)| *rule_id != id);
        rules.len() != before
    }

    /// The first rule, in the order added, that applies to this request.
    pub(crate) fn matching(
        &self,
        host: &str,
        method: &Method,
        path: &str,
    ) -> Option<Arc<FaultRule>> {
        self.rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(_, rule)| rule.matches(host, method, path))
            .map(|(_, rule)| rule.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: Option<&str>, method: Option<Method>) -> FaultRule {
        FaultRule {
            name: "outage".into(),
            host: HostPattern::parse("login.microsoftonline.com").unwrap(),
            method,
            path_prefix: path.map(str::to_string),
            action: FaultAction::Reset,
        }
    }

    #[test]
    fn rules_match_by_host_method_and_path_prefix() {
        let faults = Faults::default();
        let id = faults.add(rule(Some("/t/oauth2/"), Some(Method::POST)));
        let host = "login.microsoftonline.com";
        assert!(faults
            .matching(host, &Method::POST, "/t/oauth2/v2.0/token?x=1")
            .is_some());
        assert!(faults
            .matching(host, &Method::GET, "/t/oauth2/v2.0/token")
            .is_none());
        assert!(faults
            .matching(host, &Method::POST, "/t/v2.0/.well-known")
            .is_none());
        assert!(faults
            .matching("other.example", &Method::POST, "/t/oauth2/")
            .is_none());
        assert!(faults.remove(id));
        assert!(!faults.remove(id));
        assert!(faults
            .matching(host, &Method::POST, "/t/oauth2/v2.0/token")
            .is_none());
    }
}
