//! Manifests: put, get (verifying the digest the registry names), delete.

use oci_spec::image::{Descriptor, ImageManifestBuilder, MediaType};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::Method;

use super::error::expect_status;
use super::{ClientError, RegistryClient};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// A blob a manifest refers to.
#[derive(Debug, Clone)]
pub struct ManifestDescriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

impl ManifestDescriptor {
    fn to_oci(&self) -> Result<Descriptor, ClientError> {
        let digest: oci_spec::image::Digest = self
            .digest
            .parse()
            .map_err(|e| ClientError::Protocol(format!("bad digest {}: {e}", self.digest)))?;
        Ok(Descriptor::new(
            MediaType::from(self.media_type.as_str()),
            self.size,
            digest,
        ))
    }
}

/// Serialises an OCI image manifest; returns the bytes and their digest.
pub fn image_manifest(
    config: &ManifestDescriptor,
    layers: &[ManifestDescriptor],
) -> Result<(Vec<u8>, String), ClientError> {
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config.to_oci()?)
        .layers(
            layers
                .iter()
                .map(ManifestDescriptor::to_oci)
                .collect::<Result<Vec<_>, _>>()?,
        )
        .build()
        .map_err(|e| ClientError::Protocol(format!("cannot build manifest: {e}")))?;
    let bytes = serde_json::to_vec(&manifest)
        .map_err(|e| ClientError::Protocol(format!("cannot serialise manifest: {e}")))?;
    let digest = crate::digest::sha256_of(&bytes);
    Ok((bytes, digest))
}

impl RegistryClient {
    /// PUTs a manifest under `reference`; returns the digest the registry reports.
    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        body: Vec<u8>,
    ) -> Result<Option<String>, ClientError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let response = self
            .send(Method::PUT, &url, |r| {
                r.header(CONTENT_TYPE, media_type).body(body.clone())
            })
            .await?;
        let response = expect_status(response, "PUT", &url, &[201]).await?;
        Ok(header(&response, "Docker-Content-Digest"))
    }

    /// GETs a manifest and checks its bytes hash to `expected_digest`.
    pub async fn get_manifest_verified(
        &self,
        repository: &str,
        reference: &str,
        expected_digest: &str,
    ) -> Result<Vec<u8>, ClientError> {
        let bytes = self.get_manifest_bytes(repository, reference).await?;
        let actual = crate::digest::sha256_of(&bytes);
        if actual != expected_digest {
            return Err(ClientError::DigestMismatch {
                what: format!("manifest {repository}:{reference}"),
                expected: expected_digest.to_string(),
                actual,
                bytes: bytes.len() as u64,
            });
        }
        Ok(bytes.to_vec())
    }

    /// The digest of the manifest `reference` resolves to now, computed
    /// from the bytes served.
    pub async fn get_manifest_digest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<String, ClientError> {
        let bytes = self.get_manifest_bytes(repository, reference).await?;
        Ok(crate::digest::sha256_of(&bytes))
    }

    /// The bytes `GET /v2/<name>/manifests/<reference>` serves (200 only).
    async fn get_manifest_bytes(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<bytes::Bytes, ClientError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let response = self
            .send(Method::GET, &url, |r| r.header(ACCEPT, OCI_MANIFEST))
            .await?;
        let response = expect_status(response, "GET", &url, &[200]).await?;
        response
            .bytes()
            .await
            .map_err(|source| ClientError::Transport {
                method: "GET".into(),
                path: url,
                source,
            })
    }

    /// DELETE of a manifest by digest, or of a tag by name (registries
    /// that support tag deletion answer 202 to both).
    pub async fn delete_manifest(&self, repository: &str, digest: &str) -> Result<(), ClientError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{digest}"));
        let response = self.send(Method::DELETE, &url, |r| r).await?;
        expect_status(response, "DELETE", &url, &[202]).await?;
        Ok(())
    }
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The config and layer digests an image manifest names.
pub fn manifest_references(bytes: &[u8]) -> Vec<String> {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Vec::new();
    };
    let config = doc["config"]["digest"].as_str().map(str::to_string);
    let layers = doc["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["digest"].as_str().map(str::to_string));
    config.into_iter().chain(layers).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_manifest_references_its_config_and_layers() {
        let manifest = br#"{"config":{"digest":"sha256:c"},"layers":[{"digest":"sha256:a"},{"digest":"sha256:b"}]}"#;
        assert_eq!(
            super::manifest_references(manifest),
            ["sha256:c", "sha256:a", "sha256:b"]
        );
        assert!(super::manifest_references(b"not json").is_empty());
    }
}
