//! `push-manifest`: an OCI image config and an image manifest over blobs
//! earlier steps pushed. It must not push layers itself.

use crate::digest::{Digest, DigestError};
use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::{image_manifest, ClientError, ManifestDescriptor, OCI_MANIFEST};

/// Push an OCI image manifest referencing `layers` (a config blob is made for it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushManifest {
    pub tag: String,
    pub layers: Vec<String>,
}

impl StepAction for PushManifest {
    fn kind(&self) -> StepKind {
        StepKind::PushManifest
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        self.layers.iter().try_for_each(|name| cx.known(name))
    }

    fn describe(&self) -> String {
        format!("push manifest {}", self.tag)
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
        let digest = push_image(client, repo, cx.scenario_id, &layers, tag).await?;
        // The client computed this digest itself; a parse failure would be
        // a client bug, reported rather than hidden.
        let typed: Digest = digest
            .parse()
            .map_err(|e: DigestError| ClientError::Protocol(e.to_string()))?;
        cx.pushed.manifests.insert(tag.clone(), typed);
        Ok(format!(
            "pushed manifest {tag} ({} layers) as {digest}",
            layers.len()
        ))
    }
}

/// Pushes an OCI image config (the same bytes for every image with the same
/// `config_label`, the scenario's id unless a step needs images that share
/// no blob) and an image manifest over `layers` under `tag`; returns the
/// manifest's digest, checked against the registry's `Docker-Content-Digest`.
pub(super) async fn push_image(
    client: &crate::client::RegistryClient,
    repo: &str,
    config_label: &str,
    layers: &[ManifestDescriptor],
    tag: &str,
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
    let (body, digest) = image_manifest(&config, layers)?;
    let reported = client.put_manifest(repo, tag, OCI_MANIFEST, body).await?;
    if let Some(reported) = reported.filter(|r| r != &digest) {
        return Err(ClientError::DigestMismatch {
            what: format!("manifest {repo}:{tag} (Docker-Content-Digest)"),
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
