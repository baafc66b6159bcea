//! Reading blobs: HEAD, GET with the digest verified while streaming
//! (following a redirect to storage, as a real client must), GET of a byte
//! range; and DELETE.

use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, RANGE};
use reqwest::Method;

use super::error::expect_status;
use super::{content_length, header, ClientError, RegistryClient};

/// What a verified pull saw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BlobRead {
    pub bytes: u64,
    /// The host that served the bytes when the registry redirected.
    pub redirected_to: Option<String>,
}

/// What `HEAD /v2/<name>/blobs/<digest>` answered for a blob that exists.
#[derive(Debug, Clone)]
pub struct BlobHead {
    /// `Content-Length`, the blob's size by the spec.
    pub size: Option<u64>,
    /// `Docker-Content-Digest`, when the answer carried one.
    pub digest: Option<String>,
    pub redirected_to: Option<String>,
}

/// What a GET with a `Range` header answered: the status (206 when the
/// range was honoured, 200 when it was not), `Content-Range`, and the
/// digest of the bytes that came, hashed while streaming.
#[derive(Debug, Clone)]
pub struct RangeRead {
    pub status: u16,
    pub content_range: Option<String>,
    pub content_length: Option<String>,
    pub bytes: u64,
    pub digest: String,
    pub redirected_to: Option<String>,
}

impl RegistryClient {
    /// GETs a blob and checks its bytes hash to `digest`.
    pub async fn pull_blob_verified(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<BlobRead, ClientError> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let response = self.send(Method::GET, &url, |r| r).await?;
        let response = expect_status(response, "GET", &url, &[200]).await?;
        let redirected_to = redirected_host(&response);
        let (bytes, actual) = drain_hashing(response).await?;
        if actual != digest {
            return Err(ClientError::DigestMismatch {
                what: format!("blob {repository}@{digest}"),
                expected: digest.to_string(),
                actual,
                bytes,
            });
        }
        Ok(BlobRead {
            bytes,
            redirected_to,
        })
    }

    /// GETs `bytes=<range>` of a blob (`0-99`, `100-`, `-100`), following a
    /// redirect with the header kept, as clients resuming a pull do.
    pub async fn read_blob_range(
        &self,
        repository: &str,
        digest: &str,
        range: &str,
    ) -> Result<RangeRead, ClientError> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let value = format!("bytes={range}");
        let response = self
            .send(Method::GET, &url, |r| r.header(RANGE, value.as_str()))
            .await?;
        let response = expect_status(response, "GET", &url, &[200, 206]).await?;
        let status = response.status().as_u16();
        let content_range = header(&response, CONTENT_RANGE.as_str());
        // As written: a value that is not a number is evidence too.
        let content_length = header(&response, CONTENT_LENGTH.as_str());
        let redirected_to = redirected_host(&response);
        let (bytes, digest) = drain_hashing(response).await?;
        Ok(RangeRead {
            status,
            content_range,
            content_length,
            bytes,
            digest,
            redirected_to,
        })
    }

    /// HEADs a blob; `Ok(None)` when it does not exist.
    pub async fn head_blob(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<Option<BlobHead>, ClientError> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let response = self.send(Method::HEAD, &url, |r| r).await?;
        if response.status().as_u16() == 404 {
            return Ok(None);
        }
        let response = expect_status(response, "HEAD", &url, &[200]).await?;
        Ok(Some(BlobHead {
            // The header, not the body's size hint: a HEAD has no body.
            size: content_length(&response),
            digest: header(&response, "Docker-Content-Digest"),
            redirected_to: redirected_host(&response),
        }))
    }

    /// `DELETE /v2/<name>/blobs/<digest>`: 202 when the registry deleted it.
    pub async fn delete_blob(&self, repository: &str, digest: &str) -> Result<(), ClientError> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let response = self.send(Method::DELETE, &url, |r| r).await?;
        expect_status(response, "DELETE", &url, &[202]).await?;
        Ok(())
    }
}

/// The host that answered when it is not the registry (a redirect to storage).
fn redirected_host(response: &reqwest::Response) -> Option<String> {
    let host = response.url().host_str().unwrap_or_default();
    (host != "127.0.0.1").then(|| host.to_string())
}

/// Reads a body to its end; returns its length and `sha256:` digest.
async fn drain_hashing(response: reqwest::Response) -> Result<(u64, String), ClientError> {
    let path = response.url().path().to_string();
    crate::digest::hash_body(response)
        .await
        .map_err(|source| ClientError::Transport {
            method: "GET".into(),
            path,
            source,
        })
}
