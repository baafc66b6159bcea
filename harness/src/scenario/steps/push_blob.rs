//! `push-blob`: pushes seeded pseudo-random bytes, whole or in chunks. It
//! must not decide whether a refusal ends the run; it only marks one it is
//! allowed to survive (`may-fail`).

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;
use crate::payload::RandomBlob;
use crate::scenario::values::{ByteSize, UploadMode, UploadModeWord};

/// Push a pseudo-random blob named `blob` (the name is local to the scenario).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "PushBlobFields")]
pub struct PushBlob {
    pub blob: String,
    pub size: ByteSize,
    pub mode: UploadMode,
    /// Under injected faults a refusal is an observation, not the end of
    /// the run; the blob then counts as rejected for `check-invariants`.
    pub may_fail: bool,
}

/// The step as a scenario file writes it: the mode word and the chunk
/// apart, as they always were.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PushBlobFields {
    blob: String,
    size: ByteSize,
    mode: UploadModeWord,
    #[serde(default)]
    chunk: Option<ByteSize>,
    #[serde(default, rename = "may-fail")]
    may_fail: bool,
}

impl TryFrom<PushBlobFields> for PushBlob {
    type Error = String;

    fn try_from(fields: PushBlobFields) -> Result<Self, String> {
        let mode = match fields.mode {
            UploadModeWord::Monolithic => UploadMode::Monolithic,
            UploadModeWord::Chunked => fields
                .chunk
                .and_then(UploadMode::chunked)
                .ok_or("a chunked push-blob needs a non-zero `chunk` size")?,
        };
        Ok(PushBlob {
            blob: fields.blob,
            size: fields.size,
            mode,
            may_fail: fields.may_fail,
        })
    }
}

impl PushBlob {
    /// Pushes and says how (`monolithic`, `N chunks of M bytes`).
    async fn push(
        &self,
        cx: &StepContext<'_>,
        payload: &RandomBlob,
        digest: &str,
    ) -> Result<String, ClientError> {
        let client = cx.client();
        let repo = cx.repository();
        match self.mode {
            UploadMode::Monolithic => {
                client.push_blob_monolithic(repo, payload, digest).await?;
                Ok("monolithic".to_string())
            }
            UploadMode::Chunked { chunk_bytes } => {
                let chunk = chunk_bytes as usize;
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
        cx.define_blob(&self.blob)
    }

    fn describe(&self) -> String {
        format!(
            "push blob {} ({} bytes, {})",
            self.blob,
            self.size.0,
            self.mode.word()
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
