//! `mount-blob`: a cross-repository mount, then a pull from the new
//! repository. It must not fall back to uploading the blob.

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;

/// Mount a blob from the scenario repository into `into`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountBlob {
    pub blob: String,
    pub into: String,
}

impl StepAction for MountBlob {
    fn kind(&self) -> StepKind {
        StepKind::MountBlob
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        cx.known(&self.blob)
    }

    fn describe(&self) -> String {
        format!("mount blob {} into {}", self.blob, self.into)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (blob, into) = (&self.blob, &self.into);
        let client = cx.client();
        let b = cx.pushed.blob(blob)?;
        let mounted = client.mount_blob(into, cx.repository(), &b.digest).await?;
        if !mounted {
            return Err(ClientError::Protocol(format!(
                "registry answered 202 (start an upload) instead of 201 (mounted) for {blob}"
            ))
            .into());
        }
        client.pull_blob_verified(into, &b.digest).await?;
        Ok(format!("mounted {blob} into {into} and pulled it back"))
    }
}
