//! `delete-blob`: `DELETE /v2/<name>/blobs/<digest>` of a blob an earlier
//! step pushed, then requires that it answers 404. A refusal (405
//! UNSUPPORTED with `storage.delete.enabled: false`) is the registry's
//! answer, reported with its status and code. It must not delete anything
//! else.

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};

/// Delete the blob pushed as `blob`, then check it is gone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteBlob {
    pub blob: String,
}

impl StepAction for DeleteBlob {
    fn kind(&self) -> StepKind {
        StepKind::DeleteBlob
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        cx.known(&self.blob)
    }

    fn describe(&self) -> String {
        format!("delete blob {}", self.blob)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (client, repo) = (cx.client(), cx.repository());
        let digest = cx.pushed.blob(&self.blob)?.digest.clone();
        client.delete_blob(repo, &digest).await?;
        if let Some(head) = client.head_blob(repo, &digest).await? {
            let size = head
                .size
                .map_or("no Content-Length".to_string(), |n| format!("{n} bytes"));
            return Err(StepError::Unmet(format!(
                "blob {} ({digest}) still answers HEAD with 200 ({size}) after its delete was accepted",
                self.blob
            )));
        }
        cx.pushed.blob_deleted(&self.blob);
        Ok(format!(
            "deleted blob {} ({digest}); HEAD now answers 404",
            self.blob
        ))
    }
}
