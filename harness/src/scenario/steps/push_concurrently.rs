//! `push-concurrently`: N clients push an image at the same moment, to the
//! same tag or each to its own, with the same layer bytes or each its own;
//! in a `both` phase they alternate between the two processes (two registry
//! versions writing one container at once). Every acknowledged image is
//! recorded: the tag's winner as the tag, the others as superseded, so
//! `check-invariants` and `check-storage` verify every one; the tag must
//! then resolve to one of the images acknowledged under it. It must not judge storage itself.

use serde::Deserialize;

use super::push_manifest::{push_image, PutAt};
use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::{ClientError, ManifestDescriptor, RegistryClient};
use crate::digest::Digest;
use crate::env::Side;
use crate::payload::RandomBlob;
use crate::scenario::values::ByteSize;

/// Push `clients` images at once.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PushConcurrently {
    pub clients: usize,
    /// The tag every client pushes to; with `same-tag = false`, the prefix
    /// of each client's own tag (`<tag>-<client>`).
    pub tag: String,
    #[serde(default = "yes")]
    pub same_tag: bool,
    /// Every client pushes the same layer and config bytes (each blob
    /// committed N times at once); otherwise no two clients' images share a
    /// blob, so only the tag is raced.
    #[serde(default)]
    pub same_blob: bool,
    pub size: ByteSize,
    /// In a `both` phase, clients alternate between the `from` and the
    /// `to` process (client 0 on `from`).
    #[serde(default)]
    pub spread: bool,
}

fn yes() -> bool {
    true
}

/// What one client got.
struct ClientResult {
    client: usize,
    tag: String,
    served_by: String,
    outcome: Result<Digest, String>,
}

impl StepAction for PushConcurrently {
    fn kind(&self) -> StepKind {
        StepKind::PushConcurrently
    }

    fn validate(&self, cx: &mut super::LoadContext) -> Result<(), String> {
        if !(2..=64).contains(&self.clients) {
            return Err(format!("clients = {}: use 2 to 64", self.clients));
        }
        if self.same_tag {
            return cx.define_tag(&self.tag);
        }
        (0..self.clients).try_for_each(|client| cx.define_tag(&format!("{}-{client}", self.tag)))
    }

    fn describe(&self) -> String {
        format!(
            "{} clients push {} at once",
            self.clients,
            if self.same_tag {
                format!("to tag {}", self.tag)
            } else {
                format!("tags {}-N", self.tag)
            }
        )
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let repo = cx.repository();
        let seed = cx.seed();
        let pushes = (0..self.clients).map(|client| {
            let side = match (self.spread, client % 2) {
                (true, 0) => Side::From,
                (true, _) => Side::To,
                (false, _) => cx.via,
            };
            let served = cx.target.served(side);
            let tag = if self.same_tag {
                self.tag.clone()
            } else {
                format!("{}-{client}", self.tag)
            };
            let layer_seed = if self.same_blob {
                seed
            } else {
                seed.wrapping_add(client as u64 + 1)
            };
            let blob = RandomBlob::new(layer_seed, self.size.0);
            let config_label = if self.same_blob {
                cx.scenario_id.to_string()
            } else {
                format!("{}#{client}", cx.scenario_id)
            };
            async move {
                let outcome = push_one(served.client, repo, &config_label, &blob, &tag).await;
                ClientResult {
                    client,
                    tag,
                    served_by: served.version.to_string(),
                    outcome: outcome.map_err(|e| e.to_string()),
                }
            }
        });
        let results = futures_util::future::join_all(pushes).await;
        let mut acknowledged = Vec::new();
        let mut refused = Vec::new();
        for r in &results {
            match &r.outcome {
                Ok(_) => acknowledged.push(r),
                Err(e) => refused.push(format!("client {} ({}): {e}", r.client, r.served_by)),
            }
        }
        if acknowledged.is_empty() {
            return Err(StepError::Unmet(format!(
                "every concurrent push was refused: {}",
                refused.join("; ")
            )));
        }
        // Each tag must name one of the images acknowledged under it.
        let mut tags: Vec<&str> = acknowledged.iter().map(|r| r.tag.as_str()).collect();
        tags.sort_unstable();
        tags.dedup();
        let mut winners = Vec::new();
        for tag in tags {
            let candidates: Vec<&Digest> = acknowledged
                .iter()
                .filter(|r| r.tag == tag)
                .filter_map(|r| r.outcome.as_ref().ok())
                .collect();
            // The registry acknowledged images under this tag: a tag it can
            // no longer resolve has lost them.
            let served = match cx.client().get_manifest_digest(repo, tag).await {
                Ok(digest) => digest,
                Err(e @ ClientError::Registry(_)) => {
                    return Err(StepError::DataLoss(format!(
                        "tag {tag}, under which {} concurrent pushes were acknowledged, no longer resolves: {e}",
                        candidates.len()
                    )))
                }
                Err(other) => return Err(other.into()),
            };
            let Some(winner) = candidates.iter().find(|d| d.as_str() == served) else {
                return Err(StepError::DataLoss(format!(
                    "tag {tag} resolves to {served}, none of the {} images acknowledged under it",
                    candidates.len()
                )));
            };
            cx.pushed
                .manifests
                .insert(tag.to_string(), (*winner).clone());
            cx.pushed.superseded.extend(
                candidates
                    .iter()
                    .filter(|d| **d != *winner)
                    .map(|d| (tag.to_string(), (*d).clone())),
            );
            winners.push(format!("{tag} -> {winner}"));
        }
        let refused_note = if refused.is_empty() {
            String::new()
        } else {
            format!("; refused: {}", refused.join("; "))
        };
        Ok(format!(
            "{} of {} concurrent pushes acknowledged; {}{refused_note}",
            acknowledged.len(),
            results.len(),
            winners.join(", ")
        ))
    }
}

async fn push_one(
    client: &RegistryClient,
    repo: &str,
    config_label: &str,
    blob: &RandomBlob,
    tag: &str,
) -> Result<Digest, StepError> {
    let digest = blob.digest();
    client.push_blob_monolithic(repo, blob, &digest).await?;
    let layer = ManifestDescriptor {
        media_type: "application/vnd.oci.image.layer.v1.tar".into(),
        digest: digest.to_string(),
        size: blob.size(),
    };
    let manifest = push_image(
        client,
        repo,
        config_label,
        &[layer],
        PutAt::Tag(tag),
        &Default::default(),
    )
    .await?;
    manifest
        .parse()
        .map_err(|e: crate::digest::DigestError| ClientError::Protocol(e.to_string()).into())
}
