//! Faults injected at the front door, one mechanism for storage and identity
//! traffic: rules matched per request by host, method, path prefix and Blob
//! operation, each with an action and a schedule deciding which matching
//! requests it hits. Rules are added and removed while traffic flows, so a
//! scenario can open and close an outage window; every request a rule hit
//! names it in its traffic record, and per-rule counters say how often each
//! kind was injected. This module decides; `apply.rs` shapes bodies and the
//! dispatcher carries the decision out. It never contacts a target itself.
//!
//! Rules are tried in the order added. Each rule whose host, method, path and
//! operation match counts the request as matched and asks its schedule; the
//! first rule whose schedule hits takes the request, and later rules never
//! see it.
//!
//! # Text syntax
//!
//! A rule is `key=value` fields separated by whitespace; values hold no
//! whitespace. `host=` and `action=` are required.
//!
//! ```text
//! rule      = field *( 1*SP field )
//! field     = "name=" NAME          ; default: the action's text
//!           | "host=" HOST          ; `acct.blob.core.windows.net` or `*.blob.core.windows.net`
//!           | "method=" METHOD      ; PUT, GET, ...; default: any
//!           | "path=" "/" *CHAR     ; a path prefix, no query; default: any
//!           | "op=" OP *( "|" OP )  ; the request is one of these Blob operations
//!                                   ; (`op.rs`); default: any request, Blob or not
//!           | "action=" action
//!           | "schedule=" schedule  ; default: always
//! action    = "reset"               ; close the connection before any response
//!           | "stall"               ; never answer, leave the request body unread
//!           | "blackhole"           ; read and drop the request body, never answer
//!           | "status:" STATUS *( ",code:" CODE / ",retry-after:" DURATION )
//!                                   ; an Azure Storage XML error; CODE defaults by
//!                                   ; status: 503 ServerBusy, 500 InternalError,
//!                                   ; 429 TooManyRequests, 403 AuthenticationFailed,
//!                                   ; 412 ConditionNotMet, 404 ResourceNotFound,
//!                                   ; 409 ResourceAlreadyExists, 400 InvalidInput
//!           | "latency:" DURATION [ ".." DURATION ]   ; fixed, or uniform in min..max
//!           | "bandwidth:" RATE     ; cap on the response body
//!           | "bandwidth-up:" RATE  ; cap on the request body
//!           | "reset-mid-body:" SIZE ; the real response's first SIZE bytes, then abort
//!           | "truncate:" SIZE      ; the first SIZE bytes, Content-Length kept, then close
//!           | "ack-lost:" answer    ; forward the request, read the target's whole
//!                                   ; answer and drop it, then give the client `answer`:
//!                                   ; the write is applied, its acknowledgement lost
//! answer    = "status:" STATUS *( ",code:" CODE / ",retry-after:" DURATION )
//!                                   ; as the `status:` action, e.g. status:500,code:OperationTimedOut
//!           | "reset"               ; close the connection, no response
//! schedule  = term *( "," term )    ; terms filter left to right
//! term      = "always" | "first:" N | "every:" K
//!           | "prob:" P [ ",seed:" N ]              ; P in 0..=1; no seed: one is drawn
//!           | "window:" DURATION "+" DURATION       ; start after the rule is added, length
//! DURATION  = 1*DIGIT ( "ms" | "s" | "m" )
//! SIZE      = 1*DIGIT [ "B" | "KiB" | "MiB" | "GiB" | "KB" | "MB" | "GB" ]
//! RATE      = SIZE "/s"
//! OP        = "put-blob"            ; PUT, no comp, x-ms-blob-type BlockBlob or PageBlob
//!           | "create-append-blob"  ; PUT, no comp, x-ms-blob-type AppendBlob
//!           | "append-block"        ; PUT ?comp=appendblock
//!           | "put-block"           ; PUT ?comp=block
//!           | "put-block-list"      ; PUT ?comp=blocklist
//!           | "copy-blob"           ; PUT, no comp, x-ms-copy-source, no x-ms-blob-type
//!           | "get-blob" | "get-blob-properties" | "delete-blob"   ; GET, HEAD, DELETE, no comp
//!           | "get-block-list"      ; GET ?comp=blocklist
//!           | "list-blobs"          ; GET ?restype=container&comp=list
//!           | "create-container" | "delete-container"  ; PUT, DELETE ?restype=container
//! ```
//!
//! A "From URL" operation counts as the one it extends (Put Block From URL
//! is `put-block`); Copy Blob From URL is `copy-blob`. A request none of
//! these names (Set Blob Metadata, a token request) matches no `op=` rule.
//!
//! `ack-lost:` replaces whatever the target answered, a refusal included;
//! the request's traffic record keeps that status as `discarded_status`
//! (`201` there and `500` as `status`: applied, answered 500), so only a
//! 2xx there means the write was applied. A target that never answers
//! leaves nothing to drop: the connection closes as for an unreachable host.
//!
//! For example `host=*.blob.core.windows.net method=PUT path=/registry/
//! action=status:503 schedule=first:3`, `host=*.blob.core.windows.net
//! op=put-block-list|copy-blob action=ack-lost:status:500,code:OperationTimedOut
//! schedule=first:1`, `action=ack-lost:reset`, `action=latency:100ms..300ms`,
//! `action=reset-mid-body:64KiB schedule=window:5s+20s,prob:0.1,seed:42`.
//! A rule prints back (`Display`) to text that parses to an equal rule,
//! except [`FaultAction::Respond`], which only the API can build.

mod action;
mod apply;
mod azure_error;
mod op;
mod parse;
mod schedule;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use hyper::header::HeaderMap;
use hyper::Method;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::time::Instant;

pub use action::{AckLost, Bandwidth, BodyDirection, CannedResponse, FaultAction, Latency};
pub(crate) use apply::swallow;
pub use azure_error::AzureError;
pub use op::{BlobOp, UnknownBlobOp};
pub use parse::{FaultParseError, FaultParseErrorKind};
pub use schedule::{Schedule, ScheduleState};

use super::routing::HostPattern;

/// Which requests a fault applies to, what it does to them, and when.
/// Rules also parse from text (`"host=*.blob.core.windows.net
/// action=status:503 schedule=first:3".parse()`, grammar in this module's
/// docs, `front_door/fault/mod.rs`) and print back to it.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// Named in traffic records and reports.
    pub name: String,
    pub host: HostPattern,
    pub method: Option<Method>,
    /// Matched against the path without the query.
    pub path_prefix: Option<String>,
    /// The Blob operations matched ([`BlobOp::of_request`]); empty matches
    /// any request.
    pub ops: Vec<BlobOp>,
    pub action: FaultAction,
    /// Which matching requests are hit; [`Schedule::Always`] by default.
    pub schedule: Schedule,
}

impl FaultRule {
    /// A rule hitting every request to `host`, whatever the method and path.
    pub fn new(name: impl Into<String>, host: HostPattern, action: FaultAction) -> Self {
        Self {
            name: name.into(),
            host,
            method: None,
            path_prefix: None,
            ops: Vec::new(),
            action,
            schedule: Schedule::Always,
        }
    }

    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Matches only requests that are one of `ops`.
    pub fn ops(mut self, ops: impl IntoIterator<Item = BlobOp>) -> Self {
        self.ops = ops.into_iter().collect();
        self
    }

    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    fn matches(&self, host: &str, method: &Method, path: &str, headers: &HeaderMap) -> bool {
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path, None),
        };
        // Prefixes are written as plain paths; clients differ in what they
        // escape (the v3 Azure SDK sends a blob name's `/` as `%2F`) and in
        // slashes (2.8 writes `container//docker/...`).
        self.host.matches(host)
            && self.method.as_ref().is_none_or(|m| m == method)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| normalized_path(path).starts_with(prefix))
            && (self.ops.is_empty()
                || BlobOp::of_request(method, query, headers)
                    .is_some_and(|op| self.ops.contains(&op)))
    }
}

/// The path as a prefix is written: escapes decoded, runs of `/` as one.
fn normalized_path(path: &str) -> String {
    let decoded = percent_decode(path);
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// `%XX` escapes decoded; anything malformed is kept as written.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Identifies an added rule, to remove it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct FaultId(u64);

/// What one rule did so far, for reports ("faults injected by kind").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultStats {
    pub id: FaultId,
    pub name: String,
    /// [`FaultAction::kind`]: `status`, `latency`, `reset-mid-body`, ...
    pub kind: &'static str,
    /// The rule in the text syntax, schedule and seed included.
    pub rule: String,
    /// The seed of a probability schedule, to reproduce the decisions.
    pub seed: Option<u64>,
    /// Requests the rule's host, method, path and operation matched (and
    /// that no earlier rule took).
    pub matched: u64,
    /// Requests the schedule let the action hit.
    pub injected: u64,
    /// False once removed; a removed rule keeps its counts.
    pub active: bool,
}

/// One added rule with its running schedule and counters.
#[derive(Debug)]
pub(crate) struct ActiveRule {
    id: FaultId,
    rule: FaultRule,
    state: Mutex<RuleState>,
    matched: AtomicU64,
    injected: AtomicU64,
    active: AtomicBool,
}

#[derive(Debug)]
struct RuleState {
    schedule: ScheduleState,
    /// Draws jittered latencies; seeded per rule so runs repeat.
    jitter: StdRng,
}

impl ActiveRule {
    fn stats(&self) -> FaultStats {
        FaultStats {
            id: self.id,
            name: self.rule.name.clone(),
            kind: self.rule.action.kind(),
            rule: self.rule.to_string(),
            seed: self.rule.schedule.seed(),
            matched: self.matched.load(Ordering::Acquire),
            injected: self.injected.load(Ordering::Acquire),
            active: self.active.load(Ordering::Acquire),
        }
    }
}

/// A rule's decision to hit one request.
#[derive(Debug, Clone)]
pub(crate) struct Injection {
    rule: Arc<ActiveRule>,
    /// For latency actions, this request's delay.
    pub(crate) delay: Duration,
}

impl Injection {
    pub(crate) fn name(&self) -> &str {
        &self.rule.rule.name
    }

    pub(crate) fn action(&self) -> &FaultAction {
        &self.rule.rule.action
    }
}

#[derive(Default)]
pub(crate) struct Faults {
    next: AtomicU64,
    /// Active rules, in the order added.
    rules: RwLock<Vec<Arc<ActiveRule>>>,
    /// Every rule ever added, for stats after removal.
    history: Mutex<Vec<Arc<ActiveRule>>>,
}

impl Faults {
    pub(crate) fn add(&self, rule: FaultRule) -> FaultId {
        let id = FaultId(self.next.fetch_add(1, Ordering::Relaxed));
        let active = Arc::new(ActiveRule {
            id,
            state: Mutex::new(RuleState {
                schedule: ScheduleState::new(&rule.schedule, Instant::now()),
                jitter: StdRng::seed_from_u64(id.0),
            }),
            rule,
            matched: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            active: AtomicBool::new(true),
        });
        self.history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(active.clone());
        self.rules
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(active);
        id
    }

    pub(crate) fn remove(&self, id: FaultId) -> bool {
        let mut rules = self.rules.write().unwrap_or_else(PoisonError::into_inner);
        let before = rules.len();
        rules.retain(|rule| {
            let keep = rule.id != id;
            if !keep {
                rule.active.store(false, Ordering::Release);
            }
            keep
        });
        rules.len() != before
    }

    /// The injection for this request, if a rule matches and its schedule
    /// hits. Counts every rule consulted.
    pub(crate) fn decide(
        &self,
        host: &str,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<Injection> {
        let now = Instant::now();
        let rules = self.rules.read().unwrap_or_else(PoisonError::into_inner);
        for rule in rules.iter() {
            if !rule.rule.matches(host, method, path, headers) {
                continue;
            }
            // Counting and deciding under one lock keeps the schedule's view
            // of the request order the same as the counters'.
            let mut state = rule.state.lock().unwrap_or_else(PoisonError::into_inner);
            rule.matched.fetch_add(1, Ordering::AcqRel);
            if !state.schedule.decide(now) {
                continue;
            }
            rule.injected.fetch_add(1, Ordering::AcqRel);
            let delay = match &rule.rule.action {
                FaultAction::Latency(Latency { min, max }) if min < max => {
                    state.jitter.gen_range(*min..=*max)
                }
                FaultAction::Latency(Latency { min, .. }) => *min,
                _ => Duration::ZERO,
            };
            return Some(Injection {
                rule: rule.clone(),
                delay,
            });
        }
        None
    }

    /// Every rule added so far, removed ones included, in the order added.
    pub(crate) fn stats(&self) -> Vec<FaultStats> {
        self.history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|rule| rule.stats())
            .collect()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn path_prefixes_match_escaped_paths() {
        assert_eq!(
            percent_decode("/c/docker%2Fregistry%2Fv2"),
            "/c/docker/registry/v2"
        );
        assert_eq!(percent_decode("/a%2"), "/a%2");
        assert_eq!(percent_decode("/a%zz/b"), "/a%zz/b");
        let rule = FaultRule::new(
            "t",
            HostPattern::parse("*.blob.core.windows.net").unwrap(),
            FaultAction::Reset,
        )
        .path_prefix("/registry/docker/registry/v2/blobs/");
        assert!(rule.matches(
            "a.blob.core.windows.net",
            &Method::GET,
            "/registry/docker%2Fregistry%2Fv2%2Fblobs%2Fsha256%2Fab?x=1",
            &HeaderMap::new()
        ));
        assert!(rule.matches(
            "a.blob.core.windows.net",
            &Method::GET,
            "/registry//docker/registry/v2/blobs/sha256/ab",
            &HeaderMap::new()
        ));
    }

    use super::*;

    fn rule(path: Option<&str>, method: Option<Method>) -> FaultRule {
        FaultRule {
            name: "outage".into(),
            host: HostPattern::parse("login.microsoftonline.com").unwrap(),
            method,
            path_prefix: path.map(str::to_string),
            ops: Vec::new(),
            action: FaultAction::Reset,
            schedule: Schedule::Always,
        }
    }

    #[test]
    fn rules_match_by_host_method_and_path_prefix() {
        let faults = Faults::default();
        let id = faults.add(rule(Some("/t/oauth2/"), Some(Method::POST)));
        let none = HeaderMap::new();
        let host = "login.microsoftonline.com";
        assert!(faults
            .decide(host, &Method::POST, "/t/oauth2/v2.0/token?x=1", &none)
            .is_some());
        assert!(faults
            .decide(host, &Method::GET, "/t/oauth2/v2.0/token", &none)
            .is_none());
        assert!(faults
            .decide(host, &Method::POST, "/t/v2.0/.well-known", &none)
            .is_none());
        assert!(faults
            .decide("other.example", &Method::POST, "/t/oauth2/", &none)
            .is_none());
        assert!(faults.remove(id));
        assert!(!faults.remove(id));
        assert!(faults
            .decide(host, &Method::POST, "/t/oauth2/v2.0/token", &none)
            .is_none());
        let stats = faults.stats();
        assert_eq!(stats.len(), 1);
        assert_eq!((stats[0].matched, stats[0].injected), (1, 1));
        assert!(!stats[0].active);
    }

    #[test]
    fn a_rule_its_schedule_skips_leaves_the_request_to_the_next_rule() {
        let faults = Faults::default();
        let host = "login.microsoftonline.com";
        faults.add(rule(None, None).schedule(Schedule::First(1)));
        let mut second = rule(None, None);
        second.name = "second".into();
        faults.add(second);
        let names: Vec<String> = (0..3)
            .filter_map(|_| faults.decide(host, &Method::GET, "/", &HeaderMap::new()))
            .map(|injection| injection.name().to_owned())
            .collect();
        assert_eq!(names, ["outage", "second", "second"]);
        let counts: Vec<(u64, u64)> = faults
            .stats()
            .iter()
            .map(|s| (s.matched, s.injected))
            .collect();
        assert_eq!(counts, [(3, 1), (2, 2)]);
    }

    #[test]
    fn an_op_matcher_composes_with_method_and_path() {
        let faults = Faults::default();
        let host = "a.blob.core.windows.net";
        let mut append =
            rule(Some("/registry/"), None).ops([BlobOp::AppendBlock, BlobOp::CopyBlob]);
        append.host = HostPattern::parse("*.blob.core.windows.net").unwrap();
        faults.add(append);
        let none = HeaderMap::new();
        let mut copy = HeaderMap::new();
        copy.insert("x-ms-copy-source", "https://a/b".parse().unwrap());
        let hit = |method: Method, path: &str, headers: &HeaderMap| {
            faults.decide(host, &method, path, headers).is_some()
        };
        assert!(hit(Method::PUT, "/registry/b?comp=appendblock", &none));
        assert!(hit(Method::PUT, "/registry/b", &copy));
        assert!(!hit(Method::PUT, "/other/b?comp=appendblock", &none));
        assert!(!hit(Method::PUT, "/registry/b?comp=block&blockid=x", &none));
        assert!(!hit(Method::GET, "/registry/b", &none));
        assert!(!hit(Method::POST, "/registry/b", &none));
        let stats = faults.stats();
        assert_eq!((stats[0].matched, stats[0].injected), (2, 2));
    }
}
