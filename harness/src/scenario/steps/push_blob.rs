//! `push-blob`: pushes seeded pseudo-random bytes, whole or in chunks. It
//! must not decide whether a refusal ends the run; it only marks one it is
//! allowed to survive (`may-fail`).

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;
use crate::payload::RandomBlob;
use crate::scenario::values::{ByteSize, UploadMode};

/// Push a pseudo-random blob named `blob` (the name is local to the scenario).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushBlob {
    pub blob: String,
    pub size: ByteSize,
    pub mode: UploadMode,
    #[serde(default)]
    pub chunk: Option<ByteSize>,
    /// Under injected faults a refusal is an observation, not the end of
    /// the run; the blob then counts as rejected for `check-invariants`.
    #[serde(default, rename = "may-fail")]
    pub may_fail: bool,
}

impl PushBlob {
    /// Pushes and says how (`monolithic`, `N chunks of M bytes`).
    async fn push(
        &self,
        cx: &StepContext<'_>,
        payload: &RandomBlob,
        digest: &str,
    ) -> Result<String, ClientError> {
        let client = cx.target.client;
        let repo = cx.repository();
        match self.mode {
            UploadMode::Monolithic => {
                client.push_blob_monolithic(repo, payload, digest).await?;
                Ok("monolithic".to_string())
            }
            UploadMode::Chunked => {
                let chunk = self.chunk.map(|c| c.0).unwrap_or(self.size.0) as usize;
                let n = client
                    .push_blob_chunked(repo, payload, digest, chunk)
                    .await?;
                Ok(format!("{n} chunks of {chunk} bytes"))
            }
        }
    }
}

impl StepAction for PushBlob {
    fn kind(&self) -> StepKind {
        StepKind::PushBlob
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        if self.mode == UploadMode::Chunked && self.chunk.is_none_or(|c| c.0 == 0) {
            return Err("a chunked push-blob needs a non-zero `chunk` size".into());
        }
        if !cx.blobs.insert(self.blob.clone()) {
            return Err(format!("blob {:?} is pushed twice", self.blob));
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "push blob {} ({} bytes, {:?})",
            self.blob, self.size.0, self.mode
        )
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let payload = RandomBlob::new(cx.seed(), self.size.0);
        let digest = payload.digest();
        match self.push(cx, &payload, &digest).await {
            Ok(how) => {
                let summary = format!(
                    "pushed blob {} ({} bytes, {how}) as {digest}",
                    self.blob, self.size.0
                );
                cx.pushed.store(&self.blob, payload, digest);
                Ok(summary)
            }
            Err(e) if self.may_fail => Err(cx.pushed.refused(&self.blob, digest, e.into())),
            Err(e) => Err(e.into()),
        }
    }
}
