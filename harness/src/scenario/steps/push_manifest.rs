//! `push-manifest`: an OCI image config and an image manifest over blobs
//! earlier steps pushed, under a tag or by its digest, optionally naming
//! another manifest as its `subject` (how signatures and SBOMs attach).
//! It must not push layers itself.

use crate::digest::{Digest, DigestError};
use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::{
    image_manifest, ClientError, ManifestDescriptor, ManifestExtras, RegistryClient, OCI_MANIFEST,
};

/// Push an OCI image manifest referencing `layers` (a config blob is made for it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PushManifest {
    /// The tag; with `by-digest` only the scenario's name for the manifest.
    pub tag: String,
    pub layers: Vec<String>,
    /// PUT to `manifests/<digest>`: the registry holds no tag for it.
    #[serde(default)]
    pub by_digest: bool,
    /// A manifest an earlier step pushed, named as this one's `subject`.
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub artifact_type: Option<String>,
}

impl PushManifest {
    /// An image manifest under `tag`, as most scenarios push one.
    pub fn tagged(tag: &str, layers: Vec<String>) -> Self {
        PushManifest {
            tag: tag.to_string(),
            layers,
            by_digest: false,
            subject: None,
            artifact_type: None,
        }
    }
}

/// `text` must look like a media type (`type/subtype`, RFC 6838).
pub(super) fn check_media_type(field: &str, text: &str) -> Result<(), String> {
    match text.split_once('/') {
        Some((kind, sub)) if !kind.is_empty() && !sub.is_empty() => Ok(()),
        _ => Err(format!(
            "{field} {text:?} is not a media type (type/subtype)"
        )),
    }
}

/// Where a manifest PUT goes.
#[derive(Debug, Clone, Copy)]
pub(super) enum PutAt<'a> {
    Tag(&'a str),
    Digest,
}

impl StepAction for PushManifest {
    fn kind(&self) -> StepKind {
        StepKind::PushManifest
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        if let Some(artifact_type) = &self.artifact_type {
            check_media_type("artifact-type", artifact_type)?;
        }
        self.layers.iter().try_for_each(|name| cx.known(name))?;
        if let Some(subject) = &self.subject {
            cx.known_manifest(subject)?;
        }
        if self.by_digest {
            cx.define_by_digest(&self.tag)
        } else {
            cx.define_tag(&self.tag)
        }
    }

    fn describe(&self) -> String {
        let at = if self.by_digest { " by digest" } else { "" };
        let subject = self
            .subject
            .as_ref()
            .map(|s| format!(" with subject {s}"))
            .unwrap_or_default();
        format!("push manifest {}{at}{subject}", self.tag)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let repo = cx.repository();
        let client = cx.client();
        let tag = &self.tag;
        // Before any request: a layer whose push was refused ends the step here.
        let layers = self
            .layers
            .iter()
            .map(|name| {
                let b = cx.pushed.blob(name)?;
                Ok(ManifestDescriptor {
                    media_type: "application/vnd.oci.image.layer.v1.tar".into(),
                    digest: b.digest.to_string(),
                    size: b.blob.size(),
                })
            })
            .collect::<Result<Vec<_>, StepError>>()?;
        let subject = match &self.subject {
            Some(name) => Some(describe_manifest(cx, name).await?),
            None => None,
        };
        let extras = ManifestExtras {
            subject,
            artifact_type: self.artifact_type.clone(),
        };
        let at = if self.by_digest {
            PutAt::Digest
        } else {
            PutAt::Tag(tag)
        };
        let digest = push_image(client, repo, cx.scenario_id, &layers, at, &extras).await?;
        // The client computed this digest itself; a parse failure would be
        // a client bug, reported rather than hidden.
        let typed: Digest = digest
            .parse()
            .map_err(|e: DigestError| ClientError::Protocol(e.to_string()))?;
        let how = if self.by_digest {
            cx.pushed.untagged.insert(tag.clone(), typed);
            "by digest"
        } else {
            cx.pushed.manifests.insert(tag.clone(), typed);
            "tagged"
        };
        let subject = self
            .subject
            .as_ref()
            .map(|s| format!(", subject {s}"))
            .unwrap_or_default();
        Ok(format!(
            "pushed manifest {tag} ({} layers, {how}{subject}) as {digest}",
            layers.len()
        ))
    }
}

/// A descriptor of the manifest an earlier step pushed as `name`, from the
/// bytes the registry serves (as oras does before attaching to it), which
/// must hash to the digest pushed.
async fn describe_manifest(
    cx: &StepContext<'_>,
    name: &str,
) -> Result<ManifestDescriptor, StepError> {
    let digest = cx.pushed.manifest_digest(name);
    let reference = cx.pushed.manifest_reference(name);
    let bytes = cx
        .client()
        .get_manifest_verified(cx.repository(), &reference, &digest)
        .await?;
    Ok(ManifestDescriptor {
        media_type: OCI_MANIFEST.into(),
        digest,
        size: bytes.len() as u64,
    })
}

/// Pushes an OCI image config (the same bytes for every image with the same
/// `config_label`, the scenario's id unless a step needs images that share
/// no blob) and an image manifest over `layers` at `at`; returns the
/// manifest's digest, checked against the registry's `Docker-Content-Digest`.
pub(super) async fn push_image(
    client: &RegistryClient,
    repo: &str,
    config_label: &str,
    layers: &[ManifestDescriptor],
    at: PutAt<'_>,
    extras: &ManifestExtras,
) -> Result<String, StepError> {
    let config_bytes = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"config":{{"Labels":{{"regmatrix.scenario":"{config_label}"}}}}}}"#
    );
    let config_blob = ConfigBlob::new(config_bytes.into_bytes());
    client
        .push_bytes_monolithic(repo, config_blob.bytes.clone(), &config_blob.digest)
        .await?;
    let config = ManifestDescriptor {
        media_type: "application/vnd.oci.image.config.v1+json".into(),
        digest: config_blob.digest.clone(),
        size: config_blob.bytes.len() as u64,
    };
    let (body, digest) = image_manifest(&config, layers, extras)?;
    let reference = match at {
        PutAt::Tag(tag) => tag,
        PutAt::Digest => digest.as_str(),
    };
    let reported = client
        .put_manifest(repo, reference, OCI_MANIFEST, body)
        .await?;
    if let Some(reported) = reported.filter(|r| r != &digest) {
        return Err(ClientError::DigestMismatch {
            what: format!("manifest {repo}:{reference} (Docker-Content-Digest)"),
            expected: digest,
            actual: reported,
            bytes: 0,
        }
        .into());
    }
    Ok(digest)
}

/// Small in-memory blob (image config).
struct ConfigBlob {
    bytes: bytes::Bytes,
    digest: String,
}

impl ConfigBlob {
    fn new(bytes: Vec<u8>) -> Self {
        let digest = crate::digest::sha256_of(&bytes);
        ConfigBlob {
            bytes: bytes.into(),
            digest,
        }
    }
}
