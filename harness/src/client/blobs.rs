//! Reading blobs: HEAD, and GET with the digest verified while streaming
//! (following a redirect to storage, as a real client must); and DELETE.

use reqwest::Method;
use sha2::{Digest, Sha256};

use super::error::expect_status;
use super::{ClientError, RegistryClient};

/// What a verified pull saw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BlobRead {
    pub bytes: u64,
    /// The host that served the bytes when the registry redirected.
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
        let mut response = expect_status(response, "GET", &url, &[200]).await?;
        let final_url = response.url().clone();
        let redirected_to = (final_url.host_str() != Some("127.0.0.1"))
            .then(|| final_url.host_str().unwrap_or_default().to_string());
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|source| ClientError::Transport {
                    method: "GET".into(),
                    path: final_url.path().to_string(),
                    source,
                })?;
            let Some(chunk) = chunk else { break };
            bytes += chunk.len() as u64;
            hasher.update(&chunk);
        }
        let actual = crate::digest::finish(hasher);
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

    /// HEADs a blob; `Ok(None)` when it does not exist.
    pub async fn blob_size(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<Option<u64>, ClientError> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let response = self.send(Method::HEAD, &url, |r| r).await?;
        if response.status().as_u16() == 404 {
            return Ok(None);
        }
        let response = expect_status(response, "HEAD", &url, &[200]).await?;
        Ok(response.content_length())
    }

    /// `DELETE /v2/<name>/blobs/<digest>`: 202 when the registry deleted it.
    pub async fn delete_blob(&self, repository: &str, digest: &str) -> Result<(), ClientError> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let response = self.send(Method::DELETE, &url, |r| r).await?;
        expect_status(response, "DELETE", &url, &[202]).await?;
        Ok(())
    }
}
