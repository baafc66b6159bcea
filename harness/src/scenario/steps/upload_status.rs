//! `upload-status`: a chunked push that asks the registry, after the POST
//! and after every chunk, how much it holds (`GET` on the upload location:
//! 204 with `Range: 0-<last byte>`), and continues from the location that
//! answer gives, as a client resuming an interrupted upload does. The Range
//! must account for every byte sent and the upload's UUID must not change.
//! It defines the blob like `push-blob`.

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::UploadProgress;
use crate::payload::RandomBlob;
use crate::scenario::values::ByteSize;

/// Push `blob` (`size` bytes) in `chunk`-byte PATCHes, checking the upload's
/// status before the first and after each.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadStatus {
    pub blob: String,
    pub size: ByteSize,
    pub chunk: ByteSize,
}

impl StepAction for UploadStatus {
    fn kind(&self) -> StepKind {
        StepKind::UploadStatus
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        if self.chunk.0 == 0 || self.size.0 == 0 {
            return Err("upload-status needs a non-zero `size` and `chunk`".into());
        }
        cx.define_blob(&self.blob)
    }

    fn describe(&self) -> String {
        format!(
            "push blob {} ({} bytes in {}-byte chunks) checking the upload status",
            self.blob, self.size.0, self.chunk.0
        )
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (client, repo) = (cx.client(), cx.repository());
        let payload = RandomBlob::new(cx.seed(), self.size.0);
        let digest = payload.digest();
        let started = client.start_upload(repo).await?;
        let first = client.upload_status(&started).await?;
        let mut uuid = first.uuid.clone();
        let empty_range = first.range.clone().unwrap_or_else(|| "(none)".into());
        let mut location = first.location;
        let mut offset = 0u64;
        let mut chunks = 0usize;
        let mut ranges = Vec::new();
        for chunk in payload.pieces(self.chunk.0 as usize) {
            let len = chunk.len() as u64;
            let next = client.patch_chunk(&location, offset, chunk).await?;
            offset += len;
            let status = client.upload_status(&next).await?;
            chunks += 1;
            check(&status, offset, uuid.as_deref(), chunks)?;
            uuid = uuid.or(status.uuid);
            ranges.extend(status.range);
            location = status.location;
        }
        client.commit_upload(&location, &digest).await?;
        cx.pushed.store(&self.blob, payload, digest.clone());
        let uuid = match uuid {
            Some(_) => "Docker-Upload-UUID constant",
            None => "no Docker-Upload-UUID",
        };
        Ok(format!(
            "pushed blob {} ({} bytes, {chunks} chunks) as {digest}; status after the POST: Range {empty_range}; after each chunk: Range {}; {uuid}",
            self.blob,
            self.size.0,
            ranges.join(", ")
        ))
    }
}

/// The status after chunk `n` must account for the `sent` bytes, under the
/// upload's first UUID.
fn check(
    status: &UploadProgress,
    sent: u64,
    uuid: Option<&str>,
    n: usize,
) -> Result<(), StepError> {
    if status.next_offset() != Some(sent) {
        return Err(StepError::Unmet(format!(
            "after chunk {n} ({sent} bytes sent) the upload status answered Range {}, expected 0-{}",
            status.range.as_deref().unwrap_or("(none)"),
            sent - 1
        )));
    }
    if uuid.is_some() && status.uuid.as_deref() != uuid {
        return Err(StepError::Unmet(format!(
            "after chunk {n} the upload's Docker-Upload-UUID is {}, it was {}",
            status.uuid.as_deref().unwrap_or("(none)"),
            uuid.unwrap_or_default()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::client::UploadProgress;

    fn status(range: &str, uuid: &str) -> UploadProgress {
        UploadProgress {
            range: Some(range.into()),
            uuid: Some(uuid.into()),
            location: "/v2/r/blobs/uploads/u".into(),
        }
    }

    #[test]
    fn a_status_must_count_every_byte_sent_under_one_uuid() {
        assert!(check(&status("0-1023", "u"), 1024, Some("u"), 1).is_ok());
        let short = check(&status("0-511", "u"), 1024, Some("u"), 1);
        let text = short.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("Range 0-511, expected 0-1023"), "{text}");
        assert!(check(&status("1-1024", "u"), 1024, Some("u"), 1).is_err());
        assert!(check(&status("0-1023", "v"), 1024, Some("u"), 1).is_err());
        assert!(check(&status("0-1023", "v"), 1024, None, 1).is_ok());
    }
}
