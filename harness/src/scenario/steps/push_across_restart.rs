//! `push-across-restart`: a chunked upload with a process restarted after a
//! given chunk; the upload continues where it was. A refusal is recorded as
//! a rejected blob, not the end of the run; it must not hide a harness failure.

use std::sync::{Mutex, PoisonError};

use serde::Deserialize;

use super::restart::{how, restart_process};
use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;
use crate::payload::RandomBlob;
use crate::scenario::values::{ByteSize, ProcessName};

/// A chunked push with `process` crashed and restarted after
/// `after-chunks` chunks; the upload continues where it was. A refusal
/// is an observation (the blob counts as rejected), not the end.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushAcrossRestart {
    pub blob: String,
    pub size: ByteSize,
    pub chunk: ByteSize,
    pub process: ProcessName,
    #[serde(rename = "after-chunks")]
    pub after_chunks: usize,
}

impl StepAction for PushAcrossRestart {
    fn kind(&self) -> StepKind {
        StepKind::PushAcrossRestart
    }

    fn describe(&self) -> String {
        format!(
            "push blob {} ({} bytes) in chunks, {:?} restarted after chunk {}",
            self.blob, self.size.0, self.process, self.after_chunks
        )
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let payload = RandomBlob::new(cx.seed(), self.size.0);
        let digest = payload.digest();
        match self.push(cx, &payload, &digest).await {
            Ok(summary) => {
                cx.pushed.store(&self.blob, payload, digest);
                Ok(summary)
            }
            Err(e) => Err(cx.pushed.refused(&self.blob, digest, e)),
        }
    }
}

impl PushAcrossRestart {
    async fn push(
        &self,
        cx: &StepContext<'_>,
        blob: &RandomBlob,
        digest: &str,
    ) -> Result<String, StepError> {
        let (target, via, process, after_chunks) =
            (cx.target, cx.via, self.process, self.after_chunks);
        let chunk = self.chunk.0 as usize;
        // Written from inside the chunk callback; a lock keeps the future Send.
        let outcome: Mutex<Option<Result<f64, String>>> = Mutex::new(None);
        let result = cx
            .client()
            .push_blob_chunked_with(cx.repository(), blob, digest, chunk, |n| {
                let outcome = &outcome;
                async move {
                    if n != after_chunks {
                        return Ok(());
                    }
                    let restarted = restart_process(target, via, process)
                        .await
                        .map_err(|e| e.to_string());
                    let failed = restarted.as_ref().err().cloned();
                    *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(restarted);
                    match failed {
                        Some(e) => Err(ClientError::Setup(e)),
                        None => Ok(()),
                    }
                }
            })
            .await;
        let restarted = outcome.into_inner().unwrap_or_else(PoisonError::into_inner);
        let gone = match restarted {
            Some(Err(e)) => return Err(StepError::Harness(e)),
            Some(Ok(seconds)) => seconds,
            None => {
                return Err(StepError::Harness(format!(
                    "the upload has fewer than {after_chunks} chunks: nothing was restarted"
                )))
            }
        };
        let chunks = result?;
        Ok(format!(
            "{chunks} chunks of {chunk} bytes acknowledged as {digest}; {} after chunk {after_chunks} and was back in {gone:.1}s",
            how(process)
        ))
    }
}
