//! `pull-manifest` and `pull-blobs`: reading back through the registry with
//! every digest verified. They must not push or change anything.

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};

/// Pull the manifest by tag and verify its digest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullManifest {
    pub tag: String,
}

impl StepAction for PullManifest {
    fn kind(&self) -> StepKind {
        StepKind::PullManifest
    }

    fn describe(&self) -> String {
        format!("pull manifest {}", self.tag)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let tag = &self.tag;
        let digest = cx.pushed.manifest_digest(tag);
        let reference = cx.pushed.manifest_reference(tag);
        let bytes = cx
            .client()
            .get_manifest_verified(cx.repository(), &reference, &digest)
            .await?;
        Ok(format!(
            "pulled manifest {tag}: {} bytes, digest verified",
            bytes.len()
        ))
    }
}

/// Pull blobs, verifying each digest while streaming.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullBlobs {
    pub blobs: Vec<String>,
}

impl StepAction for PullBlobs {
    fn kind(&self) -> StepKind {
        StepKind::PullBlobs
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        self.blobs.iter().try_for_each(|name| cx.known(name))
    }

    fn describe(&self) -> String {
        format!("pull blobs {}", self.blobs.join(", "))
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let mut parts = Vec::new();
        for name in &self.blobs {
            let b = cx.pushed.blob(name)?;
            let read = cx
                .client()
                .pull_blob_verified(cx.repository(), &b.digest)
                .await?;
            let via = read
                .redirected_to
                .map(|h| format!(" via redirect to {h}"))
                .unwrap_or_default();
            parts.push(format!("{name} {} bytes{via}", read.bytes));
        }
        Ok(format!("pulled and verified {}", parts.join("; ")))
    }
}
