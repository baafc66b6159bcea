//! The evidence lines of a cell: what the storage, identity and token
//! traffic of a run add up to, in the words the report prints. It only
//! counts and words what was recorded; judging the outcome is the runner's.

use regmatrix_mocks::front_door::TrafficRecord;

use crate::report::{IdentitySummary, TrafficSummary};

/// The identity plane's own log, plus identity-host requests nobody answered
/// (an unreachable IMDS, an outage fault).
pub fn summarize_identity(
    calls: &[regmatrix_mocks::identity::IdentityCall],
    identity_traffic: &[TrafficRecord],
) -> IdentitySummary {
    let mut summary = IdentitySummary::default();
    for call in calls {
        let grant = if call.grant.is_empty() {
            "-"
        } else {
            call.grant.as_str()
        };
        *summary
            .calls
            .entry(format!(
                "{} {grant} {}",
                call.endpoint.as_str(),
                call.status
            ))
            .or_default() += 1;
        // A probe's 400 is IMDS saying "I am here", not a refusal.
        if let Some(error) = call.error.as_ref().filter(|_| call.grant != "probe") {
            if !summary.errors.contains(error) {
                summary.errors.push(error.clone());
            }
        }
    }
    for record in identity_traffic {
        let reason = match (&record.fault, record.status) {
            (Some(fault), status) => format!("{fault} {status}"),
            (None, 0) => "unreachable".to_string(),
            _ => continue,
        };
        *summary
            .unanswered
            .entry(format!("{} {reason}", record.host))
            .or_default() += 1;
    }
    summary
}

/// Writes storage applied while the registry was told otherwise (an
/// `ack-lost` fault): `applied then answered: 201->500 x1, 201->reset x1`.
pub(super) fn ack_lost_note(storage: &[TrafficRecord]) -> Option<String> {
    let mut counts: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for record in storage {
        if let Some(applied) = record.discarded_status {
            let answered = match record.status {
                0 => "reset".to_string(),
                status => status.to_string(),
            };
            *counts.entry(format!("{applied}->{answered}")).or_default() += 1;
        }
    }
    (!counts.is_empty()).then(|| {
        format!(
            "storage applied, the registry was told otherwise: {}",
            times(counts.iter()).join(", ")
        )
    })
}

/// `name xN` for each counted name, the form every evidence line uses.
pub(super) fn times<K: std::fmt::Display, V: std::fmt::Display>(
    counts: impl Iterator<Item = (K, V)>,
) -> Vec<String> {
    counts.map(|(k, v)| format!("{k} x{v}")).collect()
}

/// `token server: token basic 200 x3, oauth2/exchange access_token 200 x1`.
pub(super) fn token_server_note(calls: &[regmatrix_mocks::token_server::TokenCall]) -> String {
    let mut counts: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for call in calls {
        let grant = if call.grant.is_empty() {
            "-"
        } else {
            call.grant.as_str()
        };
        *counts
            .entry(format!("{} {grant} {}", call.endpoint, call.status))
            .or_default() += 1;
    }
    if counts.is_empty() {
        return "token server: no call".into();
    }
    let parts = times(counts.iter());
    format!("token server: {}", parts.join(", "))
}

pub(super) fn identity_note(identity: &IdentitySummary) -> Option<String> {
    if identity.is_empty() {
        return None;
    }
    // Discovery and metadata calls precede every first token request; they
    // only matter when nothing else happened.
    let is_metadata = |k: &str| {
        ["instance-discovery", "openid-configuration", "keys"]
            .iter()
            .any(|m| k.starts_with(m))
    };
    let mut parts = times(identity.calls.iter().filter(|(k, _)| !is_metadata(k)));
    parts.extend(times(identity.unanswered.iter()));
    if parts.is_empty() {
        let metadata: u64 = identity.calls.values().sum();
        parts.push(format!("{metadata} metadata requests, no token request"));
    }
    let errors = if identity.errors.is_empty() {
        String::new()
    } else {
        format!(" (refusals: {})", identity.errors.join(", "))
    };
    Some(format!("identity: {}{errors}", parts.join(", ")))
}

pub fn summarize(records: &[TrafficRecord]) -> TrafficSummary {
    let mut summary = TrafficSummary::default();
    for r in records {
        summary.requests += 1;
        summary.bytes_up += r.request_bytes;
        summary.bytes_down += r.response_bytes;
        let scheme = r.auth_scheme.as_str().to_string();
        *summary.by_auth_scheme.entry(scheme).or_default() += 1;
        *summary.by_status.entry(r.status.to_string()).or_default() += 1;
        for rewrite in &r.rewrites {
            *summary
                .emulator_rewrites
                .entry(rewrite.to_string())
                .or_default() += 1;
        }
    }
    summary
}

pub(super) fn traffic_note(t: &TrafficSummary) -> String {
    if t.requests == 0 {
        return "Blob storage saw no request".into();
    }
    let schemes: Vec<String> = t
        .by_auth_scheme
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let statuses: Vec<String> = t
        .by_status
        .iter()
        .map(|(k, v)| format!("{k}x{v}"))
        .collect();
    let rewrites: Vec<String> = t
        .emulator_rewrites
        .iter()
        .map(|(k, v)| format!("; {v} rewritten by {k}"))
        .collect();
    format!(
        "Blob storage saw {} request{} (auth: {}; status: {}), {:.1} MiB up, {:.1} MiB down{}",
        t.requests,
        if t.requests == 1 { "" } else { "s" },
        schemes.join(", "),
        statuses.join(", "),
        t.bytes_up as f64 / 1048576.0,
        t.bytes_down as f64 / 1048576.0,
        rewrites.concat()
    )
}

/// What the config's loopback services saw: the events each notification
/// endpoint got, per action, and the commands redis processed. `None` when
/// the config names neither.
pub(super) fn local_services_note(
    notifications: Option<
        &std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>>,
    >,
    endpoints: &[String],
    redis_commands: Option<u64>,
) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(seen) = notifications {
        for endpoint in endpoints {
            let actions = seen.get(endpoint);
            let total: usize = actions.map(|a| a.values().sum()).unwrap_or(0);
            let detail: Vec<String> = actions
                .into_iter()
                .flatten()
                .map(|(action, n)| format!("{action} x{n}"))
                .collect();
            parts.push(if total == 0 {
                format!("notification endpoint {endpoint} got no event")
            } else {
                format!(
                    "notification endpoint {endpoint} got {total} event{} ({})",
                    if total == 1 { "" } else { "s" },
                    detail.join(", ")
                )
            });
        }
    }
    if let Some(n) = redis_commands {
        parts.push(format!(
            "redis-server processed {n} command{}",
            if n == 1 { "" } else { "s" }
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}
