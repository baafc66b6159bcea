//! `tag-manifest`: re-tags a manifest an earlier step pushed, as `docker
//! tag` + `docker push` or `crane tag` do: the manifest's own bytes PUT
//! under another (or the same) tag. The registry rewrites the tag's link
//! object and the revision link, small objects written with PutContent,
//! which is where storage drivers that change blob types meet data an
//! older version wrote. It must not push blobs.

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::{ClientError, OCI_MANIFEST};

/// PUT the manifest pushed as `manifest` under `tag`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagManifest {
    /// The tag an earlier step pushed the manifest as.
    pub manifest: String,
    /// The tag to point at it; an existing tag is overwritten.
    pub tag: String,
}

impl StepAction for TagManifest {
    fn kind(&self) -> StepKind {
        StepKind::TagManifest
    }

    fn describe(&self) -> String {
        format!("tag manifest {} as {}", self.manifest, self.tag)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (client, repo) = (cx.client(), cx.repository());
        let Some(digest) = cx.pushed.manifests.get(&self.manifest).cloned() else {
            return Err(StepError::Unmet(format!(
                "no earlier step pushed a manifest tagged {:?}",
                self.manifest
            )));
        };
        let bytes = client
            .get_manifest_verified(repo, digest.as_str(), digest.as_str())
            .await?;
        let reported = client
            .put_manifest(repo, &self.tag, OCI_MANIFEST, bytes)
            .await?;
        if let Some(reported) = reported.filter(|r| r != digest.as_str()) {
            return Err(ClientError::DigestMismatch {
                what: format!("manifest {repo}:{} (Docker-Content-Digest)", self.tag),
                expected: digest.to_string(),
                actual: reported,
                bytes: 0,
            }
            .into());
        }
        let previous = cx.pushed.manifests.insert(self.tag.clone(), digest.clone());
        let was = match previous {
            Some(old) if old == digest => " (it already pointed there: link rewritten)".to_string(),
            Some(old) => format!(" (was {old})"),
            None => String::new(),
        };
        Ok(format!("tagged {digest} as {}{was}", self.tag))
    }
}
