//! `check-invariants`, and the invariants themselves over plain lists for
//! `regmatrix soak`: once the faults stop, the registry serves again within
//! the stated bound (else `no-recovery`); every blob and manifest it
//! acknowledged with 2xx comes back and matches its digest, and no blob it
//! refused appears complete (else `data-loss`). It must not push anything.

use crate::digest::Digest;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::{ClientError, RegistryClient};
use crate::scenario::values::HumanDuration;

/// After faults: every blob and manifest the registry acknowledged is
/// pullable and matches its digest (else `data-loss`), no rejected blob
/// appears complete (else `data-loss`), and the registry serves again
/// within `recover-within` (else `no-recovery`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInvariants {
    #[serde(rename = "recover-within")]
    pub recover_within: HumanDuration,
}

impl StepAction for CheckInvariants {
    fn kind(&self) -> StepKind {
        StepKind::CheckInvariants
    }

    fn describe(&self) -> String {
        format!(
            "acknowledged data intact, registry serving within {:?}",
            self.recover_within.0
        )
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let pushed = &cx.pushed;
        let blobs: Vec<(String, Digest)> = pushed
            .blobs
            .iter()
            .map(|(name, b)| (name.clone(), b.digest.clone()))
            .collect();
        let manifests: Vec<(String, Digest)> = pushed
            .manifests
            .iter()
            .chain(&pushed.untagged)
            .map(|(tag, digest)| (tag.clone(), digest.clone()))
            .chain(pushed.superseded.iter().cloned())
            .collect();
        verify(
            cx.client(),
            cx.repository(),
            &Acknowledged {
                blobs: &blobs,
                manifests: &manifests,
                rejected: &pushed.rejected,
            },
            self.recover_within.0,
        )
        .await
    }
}

/// What a client pushed: `(name, digest)` pairs.
pub struct Acknowledged<'a> {
    pub blobs: &'a [(String, Digest)],
    /// `(tag, digest)`.
    pub manifests: &'a [(String, Digest)],
    /// Blobs whose push the registry refused.
    pub rejected: &'a [(String, Digest)],
}

/// The invariants over plain lists, for scenarios and `regmatrix soak`.
pub async fn verify(
    client: &RegistryClient,
    repository: &str,
    pushed: &Acknowledged<'_>,
    recover_within: Duration,
) -> Result<String, StepError> {
    let started = Instant::now();
    let recovered_after = wait_until_serving(client, recover_within).await?;
    let mut verified = 0usize;
    for (name, digest) in pushed.blobs {
        match client.pull_blob_verified(repository, digest).await {
            Ok(_) => verified += 1,
            Err(e @ (ClientError::DigestMismatch { .. } | ClientError::Registry(_))) => {
                if let ClientError::Registry(r) = &e {
                    // A 5xx now is the registry still failing, not a loss.
                    if r.status >= 500 {
                        return Err(StepError::NoRecovery(format!(
                            "acknowledged blob {name} answers {} after recovery: {e}",
                            r.status
                        )));
                    }
                }
                return Err(StepError::DataLoss(format!(
                    "the registry acknowledged blob {name} ({digest}) but does not return it intact: {e}"
                )));
            }
            Err(other) => return Err(StepError::Client(other)),
        }
    }
    // By digest: an acknowledged manifest must come back whatever its tag
    // points at now (a later push or re-tag may move the tag on).
    for (tag, digest) in pushed.manifests {
        match client
            .get_manifest_verified(repository, digest.as_str(), digest)
            .await
        {
            Ok(_) => verified += 1,
            Err(e @ (ClientError::DigestMismatch { .. } | ClientError::Registry(_))) => {
                return Err(StepError::DataLoss(format!(
                    "the registry acknowledged manifest {tag} ({digest}) but does not return it intact: {e}"
                )));
            }
            Err(other) => return Err(StepError::Client(other)),
        }
    }
    for (name, digest) in pushed.rejected {
        if pushed.blobs.iter().any(|(_, acked)| acked == digest) {
            continue;
        }
        if matches!(client.head_blob(repository, digest).await, Ok(Some(_))) {
            return Err(StepError::DataLoss(format!(
                "the registry refused the push of blob {name} ({digest}) yet serves it as complete"
            )));
        }
    }
    Ok(format!(
        "serving again {:.1}s after the faults stopped (bound {:.0}s); {verified} acknowledged blobs and manifests intact; {} refused blobs absent; checked in {:.1}s",
        recovered_after.as_secs_f64(),
        recover_within.as_secs_f64(),
        pushed.rejected.len(),
        started.elapsed().as_secs_f64()
    ))
}

/// Polls `/v2/` until the registry answers (200, or 401 under token auth).
async fn wait_until_serving(
    client: &RegistryClient,
    bound: Duration,
) -> Result<Duration, StepError> {
    let started = Instant::now();
    loop {
        let last = match client.ping().await {
            Ok(_) => return Ok(started.elapsed()),
            // Under token auth an answered challenge is a serving registry.
            Err(ClientError::Registry(r)) if r.status == 401 => return Ok(started.elapsed()),
            Err(e) => e.to_string(),
        };
        if started.elapsed() > bound {
            return Err(StepError::NoRecovery(format!(
                "not serving {:.0}s after the faults stopped: {last}",
                bound.as_secs_f64()
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
