//! The steps that act on the mock identity cloud rather than on the
//! registry: kubelet rotating the projected token, and an identity outage
//! with probe pushes during and after it. They must not change the
//! registry's configuration.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::{ClientError, RegistryClient};
use crate::env::Workload;
use crate::payload::RandomBlob;
use crate::scenario::values::HumanDuration;

/// Probes are small: the outage is about authentication, not bandwidth.
const PROBE_BYTES: u64 = 64 * 1024;
const PROBE_INTERVAL: Duration = Duration::from_secs(2);

/// Replace the projected service-account token file with a fresh token.
// No `deny_unknown_fields`: keys on this field-less kind were always
// ignored, and rejecting them now would turn away files that load today.
#[derive(Debug, Clone, Deserialize)]
pub struct RotateFederatedToken {}

impl StepAction for RotateFederatedToken {
    fn kind(&self) -> StepKind {
        StepKind::RotateFederatedToken
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        if cx.workload != Workload::WorkloadIdentity {
            return Err(
                "rotate-federated-token needs `[identity] workload = \"workload-identity\"`".into(),
            );
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "rotate the projected service-account token".into()
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        cx.target
            .identity
            .rotate_federated_token()
            .map_err(|e| StepError::Harness(e.to_string()))?;
        Ok("wrote a fresh service-account token over the projected token file".into())
    }
}

/// Every token endpoint answers 500 for `duration`. Small pushes probe
/// the registry during the window and after it, until one succeeds or
/// `recover-within` passes (the step fails then).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityOutage {
    pub duration: HumanDuration,
    #[serde(rename = "recover-within")]
    pub recover_within: HumanDuration,
}

impl StepAction for IdentityOutage {
    fn kind(&self) -> StepKind {
        StepKind::IdentityOutage
    }

    fn describe(&self) -> String {
        format!("identity endpoints answer 500 for {:?}", self.duration.0)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (target, client, repository, seed) =
            (cx.target, cx.client(), cx.repository(), cx.seed());
        let (duration, recover_within) = (self.duration.0, self.recover_within.0);
        let faults = target.identity.begin_outage(target.front_door);
        let started = Instant::now();
        let mut refused = Vec::new();
        let mut served = 0usize;
        let mut probe = 0u64;
        // A probe a second is all that runs during the outage: the
        // scheduler may use the cell's place meanwhile.
        crate::pacing::idle(async {
            while started.elapsed() < duration {
                match push_probe(client, repository, seed, probe).await {
                    Ok(()) => served += 1,
                    Err(e) => refused.push(e.to_string()),
                }
                probe += 1;
                let left = duration.saturating_sub(started.elapsed());
                tokio::time::sleep(left.min(PROBE_INTERVAL)).await;
            }
        })
        .await;
        for fault in faults {
            target.front_door.remove_fault(fault);
        }
        let ended = Instant::now();
        let recovered = loop {
            if push_probe(client, repository, seed, probe).await.is_ok() {
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
}

async fn push_probe(
    client: &RegistryClient,
    repository: &str,
    seed: u64,
    probe: u64,
) -> Result<(), ClientError> {
    // Each probe its own bytes, so no push is answered from an earlier one.
    let blob = RandomBlob::new(
        seed ^ (probe + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        PROBE_BYTES,
    );
    let digest = blob.digest();
    client
        .push_blob_monolithic(repository, &blob, &digest)
        .await
}
