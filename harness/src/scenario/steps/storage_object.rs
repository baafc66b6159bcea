//! `storage-object`: reads one object straight from Blob storage (not
//! through the registry) as evidence: its blob type (Get Blob Properties),
//! its size, and for small objects (links) its content; optionally
//! requires a type or content. Upgrades turn on these facts: which blob
//! type a version wrote, what a tag's link says, under which name a
//! version stored it. It must not write to storage.

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;

/// Links and other small objects are read whole; larger ones by properties only.
const CONTENT_LIMIT: u64 = 4096;

/// Read one storage object; `{repository}`, `{manifest:TAG}` and
/// `{blob:NAME}` in `name` and `content` are the scenario's repository and
/// what earlier steps pushed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StorageObject {
    /// The blob name in the container, as the driver writes it
    /// (`docker/registry/v2/...`; 2.8 writes `/docker/registry/v2/...`).
    pub name: String,
    /// Require this type: `BlockBlob`, `AppendBlob`, or `absent`.
    #[serde(default)]
    pub blob_type: Option<String>,
    /// Require this content (after placeholders).
    #[serde(default)]
    pub content: Option<String>,
}

impl StepAction for StorageObject {
    fn kind(&self) -> StepKind {
        StepKind::StorageObject
    }

    fn validate(&self, _cx: &mut super::LoadContext) -> Result<(), String> {
        match self.blob_type.as_deref() {
            None | Some("BlockBlob" | "AppendBlob" | "PageBlob" | "absent") => Ok(()),
            Some(other) => Err(format!(
                "blob-type {other:?}: use BlockBlob, AppendBlob, PageBlob or absent"
            )),
        }
    }

    fn describe(&self) -> String {
        format!("read storage object {}", self.name)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let name = fill(&self.name, cx)?;
        let target = cx.target;
        let object = target
            .storage
            .blob_object(target.container, &name, target.storage_port, CONTENT_LIMIT)
            .await
            .map_err(|e| ClientError::Protocol(format!("reading {name}: {e}")))?;
        let seen = match &object {
            None => format!("{name}: absent"),
            Some(o) => {
                let content = o
                    .content
                    .as_deref()
                    .map(|c| format!(", content {:?}", c.trim()))
                    .unwrap_or_default();
                format!("{name}: {}, {} bytes{content}", o.blob_type, o.size)
            }
        };
        if let Some(wanted) = &self.blob_type {
            let actual = object.as_ref().map_or("absent", |o| o.blob_type.as_str());
            if !wanted.eq_ignore_ascii_case(actual) {
                return Err(StepError::Unmet(format!(
                    "storage holds {seen}; the scenario requires {wanted}"
                )));
            }
        }
        if let Some(wanted) = &self.content {
            let wanted = fill(wanted, cx)?;
            let actual = object.as_ref().and_then(|o| o.content.as_deref());
            if actual.map(str::trim) != Some(wanted.trim()) {
                return Err(StepError::Unmet(format!(
                    "storage holds {seen}; the scenario requires content {wanted:?}"
                )));
            }
        }
        Ok(seen)
    }
}

/// Replaces the placeholders with what this run pushed.
fn fill(text: &str, cx: &StepContext<'_>) -> Result<String, StepError> {
    let mut out = text.replace("{repository}", cx.repository());
    while let Some(start) = out.find('{') {
        let Some(len) = out[start..].find('}') else {
            break;
        };
        let inner = &out[start + 1..start + len];
        let value = match inner.split_once(':') {
            Some(("manifest", tag)) => cx
                .pushed
                .manifests
                .get(tag)
                .map(ToString::to_string)
                .ok_or_else(|| format!("no manifest was pushed as {tag:?}")),
            Some(("blob", blob)) => cx
                .pushed
                .blobs
                .get(blob)
                .map(|b| b.digest.to_string())
                .ok_or_else(|| format!("no blob {blob:?} was pushed")),
            _ => Err(format!(
                "unknown placeholder {{{inner}}}: use {{repository}}, {{manifest:TAG}} or {{blob:NAME}}"
            )),
        }
        .map_err(StepError::Unmet)?;
        out.replace_range(start..start + len + 1, &value);
    }
    Ok(out)
}
