//! Manifests: put (by tag or by digest, with a `subject` for the referrers
//! API), get (verifying the digest the registry names), HEAD, delete, and
//! the referrers listing.

use oci_spec::image::{Descriptor, ImageManifestBuilder, MediaType};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::Method;

use super::error::expect_status;
use super::{content_length, header, read_body, ClientError, RegistryClient};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// What `HEAD /v2/<name>/manifests/<reference>` answered.
#[derive(Debug, Clone)]
pub struct ManifestHead {
    /// `Docker-Content-Digest`: what docker and containerd resolve a tag to.
    pub digest: Option<String>,
    pub content_type: Option<String>,
    pub length: Option<u64>,
}

/// One manifest the referrers listing names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub digest: String,
    pub artifact_type: Option<String>,
}

/// What `GET /v2/<name>/referrers/<digest>` answered with 200.
#[derive(Debug, Clone)]
pub struct ReferrersList {
    pub content_type: Option<String>,
    /// `OCI-Filters-Applied`: the filters the registry applied itself.
    pub filters_applied: Option<String>,
    pub manifests: Vec<Referrer>,
}

/// The optional parts of an image manifest that make it an artifact.
#[derive(Debug, Clone, Default)]
pub struct ManifestExtras {
    /// The manifest this one refers to (signatures, SBOMs, attestations).
    pub subject: Option<ManifestDescriptor>,
    pub artifact_type: Option<String>,
}

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
    extras: &ManifestExtras,
) -> Result<(Vec<u8>, String), ClientError> {
    let mut builder = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config.to_oci()?)
        .layers(
            layers
                .iter()
                .map(ManifestDescriptor::to_oci)
                .collect::<Result<Vec<_>, _>>()?,
        );
    if let Some(subject) = &extras.subject {
        builder = builder.subject(subject.to_oci()?);
    }
    if let Some(artifact_type) = &extras.artifact_type {
        builder = builder.artifact_type(MediaType::from(artifact_type.as_str()));
    }
    let manifest = builder
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

    /// `HEAD /v2/<name>/manifests/<reference>` (200 only).
    pub async fn head_manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<ManifestHead, ClientError> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let response = self
            .send(Method::HEAD, &url, |r| r.header(ACCEPT, OCI_MANIFEST))
            .await?;
        let response = expect_status(response, "HEAD", &url, &[200]).await?;
        Ok(ManifestHead {
            digest: header(&response, "Docker-Content-Digest"),
            content_type: header(&response, CONTENT_TYPE.as_str()),
            length: content_length(&response),
        })
    }

    /// `GET /v2/<name>/referrers/<digest>`, with `?artifactType=` when
    /// `artifact_type` is set (200 only: a registry without the API answers 404).
    pub async fn referrers(
        &self,
        repository: &str,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> Result<ReferrersList, ClientError> {
        let mut url = self.url(&format!("/v2/{repository}/referrers/{digest}"));
        if let Some(artifact_type) = artifact_type {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("artifactType", artifact_type)
                .finish();
            url = format!("{url}?{query}");
        }
        let response = self
            .send(Method::GET, &url, |r| r.header(ACCEPT, OCI_INDEX))
            .await?;
        let response = expect_status(response, "GET", &url, &[200]).await?;
        let content_type = header(&response, CONTENT_TYPE.as_str());
        let filters_applied = header(&response, "OCI-Filters-Applied");
        let body = read_body(response, "GET", &url).await?;
        let index: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| ClientError::Protocol(format!("the referrers answer is not JSON: {e}")))?;
        let manifests = index["manifests"]
            .as_array()
            .ok_or_else(|| {
                ClientError::Protocol("the referrers answer has no `manifests` array".into())
            })?
            .iter()
            .map(|m| {
                let digest = m["digest"].as_str().ok_or_else(|| {
                    ClientError::Protocol(format!("a referrers entry has no digest: {m}"))
                })?;
                Ok(Referrer {
                    digest: digest.to_string(),
                    artifact_type: m["artifactType"].as_str().map(str::to_string),
                })
            })
            .collect::<Result<_, ClientError>>()?;
        Ok(ReferrersList {
            content_type,
            filters_applied,
            manifests,
        })
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
        read_body(response, "GET", &url).await
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
