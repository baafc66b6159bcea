//! Runs one scenario's steps against one running registry and records what
//! happened: every step's requests and status, the registry's error, the
//! storage traffic it caused, and the registry log lines around a failure.
//! It judges nothing about expectations; the runner does that.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use regmatrix_mocks::front_door::{FrontDoor, TrafficLog, TrafficRecord};

use super::identity_steps;
use super::model::{Step, UploadMode};
use super::Scenario;
use crate::client::{
    image_manifest, ClientError, ManifestDescriptor, RegistryClient, OCI_MANIFEST,
};
use crate::env::IdentityCloud;
use crate::payload::RandomBlob;
use crate::storage::BlobStorageClient;
use regmatrix_model::StepObservation;

/// Everything the engine needs from a running environment.
pub struct Target<'a> {
    pub client: &'a RegistryClient,
    pub storage: &'a BlobStorageClient,
    pub storage_port: u16,
    pub container: &'a str,
    pub traffic: &'a TrafficLog,
    pub registry_log: &'a Path,
    pub identity: &'a IdentityCloud,
    pub front_door: &'a FrontDoor,
    pub processes: &'a dyn crate::env::ProcessControl,
}

/// Requests to Blob storage, as opposed to identity endpoints, in the traffic log.
pub fn is_storage_host(host: &str) -> bool {
    // Any cloud's realm: core.windows.net, core.chinacloudapi.cn, ...
    host.contains(".blob.")
}

/// Why a step did not do what it should.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The registry answered, but not as the step requires.
    #[error("{0}")]
    Unmet(String),
    /// The registry accepted what it must refuse.
    #[error("{0}")]
    Accepted(String),
    /// Acknowledged data is gone or corrupt, or refused data appeared.
    #[error("{0}")]
    DataLoss(String),
    /// The registry did not serve again within the bound.
    #[error("{0}")]
    NoRecovery(String),
    /// The harness could not do its part.
    #[error("{0}")]
    Harness(String),
}

/// Why the run stopped early.
#[derive(Debug)]
pub enum StepFailure {
    /// The registry (or the storage behind it) refused or broke an operation.
    Registry(String),
    /// The harness itself could not do its part.
    Harness(String),
    /// The registry accepted a token it must refuse.
    Security(String),
    DataLoss(String),
    NoRecovery(String),
}

pub struct ScenarioRun {
    pub steps: Vec<StepObservation>,
    pub failure: Option<StepFailure>,
    pub registry_log: Vec<String>,
    pub storage_traffic: Vec<TrafficRecord>,
}

pub(super) struct PushedBlob {
    pub(super) blob: RandomBlob,
    pub(super) digest: String,
}

/// State shared between steps: what was pushed, under which names, and
/// what the registry refused (for the invariants after faults).
#[derive(Default)]
pub(super) struct Pushed {
    pub(super) blobs: HashMap<String, PushedBlob>,
    pub(super) manifests: HashMap<String, String>,
    /// Blob names and digests whose push the registry refused.
    pub(super) rejected: Vec<(String, String)>,
}

pub async fn run(scenario: &Scenario, target: &Target<'_>) -> ScenarioRun {
    let traffic_start = target.traffic.len();
    let mut pushed = Pushed::default();
    // Rules this run added, removed by `clear-faults` and at the end.
    let mut injected = Vec::new();
    let mut steps = Vec::new();
    let mut failure = None;
    let mut registry_log = Vec::new();
    for (index, step) in scenario.steps().enumerate() {
        let log_offset = crate::registry_log::file_len(target.registry_log);
        let step_traffic = target.traffic.len();
        let started = Instant::now();
        let result = match step {
            Step::Wait { duration } => identity_steps::wait(duration.0).await,
            Step::RotateFederatedToken => identity_steps::rotate_federated_token(target),
            Step::IdentityOutage {
                duration,
                recover_within,
            } => {
                identity_steps::identity_outage(
                    target,
                    &scenario.spec.repository,
                    seed_for(scenario.id(), index),
                    duration.0,
                    recover_within.0,
                )
                .await
            }
            Step::InjectFault { rule } => match target.front_door.add_fault_text(rule) {
                Ok(id) => {
                    injected.push(id);
                    Ok(format!("fault rule added: {rule}"))
                }
                Err(e) => Err(StepError::Harness(format!("fault rule {rule:?}: {e}"))),
            },
            Step::ClearFaults => {
                let removed = injected
                    .drain(..)
                    .filter(|id| target.front_door.remove_fault(*id))
                    .count();
                Ok(format!("{removed} fault rules removed"))
            }
            Step::Restart { process } => super::process_steps::restart(target, *process).await,
            Step::PushAcrossRestart {
                blob,
                size,
                chunk,
                process,
                after_chunks,
            } => {
                let payload = RandomBlob::new(seed_for(scenario.id(), index), size.0);
                let digest = payload.digest();
                let result = super::process_steps::push_across_restart(
                    target,
                    &scenario.spec.repository,
                    &payload,
                    &digest,
                    chunk.0 as usize,
                    *process,
                    *after_chunks,
                )
                .await;
                if result.is_ok() {
                    pushed.blobs.insert(
                        blob.clone(),
                        PushedBlob {
                            blob: payload,
                            digest,
                        },
                    );
                }
                result
            }
            Step::CheckInvariants { recover_within } => {
                super::invariants::check(
                    target,
                    &scenario.spec.repository,
                    &pushed,
                    recover_within.0,
                )
                .await
            }
            Step::PushDenied { repository, .. } => {
                push_denied(
                    target,
                    repository.as_deref().unwrap_or(&scenario.spec.repository),
                    seed_for(scenario.id(), index),
                )
                .await
            }
            Step::CheckCredentials {
                schemes,
                min_token_grants,
            } => {
                identity_steps::check_credentials(target, traffic_start, schemes, *min_token_grants)
            }
            _ => perform(step, index, scenario, target, &mut pushed)
                .await
                .map_err(StepError::Client),
        };
        let requests = target
            .client
            .exchanges()
            .drain()
            .into_iter()
            .map(Into::into)
            .collect();
        let storage_requests = target.traffic.len().saturating_sub(step_traffic);
        let mut observation = StepObservation {
            index,
            kind: step.kind().to_string(),
            summary: String::new(),
            ok: result.is_ok(),
            duration_ms: started.elapsed().as_millis() as u64,
            requests,
            storage_requests,
            error: None,
            registry_error: None,
        };
        match result {
            Ok(summary) => {
                observation.summary = summary;
                steps.push(observation);
            }
            Err(err) => {
                observation.summary = describe(step);
                observation.error = Some(err.to_string());
                if let StepError::Client(ClientError::Registry(e)) = &err {
                    observation.registry_error = Some(e.as_ref().into());
                }
                let tolerated = match step {
                    Step::PushBlob {
                        blob,
                        size,
                        may_fail: true,
                        ..
                    }
                    | Step::PushAcrossRestart { blob, size, .. } => Some((blob, size)),
                    _ => None,
                };
                let harness_failed = matches!(
                    err,
                    StepError::Harness(_) | StepError::Client(ClientError::Setup(_))
                );
                if let (Some((blob, size)), false) = (tolerated, harness_failed) {
                    // Same seed as the push, so the same digest.
                    let digest = RandomBlob::new(seed_for(scenario.id(), index), size.0).digest();
                    pushed.rejected.push((blob.clone(), digest));
                    observation.summary = format!("{} (refused, as faults allow)", describe(step));
                    steps.push(observation);
                    continue;
                }
                let line = format!("step {} {}: {}", index + 1, step.kind(), err);
                failure = Some(match err {
                    StepError::Client(ClientError::Setup(_) | ClientError::Protocol(_))
                    | StepError::Harness(_) => StepFailure::Harness(line),
                    StepError::Accepted(_) => match step {
                        Step::PushDenied { security: true, .. } => StepFailure::Security(line),
                        _ => StepFailure::Registry(line),
                    },
                    StepError::Client(_) | StepError::Unmet(_) => StepFailure::Registry(line),
                    StepError::DataLoss(_) => StepFailure::DataLoss(line),
                    StepError::NoRecovery(_) => StepFailure::NoRecovery(line),
                });
                registry_log = crate::registry_log::lines_since(target.registry_log, log_offset);
                steps.push(observation);
                break;
            }
        }
    }
    for id in injected {
        target.front_door.remove_fault(id);
    }
    ScenarioRun {
        steps,
        failure,
        registry_log,
        storage_traffic: target.traffic.since(traffic_start),
    }
}

fn describe(step: &Step) -> String {
    match step {
        Step::PushBlob {
            blob, size, mode, ..
        } => format!("push blob {blob} ({} bytes, {mode:?})", size.0),
        Step::PushManifest { tag, .. } => format!("push manifest {tag}"),
        Step::PullManifest { tag } => format!("pull manifest {tag}"),
        Step::PullBlobs { blobs } => format!("pull blobs {}", blobs.join(", ")),
        Step::ReadStorage { blobs } => format!("read blobs {} from storage", blobs.join(", ")),
        Step::MountBlob { blob, into } => format!("mount blob {blob} into {into}"),
        Step::ListTags { .. } => "list tags".into(),
        Step::Catalog => "catalog".into(),
        Step::DeleteManifest { tag } => format!("delete manifest {tag}"),
        Step::Restart { process } => format!("crash and restart {process:?}"),
        Step::InjectFault { rule } => format!("add fault {rule}"),
        Step::ClearFaults => "remove the scenario's faults".into(),
        Step::PushAcrossRestart {
            blob,
            size,
            process,
            after_chunks,
            ..
        } => format!(
            "push blob {blob} ({} bytes) in chunks, {process:?} restarted after chunk {after_chunks}",
            size.0
        ),
        Step::CheckInvariants { recover_within } => format!(
            "acknowledged data intact, registry serving within {:?}",
            recover_within.0
        ),
        Step::PushDenied { repository, .. } => format!(
            "push to {} must be refused",
            repository.as_deref().unwrap_or("the scenario repository")
        ),
        Step::Wait { duration } => format!("wait {:?}", duration.0),
        Step::RotateFederatedToken => "rotate the projected service-account token".into(),
        Step::IdentityOutage { duration, .. } => {
            format!("identity endpoints answer 500 for {:?}", duration.0)
        }
        Step::CheckCredentials { schemes, .. } => {
            format!("Blob storage saw only {} credentials", schemes.join("/"))
        }
    }
}

async fn perform(
    step: &Step,
    index: usize,
    scenario: &Scenario,
    target: &Target<'_>,
    pushed: &mut Pushed,
) -> Result<String, ClientError> {
    let repo = scenario.spec.repository.as_str();
    let client = target.client;
    match step {
        Step::PushBlob {
            blob,
            size,
            mode,
            chunk,
            ..
        } => {
            let payload = RandomBlob::new(seed_for(scenario.id(), index), size.0);
            let digest = payload.digest();
            let how = match mode {
                UploadMode::Monolithic => {
                    client.push_blob_monolithic(repo, &payload, &digest).await?;
                    "monolithic".to_string()
                }
                UploadMode::Chunked => {
                    let chunk = chunk.map(|c| c.0).unwrap_or(size.0) as usize;
                    let n = client
                        .push_blob_chunked(repo, &payload, &digest, chunk)
                        .await?;
                    format!("{n} chunks of {chunk} bytes")
                }
            };
            let summary = format!("pushed blob {blob} ({} bytes, {how}) as {digest}", size.0);
            pushed.blobs.insert(
                blob.clone(),
                PushedBlob {
                    blob: payload,
                    digest,
                },
            );
            Ok(summary)
        }
        Step::PushManifest { tag, layers } => {
            let config_bytes = format!(
                r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"config":{{"Labels":{{"regmatrix.scenario":"{}"}}}}}}"#,
                scenario.id()
            );
            let config_blob = ConfigBlob::new(config_bytes.into_bytes());
            client
                .push_bytes_monolithic(repo, config_blob.bytes.clone(), &config_blob.digest)
                .await?;
            let config = ManifestDescriptor {
                media_type: "application/vnd.oci.image.config.v1+json".into(),
                digest: config_blob.digest.clone(),
                size: config_blob.bytes.len() as u64,
            };
            let layers = layers
                .iter()
                .map(|name| {
                    let b = &pushed.blobs[name];
                    ManifestDescriptor {
                        media_type: "application/vnd.oci.image.layer.v1.tar".into(),
                        digest: b.digest.clone(),
                        size: b.blob.size(),
                    }
                })
                .collect::<Vec<_>>();
            let (body, digest) = image_manifest(&config, &layers)?;
            let reported = client.put_manifest(repo, tag, OCI_MANIFEST, body).await?;
            if let Some(reported) = reported.filter(|r| r != &digest) {
                return Err(ClientError::DigestMismatch {
                    what: format!("manifest {repo}:{tag} (Docker-Content-Digest)"),
                    expected: digest,
                    actual: reported,
                    bytes: 0,
                });
            }
            pushed.manifests.insert(tag.clone(), digest.clone());
            Ok(format!(
                "pushed manifest {tag} ({} layers) as {digest}",
                layers.len()
            ))
        }
        Step::PullManifest { tag } => {
            let digest = pushed.manifests.get(tag).cloned().unwrap_or_default();
            let bytes = client.get_manifest_verified(repo, tag, &digest).await?;
            Ok(format!(
                "pulled manifest {tag}: {} bytes, digest verified",
                bytes.len()
            ))
        }
        Step::PullBlobs { blobs } => {
            let mut parts = Vec::new();
            for name in blobs {
                let b = &pushed.blobs[name];
                let read = client.pull_blob_verified(repo, &b.digest).await?;
                let via = read
                    .redirected_to
                    .map(|h| format!(" via redirect to {h}"))
                    .unwrap_or_default();
                parts.push(format!("{name} {} bytes{via}", read.bytes));
            }
            Ok(format!("pulled and verified {}", parts.join("; ")))
        }
        Step::ReadStorage { blobs } => {
            let names = target
                .storage
                .list_blob_names(target.container, target.storage_port)
                .await
                .map_err(|e| ClientError::Protocol(format!("listing the container: {e}")))?;
            let mut parts = Vec::new();
            for name in blobs {
                let b = &pushed.blobs[name];
                let hex = b.digest.trim_start_matches("sha256:");
                let suffix = format!("blobs/sha256/{}/{hex}/data", &hex[..2]);
                let stored = names.iter().find(|n| n.ends_with(&suffix)).ok_or_else(|| {
                    ClientError::DigestMismatch {
                        what: format!("blob {name} in Blob storage"),
                        expected: b.digest.clone(),
                        actual: format!("no blob named *{suffix} among {} blobs", names.len()),
                        bytes: 0,
                    }
                })?;
                let (size, digest) = target
                    .storage
                    .blob_digest(target.container, stored, target.storage_port)
                    .await
                    .map_err(|e| ClientError::Protocol(format!("reading {stored}: {e}")))?;
                if digest != b.digest {
                    return Err(ClientError::DigestMismatch {
                        what: format!("blob {name} in Blob storage at {stored}"),
                        expected: b.digest.clone(),
                        actual: digest,
                        bytes: size,
                    });
                }
                parts.push(format!("{name} at {stored} ({size} bytes)"));
            }
            Ok(format!(
                "found in Blob storage with matching digests: {}",
                parts.join("; ")
            ))
        }
        Step::MountBlob { blob, into } => {
            let b = &pushed.blobs[blob];
            let mounted = client.mount_blob(into, repo, &b.digest).await?;
            if !mounted {
                return Err(ClientError::Protocol(format!(
                    "registry answered 202 (start an upload) instead of 201 (mounted) for {blob}"
                )));
            }
            client.pull_blob_verified(into, &b.digest).await?;
            Ok(format!("mounted {blob} into {into} and pulled it back"))
        }
        Step::ListTags { expect } => {
            let mut tags = client.list_tags(repo).await?;
            tags.sort();
            let mut wanted = expect.clone();
            wanted.sort();
            if tags != wanted {
                return Err(ClientError::Protocol(format!(
                    "tags list {tags:?}, expected {wanted:?}"
                )));
            }
            Ok(format!("tags list is {tags:?}"))
        }
        Step::Catalog => {
            let repos = client.catalog().await?;
            if !repos.iter().any(|r| r == repo) {
                return Err(ClientError::Protocol(format!(
                    "catalog {repos:?} lacks {repo}"
                )));
            }
            Ok(format!(
                "catalog lists {} repositories including {repo}",
                repos.len()
            ))
        }
        Step::DeleteManifest { tag } => {
            let digest = pushed.manifests.get(tag).cloned().unwrap_or_default();
            client.delete_manifest(repo, &digest).await?;
            match client.get_manifest_verified(repo, &digest, &digest).await {
                Err(ClientError::Registry(e)) if e.status == 404 => {
                    Ok(format!("deleted manifest {digest}; it now answers 404"))
                }
                Ok(_) => Err(ClientError::Protocol(format!(
                    "manifest {digest} still served after delete"
                ))),
                Err(other) => Err(other),
            }
        }
        Step::Wait { .. }
        | Step::InjectFault { .. }
        | Step::ClearFaults
        | Step::Restart { .. }
        | Step::PushAcrossRestart { .. }
        | Step::CheckInvariants { .. }
        | Step::PushDenied { .. }
        | Step::RotateFederatedToken
        | Step::IdentityOutage { .. }
        | Step::CheckCredentials { .. } => Err(ClientError::Setup(format!(
            "{} is not a registry operation",
            step.kind()
        ))),
    }
}

/// A push the registry must refuse. The refusal's status, its
/// `WWW-Authenticate` error and the registry's own log line are the evidence.
async fn push_denied(
    target: &Target<'_>,
    repository: &str,
    seed: u64,
) -> Result<String, StepError> {
    let blob = RandomBlob::new(seed, 256 * 1024);
    let digest = blob.digest();
    let offset = crate::registry_log::file_len(target.registry_log);
    let result = target
        .client
        .push_blob_monolithic(repository, &blob, &digest)
        .await;
    let log = auth_log_line(target.registry_log, offset)
        .map(|l| format!("; registry log: {l}"))
        .unwrap_or_default();
    match result {
        Ok(()) => Err(StepError::Accepted(format!(
            "the registry accepted a push to {repository} with this token (blob {digest} stored){log}"
        ))),
        Err(ClientError::Registry(e)) if e.status == 401 || e.status == 403 => {
            let error = e
                .www_authenticate
                .as_deref()
                .and_then(crate::client::Challenge::parse)
                .and_then(|c| c.param("error").map(str::to_string))
                .map(|v| format!(", error=\"{v}\""))
                .unwrap_or_default();
            Ok(format!(
                "refused: {} {} answered {}{error}{log}",
                e.method, e.path, e.status
            ))
        }
        Err(ClientError::Token { realm, detail }) => Ok(format!(
            "refused by the token server at {realm}: {detail}"
        )),
        Err(other) => Err(StepError::Client(other)),
    }
}

/// The registry's last log line since `offset` that speaks of the token
/// (2.8 and 3.x log why they refused one at info level).
fn auth_log_line(path: &Path, offset: u64) -> Option<String> {
    let text = std::fs::read(path).ok()?;
    let fresh = String::from_utf8_lossy(&text[(offset as usize).min(text.len())..]).into_owned();
    fresh
        .lines()
        .rfind(|l| crate::registry_log::explains_token_refusal(l))
        .map(|l| crate::registry_log::condense(l, 300))
}

/// Small in-memory blob (image config).
struct ConfigBlob {
    bytes: bytes::Bytes,
    digest: String,
}

impl ConfigBlob {
    fn new(bytes: Vec<u8>) -> Self {
        let digest = crate::digest::sha256_of(&bytes);
        ConfigBlob {
            bytes: bytes.into(),
            digest,
        }
    }
}

/// Different bytes per scenario and step, the same bytes on every run, so a
/// report can be reproduced; a fresh run dir per cell keeps runs apart.
pub(super) fn seed_for(id: &str, index: usize) -> u64 {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(format!("{id}#{index}").as_bytes());
    u64::from_le_bytes(hash[..8].try_into().unwrap_or_default())
}
