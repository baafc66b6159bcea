//! `read-storage`: finds each blob straight in Blob storage, where the
//! registry's driver wrote it, and checks its digest. It must not go
//! through the registry.

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;

/// Read blobs straight from Blob storage (not through the registry).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadStorage {
    pub blobs: Vec<String>,
}

impl StepAction for ReadStorage {
    fn kind(&self) -> StepKind {
        StepKind::ReadStorage
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        self.blobs.iter().try_for_each(|name| cx.known(name))
    }

    fn describe(&self) -> String {
        format!("read blobs {} from storage", self.blobs.join(", "))
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let target = cx.target;
        let names = target
            .storage
            .list_blob_names(target.container, target.storage_port)
            .await
            .map_err(|e| ClientError::Protocol(format!("listing the container: {e}")))?;
        let mut parts = Vec::new();
        for name in &self.blobs {
            let b = cx.pushed.blob(name)?;
            let hex = b.digest.trim_start_matches("sha256:");
            // The driver's layout: blobs/sha256/<first two hex>/<hex>/data.
            let suffix = format!("blobs/sha256/{}/{hex}/data", hex.get(..2).unwrap_or(hex));
            let stored = names.iter().find(|n| n.ends_with(&suffix)).ok_or_else(|| {
                ClientError::DigestMismatch {
                    what: format!("blob {name} in Blob storage"),
                    expected: b.digest.to_string(),
                    actual: format!("no blob named *{suffix} among {} blobs", names.len()),
                    bytes: 0,
                }
            })?;
            let (size, digest) = target
                .storage
                .blob_digest(target.container, stored, target.storage_port)
                .await
                .map_err(|e| ClientError::Protocol(format!("reading {stored}: {e}")))?;
            if digest != b.digest.as_str() {
                return Err(ClientError::DigestMismatch {
                    what: format!("blob {name} in Blob storage at {stored}"),
                    expected: b.digest.to_string(),
                    actual: digest,
                    bytes: size,
                }
                .into());
            }
            parts.push(format!("{name} at {stored} ({size} bytes)"));
        }
        Ok(format!(
            "found in Blob storage with matching digests: {}",
            parts.join("; ")
        ))
    }
}
