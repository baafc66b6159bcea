//! The steps that act on the mock cloud rather than on the registry: time
//! passing, kubelet rotating the projected token, an identity outage with
//! probes during and after it, and the check of which credential Blob
//! storage saw. Each returns a one-line summary for the report.

use std::time::{Duration, Instant};

use regmatrix_mocks::front_door::{AuthScheme, TrafficRecord};
use regmatrix_mocks::identity::Endpoint;

use super::engine::{is_storage_host, StepError, Target};
use crate::client::ClientError;
use crate::payload::RandomBlob;

/// Probes are small: the outage is about authentication, not bandwidth.
const PROBE_BYTES: u64 = 64 * 1024;
const PROBE_INTERVAL: Duration = Duration::from_secs(2);

pub(super) async fn wait(duration: Duration) -> Result<String, StepError> {
    tokio::time::sleep(duration).await;
    Ok(format!("waited {:.0}s", duration.as_secs_f64()))
}

pub(super) fn rotate_federated_token(target: &Target<'_>) -> Result<String, StepError> {
    target
        .identity
        .rotate_federated_token()
        .map_err(|e| StepError::Harness(e.to_string()))?;
    Ok("wrote a fresh service-account token over the projected token file".into())
}

pub(super) async fn identity_outage(
    target: &Target<'_>,
    repository: &str,
    seed: u64,
    duration: Duration,
    recover_within: Duration,
) -> Result<String, StepError> {
    let faults = target.identity.begin_outage(target.front_door);
    let started = Instant::now();
    let mut refused = Vec::new();
    let mut served = 0usize;
    let mut probe = 0u64;
    while started.elapsed() < duration {
        match push_probe(target, repository, seed, probe).await {
            Ok(()) => served += 1,
            Err(e) => refused.push(e.to_string()),
        }
        probe += 1;
        let left = duration.saturating_sub(started.elapsed());
        tokio::time::sleep(left.min(PROBE_INTERVAL)).await;
    }
    for fault in faults {
        target.front_door.remove_fault(fault);
    }
    let ended = Instant::now();
    let recovered = loop {
        if push_probe(target, repository, seed, probe).await.is_ok() {
            break Some(ended.elapsed());
        }
        probe += 1;
        if ended.elapsed() > recover_within {
            break None;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let during = format!(
        "during the {:.0}s outage {} of {} probe pushes were refused{}",
        duration.as_secs_f64(),
        refused.len(),
        refused.len() + served,
        refused
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    match recovered {
        Some(after) => Ok(format!(
            "{during}; recovered: a push succeeded {:.1}s after the outage ended",
            after.as_secs_f64()
        )),
        None => Err(StepError::Unmet(format!(
            "{during}; no push succeeded within {:.0}s after the outage ended",
            recover_within.as_secs_f64()
        ))),
    }
}

async fn push_probe(
    target: &Target<'_>,
    repository: &str,
    seed: u64,
    probe: u64,
) -> Result<(), ClientError> {
    let blob = RandomBlob::new(
        seed ^ (probe + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        PROBE_BYTES,
    );
    let digest = blob.digest();
    target
        .client
        .push_blob_monolithic(repository, &blob, &digest)
        .await
}

pub(super) fn check_credentials(
    target: &Target<'_>,
    since: usize,
    schemes: &[String],
    min_token_grants: usize,
) -> Result<String, StepError> {
    let storage: Vec<TrafficRecord> = target
        .traffic
        .since(since)
        .into_iter()
        .filter(|r| is_storage_host(&r.host))
        .collect();
    let name = |s: AuthScheme| s.as_str();
    let offending: Vec<&TrafficRecord> = storage
        .iter()
        .filter(|r| !schemes.iter().any(|s| s == name(r.auth_scheme)))
        .collect();
    if let Some(first) = offending.first() {
        return Err(StepError::Unmet(format!(
            "{} of {} requests to Blob storage carried a credential other than {}: first {} {} with {} ({})",
            offending.len(),
            storage.len(),
            schemes.join("/"),
            first.method,
            first.path.split('?').next().unwrap_or_default(),
            name(first.auth_scheme),
            first.status
        )));
    }
    let grants = target
        .identity
        .calls()
        .iter()
        .filter(|c| {
            c.status == 200
                && matches!(
                    c.endpoint,
                    Endpoint::EntraToken | Endpoint::Imds | Endpoint::AppService
                )
        })
        .count();
    if grants < min_token_grants {
        return Err(StepError::Unmet(format!(
            "the identity endpoints issued {grants} tokens; the scenario needs at least {min_token_grants} (a refresh did not happen)"
        )));
    }
    Ok(format!(
        "all {} requests to Blob storage carried {}; tokens issued: {grants}",
        storage.len(),
        schemes.join("/")
    ))
}
