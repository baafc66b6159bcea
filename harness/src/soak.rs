//! `regmatrix soak`: one registry under a fault profile for a fixed time,
//! with bounded concurrent pushes and pulls; then the faults stop and the
//! invariants are checked. It stops by itself and reports operations done,
//! faults injected by kind (with their seeds) and invariant violations.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::client::{ClientConfig, RegistryClient};
use crate::env::{Environment, EnvironmentSpec};
use crate::payload::RandomBlob;
use crate::scenario::steps::{verify, Acknowledged, StepError};

#[derive(Debug, thiserror::Error)]
pub enum SoakError {
    #[error("unknown fault profile {0:?}: use storage-flaky, identity-flaky, mixed, or a file with one rule per line")]
    UnknownProfile(String),
    #[error("fault profile {file}, line {line}: {message}")]
    Rule {
        file: String,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    Env(#[from] crate::env::EnvError),
    #[error("registry client: {0}")]
    Client(String),
}

const REPOSITORY: &str = "regmatrix/soak";

/// The rules of a named profile, with `seed` in every probability.
fn builtin_profile(name: &str, seed: u64) -> Option<Vec<String>> {
    let blob = "host=*.blob.core.windows.net";
    let storage = vec![
        format!("{blob} method=PUT action=status:503 schedule=prob:0.05,seed:{seed}"),
        format!("{blob} method=GET path=/registry/docker/registry/v2/blobs/ action=reset-mid-body:64KiB schedule=prob:0.02,seed:{}", seed + 1),
        format!("{blob} action=latency:20ms..200ms schedule=prob:0.2,seed:{}", seed + 2),
    ];
    let identity = vec![format!(
        "host=login.microsoftonline.com action=status:500 schedule=prob:0.3,seed:{}",
        seed + 3
    )];
    match name {
        "storage-flaky" => Some(storage),
        "identity-flaky" => Some(identity),
        "mixed" => Some(storage.into_iter().chain(identity).collect()),
        _ => None,
    }
}

/// A named profile, or a file of rules (`#` comments and blank lines skipped).
pub fn profile_rules(profile: &str, seed: u64) -> Result<Vec<String>, SoakError> {
    if let Some(rules) = builtin_profile(profile, seed) {
        return Ok(rules);
    }
    let text = std::fs::read_to_string(profile)
        .map_err(|_| SoakError::UnknownProfile(profile.to_string()))?;
    let mut rules = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        line.parse::<regmatrix_mocks::front_door::FaultRule>()
            .map_err(|e| SoakError::Rule {
                file: profile.to_string(),
                line: index + 1,
                message: e.to_string(),
            })?;
        rules.push(line.to_string());
    }
    Ok(rules)
}

#[derive(Debug, Default, Serialize)]
pub struct Operations {
    pub pushes_acknowledged: u64,
    pub pushes_refused: u64,
    pub pulls_verified: u64,
    pub pulls_failed: u64,
}

#[derive(Debug, Serialize)]
pub struct SoakReport {
    pub version: String,
    pub profile: String,
    pub seed: u64,
    pub duration_s: f64,
    pub concurrency: usize,
    pub operations: Operations,
    /// `kind` -> requests hit, over every rule.
    pub faults_by_kind: std::collections::BTreeMap<String, u64>,
    pub rules: Vec<regmatrix_mocks::front_door::FaultStats>,
    /// Broken invariants; 0 to pass.
    pub violations: Vec<String>,
    pub invariants: String,
}

/// The summary `regmatrix soak` prints: the run, operations, faults by
/// kind, then the violations (or, with none, what the invariants checked).
pub fn render(report: &SoakReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let o = &report.operations;
    let _ = writeln!(
        out,
        "soak {} for {:.0}s, {} clients, profile {}, seed {}",
        report.version, report.duration_s, report.concurrency, report.profile, report.seed
    );
    let _ = writeln!(
        out,
        "operations: {} pushes acknowledged, {} refused; {} pulls verified, {} failed",
        o.pushes_acknowledged, o.pushes_refused, o.pulls_verified, o.pulls_failed
    );
    let kinds: Vec<String> = report
        .faults_by_kind
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(out, "faults injected: {}", kinds.join(", "));
    let _ = writeln!(out, "invariant violations: {}", report.violations.len());
    for v in &report.violations {
        let _ = writeln!(out, "  {v}");
    }
    if report.violations.is_empty() {
        let _ = writeln!(out, "invariants: {}", report.invariants);
    }
    out
}

#[derive(Default)]
struct Ledger {
    acknowledged: Vec<(String, crate::digest::Digest)>,
    refused: Vec<(String, crate::digest::Digest)>,
}

pub struct SoakOptions {
    pub duration: Duration,
    pub concurrency: usize,
    pub profile: String,
    pub seed: u64,
}

pub async fn run(
    spec: &EnvironmentSpec,
    options: &SoakOptions,
    on_tick: impl Fn(u64),
) -> Result<SoakReport, SoakError> {
    let rules = profile_rules(&options.profile, options.seed)?;
    let environment = Environment::start(spec).await?;
    let result = soak_in(&environment, spec, options, &rules, on_tick).await;
    environment.shutdown().await;
    result
}

async fn soak_in(
    environment: &Environment,
    spec: &EnvironmentSpec,
    options: &SoakOptions,
    rules: &[String],
    on_tick: impl Fn(u64),
) -> Result<SoakReport, SoakError> {
    let client = Arc::new(
        RegistryClient::new(ClientConfig {
            base_url: environment.registry_url().to_string(),
            proxy_url: Some(environment.front_door.proxy_url()),
            roots: environment.ca.rustls_root_store(),
            credentials: None,
            timeout: Duration::from_secs(60),
        })
        .map_err(|e| SoakError::Client(e.to_string()))?,
    );
    let mut ids = Vec::new();
    for rule in rules {
        ids.push(
            environment
                .front_door
                .add_fault_text(rule)
                .map_err(|e| SoakError::Client(e.to_string()))?,
        );
    }
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let ops = Arc::new([
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
    ]);
    let deadline = Instant::now() + options.duration;
    let mut workers = Vec::new();
    for worker in 0..options.concurrency.max(1) {
        let (client, ledger, ops) = (client.clone(), ledger.clone(), ops.clone());
        let seed = options.seed.wrapping_add(worker as u64 * 7919);
        workers.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let name = format!("w{worker}-{n}");
                let size = rng.gen_range(64 * 1024..=4 * 1024 * 1024);
                let blob = RandomBlob::new(rng.gen(), size);
                let digest = blob.digest();
                let pushed = if rng.gen_bool(0.5) {
                    client
                        .push_blob_monolithic(REPOSITORY, &blob, &digest)
                        .await
                        .map(|_| ())
                } else {
                    client
                        .push_blob_chunked(REPOSITORY, &blob, &digest, 1024 * 1024)
                        .await
                        .map(|_| ())
                };
                // The lock lives in this block only: the future must stay Send.
                let pick = {
                    let mut book = ledger.lock().unwrap_or_else(PoisonError::into_inner);
                    match pushed {
                        Ok(()) => {
                            ops[0].fetch_add(1, Ordering::Relaxed);
                            book.acknowledged.push((name, digest));
                        }
                        Err(_) => {
                            ops[1].fetch_add(1, Ordering::Relaxed);
                            book.refused.push((name, digest));
                        }
                    }
                    (!book.acknowledged.is_empty()).then(|| {
                        book.acknowledged[rng.gen_range(0..book.acknowledged.len())]
                            .1
                            .clone()
                    })
                };
                if let Some(digest) = pick {
                    match client.pull_blob_verified(REPOSITORY, &digest).await {
                        Ok(_) => ops[2].fetch_add(1, Ordering::Relaxed),
                        Err(_) => ops[3].fetch_add(1, Ordering::Relaxed),
                    };
                }
            }
        }));
    }
    let started = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        on_tick(ops.iter().map(|o| o.load(Ordering::Relaxed)).sum());
    }
    for worker in workers {
        let _ = worker.await;
    }
    let duration = started.elapsed();
    for id in ids {
        environment.front_door.remove_fault(id);
    }
    let stats = environment.front_door.fault_stats();
    let mut faults_by_kind = std::collections::BTreeMap::new();
    for rule in &stats {
        *faults_by_kind.entry(rule.kind.to_string()).or_insert(0) += rule.injected;
    }
    let book = std::mem::take(&mut *ledger.lock().unwrap_or_else(PoisonError::into_inner));
    let checked = verify(
        &client,
        REPOSITORY,
        &Acknowledged {
            blobs: &book.acknowledged,
            manifests: &[],
            rejected: &book.refused,
        },
        Duration::from_secs(60),
    )
    .await;
    let (violations, invariants) = match checked {
        Ok(summary) => (Vec::new(), summary),
        Err(e @ (StepError::DataLoss(_) | StepError::NoRecovery(_))) => {
            (vec![e.to_string()], String::new())
        }
        Err(other) => return Err(SoakError::Client(other.to_string())),
    };
    Ok(SoakReport {
        version: spec.registry.tag.clone(),
        profile: options.profile.clone(),
        seed: options.seed,
        duration_s: duration.as_secs_f64(),
        concurrency: options.concurrency,
        operations: Operations {
            pushes_acknowledged: ops[0].load(Ordering::Relaxed),
            pushes_refused: ops[1].load(Ordering::Relaxed),
            pulls_verified: ops[2].load(Ordering::Relaxed),
            pulls_failed: ops[3].load(Ordering::Relaxed),
        },
        faults_by_kind,
        rules: stats,
        violations,
        invariants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_and_bad_ones_are_named() {
        for name in ["storage-flaky", "identity-flaky", "mixed"] {
            for rule in profile_rules(name, 7).unwrap() {
                rule.parse::<regmatrix_mocks::front_door::FaultRule>()
                    .unwrap();
            }
        }
        assert!(matches!(
            profile_rules("nope", 1),
            Err(SoakError::UnknownProfile(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.rules");
        std::fs::write(&file, "# comment\n\nhost=x.example action=bogus\n").unwrap();
        let err = profile_rules(file.to_str().unwrap(), 1).unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn render_lists_violations_or_what_the_invariants_checked() {
        let mut report = SoakReport {
            version: "v3.1.1".into(),
            profile: "mixed".into(),
            seed: 7,
            duration_s: 90.4,
            concurrency: 4,
            operations: Operations {
                pushes_acknowledged: 10,
                pushes_refused: 2,
                pulls_verified: 9,
                pulls_failed: 1,
            },
            faults_by_kind: [("status".to_string(), 3), ("reset".to_string(), 1)].into(),
            rules: Vec::new(),
            violations: Vec::new(),
            invariants: "every acknowledged push pulls back".into(),
        };
        let text = render(&report);
        assert_eq!(
            text,
            "soak v3.1.1 for 90s, 4 clients, profile mixed, seed 7\n\
             operations: 10 pushes acknowledged, 2 refused; 9 pulls verified, 1 failed\n\
             faults injected: reset 1, status 3\n\
             invariant violations: 0\n\
             invariants: every acknowledged push pulls back\n"
        );
        report.violations.push("blob lost".into());
        let text = render(&report);
        assert!(
            text.ends_with("invariant violations: 1\n  blob lost\n"),
            "{text}"
        );
    }
}
