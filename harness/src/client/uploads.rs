//! Blob uploads: monolithic (POST, then one PUT with the bytes), chunked
//! (POST, PATCH per chunk with Content-Range, PUT to commit), the upload's
//! status (GET on its location, what a client resuming an upload asks),
//! and cross-repository mount.

use bytes::Bytes;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION};
use reqwest::Method;

use super::error::expect_status;
use super::{ClientError, RegistryClient};
use crate::payload::RandomBlob;

/// Body pieces stream at this size; it bounds the client's buffering.
const STREAM_PIECE: usize = 256 * 1024;

/// What `GET <upload location>` answered (204 by the spec).
#[derive(Debug, Clone)]
pub struct UploadProgress {
    /// `Range: 0-<last byte received>`, as the registry wrote it.
    pub range: Option<String>,
    pub uuid: Option<String>,
    /// The location to continue from.
    pub location: String,
}

impl UploadProgress {
    /// The offset the next chunk starts at, from `Range` (`0-<end>`); `None`
    /// when the header is missing or not of that form. An upload holding
    /// nothing is answered `0-0` too (distribution), which reads as 1 here:
    /// only meaningful once a chunk has been accepted.
    pub fn next_offset(&self) -> Option<u64> {
        let (start, end) = self.range.as_deref()?.split_once('-')?;
        if start != "0" {
            return None;
        }
        end.parse::<u64>().ok().map(|end| end + 1)
    }
}

impl RegistryClient {
    /// `POST /v2/<name>/blobs/uploads/`: the new upload's location.
    pub async fn start_upload(&self, repository: &str) -> Result<String, ClientError> {
        let url = self.url(&format!("/v2/{repository}/blobs/uploads/"));
        let response = self
            .send(Method::POST, &url, |r| r.header(CONTENT_LENGTH, "0"))
            .await?;
        let response = expect_status(response, "POST", &url, &[202]).await?;
        self.location_of(&response)
    }

    fn location_of(&self, response: &reqwest::Response) -> Result<String, ClientError> {
        super::header(response, LOCATION.as_str())
            .map(|l| self.resolve_location(&l))
            .ok_or_else(|| {
                ClientError::Protocol(format!(
                    "{} answered without Location",
                    response.url().path()
                ))
            })
    }

    /// Pushes `blob` in one PUT, streaming its bytes.
    pub async fn push_blob_monolithic(
        &self,
        repository: &str,
        blob: &RandomBlob,
        digest: &str,
    ) -> Result<(), ClientError> {
        self.put_monolithic(repository, digest, blob.size(), || blob.body(STREAM_PIECE))
            .await
    }

    /// Pushes small in-memory bytes (an image config) in one PUT.
    pub async fn push_bytes_monolithic(
        &self,
        repository: &str,
        bytes: Bytes,
        digest: &str,
    ) -> Result<(), ClientError> {
        let len = bytes.len() as u64;
        self.put_monolithic(repository, digest, len, || bytes.clone().into())
            .await
    }

    async fn put_monolithic(
        &self,
        repository: &str,
        digest: &str,
        len: u64,
        body: impl Fn() -> reqwest::Body,
    ) -> Result<(), ClientError> {
        let location = self.start_upload(repository).await?;
        let url = with_query(&location, "digest", digest);
        let response = self
            .send(Method::PUT, &url, |r| {
                r.header(CONTENT_TYPE, "application/octet-stream")
                    .header(CONTENT_LENGTH, len)
                    .body(body())
            })
            .await?;
        expect_status(response, "PUT", &url, &[201]).await?;
        Ok(())
    }

    /// Pushes `blob` in PATCH chunks of `chunk_size` bytes, then commits.
    pub async fn push_blob_chunked(
        &self,
        repository: &str,
        blob: &RandomBlob,
        digest: &str,
        chunk_size: usize,
    ) -> Result<usize, ClientError> {
        self.push_blob_chunked_with(repository, blob, digest, chunk_size, |_| async { Ok(()) })
            .await
    }

    /// As `push_blob_chunked`, calling `after_chunk(n)` once chunk `n` (1-based)
    /// is accepted: a fault scenario restarts a process there, mid-upload.
    pub async fn push_blob_chunked_with<F, Fut>(
        &self,
        repository: &str,
        blob: &RandomBlob,
        digest: &str,
        chunk_size: usize,
        mut after_chunk: F,
    ) -> Result<usize, ClientError>
    where
        F: FnMut(usize) -> Fut,
        Fut: std::future::Future<Output = Result<(), ClientError>>,
    {
        let mut location = self.start_upload(repository).await?;
        let mut offset = 0u64;
        let mut chunks = 0;
        for chunk in blob.pieces(chunk_size) {
            let len = chunk.len() as u64;
            location = self.patch_chunk(&location, offset, chunk).await?;
            offset += len;
            chunks += 1;
            after_chunk(chunks).await?;
        }
        self.commit_upload(&location, digest).await?;
        Ok(chunks)
    }

    /// PATCHes `chunk` at `offset` with its `Content-Range`; returns the
    /// location the registry gives for what follows.
    pub async fn patch_chunk(
        &self,
        location: &str,
        offset: u64,
        chunk: Bytes,
    ) -> Result<String, ClientError> {
        // `Content-Range: first-last` cannot name zero bytes.
        let Some(last) = (chunk.len() as u64).checked_sub(1) else {
            return Err(ClientError::Protocol(format!(
                "an empty chunk at offset {offset} cannot be sent: Content-Range names at least one byte"
            )));
        };
        let end = offset + last;
        let response = self
            .send(Method::PATCH, location, |r| {
                r.header(CONTENT_TYPE, "application/octet-stream")
                    .header(CONTENT_RANGE, format!("{offset}-{end}"))
                    .header(CONTENT_LENGTH, chunk.len())
                    .body(chunk.clone())
            })
            .await?;
        let response = expect_status(response, "PATCH", location, &[202]).await?;
        self.location_of(&response)
    }

    /// The closing `PUT <location>?digest=` with no body: 201 commits.
    pub async fn commit_upload(&self, location: &str, digest: &str) -> Result<(), ClientError> {
        let url = with_query(location, "digest", digest);
        let response = self
            .send(Method::PUT, &url, |r| r.header(CONTENT_LENGTH, "0"))
            .await?;
        expect_status(response, "PUT", &url, &[201]).await?;
        Ok(())
    }

    /// `GET <upload location>`: how much of the upload the registry holds.
    pub async fn upload_status(&self, location: &str) -> Result<UploadProgress, ClientError> {
        let response = self.send(Method::GET, location, |r| r).await?;
        let response = expect_status(response, "GET", location, &[204]).await?;
        Ok(UploadProgress {
            range: super::header(&response, "Range"),
            uuid: super::header(&response, "Docker-Upload-UUID"),
            location: self.location_of(&response)?,
        })
    }

    /// Mounts `digest` from `from` into `repository`. Returns true when the
    /// registry mounted it (201), false when it fell back to an upload (202).
    pub async fn mount_blob(
        &self,
        repository: &str,
        from: &str,
        digest: &str,
    ) -> Result<bool, ClientError> {
        let url = self.url(&format!(
            "/v2/{repository}/blobs/uploads/?mount={digest}&from={from}"
        ));
        let response = self
            .send(Method::POST, &url, |r| r.header(CONTENT_LENGTH, "0"))
            .await?;
        let response = expect_status(response, "POST", &url, &[201, 202]).await?;
        Ok(response.status().as_u16() == 201)
    }
}

fn with_query(url: &str, name: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{name}={value}")
}
