//! `delete-manifest`: deletes by digest and requires a 404 afterwards. It
//! must not delete anything but the manifest the scenario pushed.

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;

/// Delete the manifest pushed under `tag`, then check it is gone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteManifest {
    pub tag: String,
}

impl StepAction for DeleteManifest {
    fn kind(&self) -> StepKind {
        StepKind::DeleteManifest
    }

    fn describe(&self) -> String {
        format!("delete manifest {}", self.tag)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (client, repo) = (cx.client(), cx.repository());
        let digest = cx.pushed.manifest_digest(&self.tag);
        client.delete_manifest(repo, &digest).await?;
        match client.get_manifest_verified(repo, &digest, &digest).await {
            Err(ClientError::Registry(e)) if e.status == 404 => {
                // The registry untagged it everywhere: later steps expect none of its tags.
                let tags = cx.pushed.manifest_deleted(&digest);
                Ok(format!(
                    "deleted manifest {digest} (tags {tags:?}); it now answers 404"
                ))
            }
            Ok(_) => Err(ClientError::Protocol(format!(
                "manifest {digest} still served after delete"
            ))
            .into()),
            Err(other) => Err(other.into()),
        }
    }
}
