//! `tag-manifest`: re-tags a manifest an earlier step pushed, as `docker
//! tag` + `docker push` or `crane tag` do: the manifest's own bytes PUT
//! under another (or the same) tag. The registry rewrites the tag's link
//! object and the revision link, small objects written with PutContent,
//! which is where storage drivers that change blob types meet data an
//! older version wrote. It must not push blobs.

use serde::Deserialize;

use crate::digest::Digest;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
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

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        cx.define_tag(&self.tag)
    }

    fn describe(&self) -> String {
        format!("tag manifest {} as {}", self.manifest, self.tag)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (digest, bytes) = pushed_manifest(cx, &self.manifest).await?;
        put_as(cx, cx.repository(), &self.tag, &digest, bytes).await?;
        let previous = cx.pushed.manifests.insert(self.tag.clone(), digest.clone());
        let was = match previous {
            Some(old) if old == digest => " (it already pointed there: link rewritten)".to_string(),
            Some(old) => format!(" (was {old})"),
            None => String::new(),
        };
        Ok(format!("tagged {digest} as {}{was}", self.tag))
    }
}

/// The digest and bytes (GET by digest, verified) of the manifest an
/// earlier step pushed as `tag`.
pub(super) async fn pushed_manifest(
    cx: &StepContext<'_>,
    tag: &str,
) -> Result<(Digest, Vec<u8>), StepError> {
    let Some(digest) = cx.pushed.manifests.get(tag).cloned() else {
        return Err(StepError::Unmet(format!(
            "no earlier step pushed a manifest tagged {tag:?}"
        )));
    };
    let bytes = cx
        .client()
        .get_manifest_verified(cx.repository(), digest.as_str(), digest.as_str())
        .await?;
    Ok((digest, bytes))
}

/// PUTs manifest `bytes` under `repo:tag`; the registry must report
/// `digest`.
pub(super) async fn put_as(
    cx: &StepContext<'_>,
    repo: &str,
    tag: &str,
    digest: &Digest,
    bytes: Vec<u8>,
) -> Result<(), StepError> {
    let reported = cx
        .client()
        .put_manifest(repo, tag, OCI_MANIFEST, bytes)
        .await?;
    if let Some(reported) = reported.filter(|r| r != digest.as_str()) {
        return Err(ClientError::DigestMismatch {
            what: format!("manifest {repo}:{tag} (Docker-Content-Digest)"),
            expected: digest.to_string(),
            actual: reported,
            bytes: 0,
        }
        .into());
    }
    Ok(())
}
