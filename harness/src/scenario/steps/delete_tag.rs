//! `delete-tag`: deletes a tag by name (`DELETE /v2/<name>/manifests/<tag>`),
//! then requires that the tag answers 404 and that the manifest it pointed
//! at is still served by digest. It must not delete the manifest itself.

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;

/// Delete `tag`, keep its manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteTag {
    pub tag: String,
}

impl StepAction for DeleteTag {
    fn kind(&self) -> StepKind {
        StepKind::DeleteTag
    }

    fn describe(&self) -> String {
        format!("delete tag {}", self.tag)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (client, repo) = (cx.client(), cx.repository());
        let digest = cx.pushed.manifest_digest(&self.tag);
        client.delete_manifest(repo, &self.tag).await?;
        match client.get_manifest_verified(repo, &self.tag, &digest).await {
            Err(ClientError::Registry(e)) if e.status == 404 => {}
            Ok(_) => {
                return Err(StepError::Unmet(format!(
                    "tag {} still served after its delete was accepted",
                    self.tag
                )))
            }
            Err(other) => return Err(other.into()),
        }
        client.get_manifest_verified(repo, &digest, &digest).await?;
        cx.pushed.manifests.remove(&self.tag);
        Ok(format!(
            "deleted tag {}; it answers 404, its manifest {digest} is still served",
            self.tag
        ))
    }
}
