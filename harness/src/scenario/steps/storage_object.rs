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

/// Read one storage object; `{root}` (the version's blob-name prefix:
/// `docker/registry/v2`, or 2.8's `/docker/registry/v2`), `{repository}`, `{manifest:TAG}` and
/// `{blob:NAME}` (and `{manifest-path:TAG}`, `{blob-path:NAME}`: the digest
/// as `sha256/<hex>`) in `name` and `content` are the scenario's repository
/// and what earlier steps pushed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StorageObject {
    /// The blob name in the container, as the driver writes it
    /// (`docker/registry/v2/...`; 2.8 writes `/docker/registry/v2/...`).
    pub name: String,
    /// Require this type: `BlockBlob`, `AppendBlob`, or `absent`.
    #[serde(default)]
    pub blob_type: Option<String>,
    /// Require this content (after placeholders); anything else stored
    /// there is `data-loss`.
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
                // The registry acknowledged what it wrote there: a stored
                // object holding something else is corrupt data.
                return Err(StepError::DataLoss(format!(
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
    if out.contains("{root}") {
        let version = cx.target.served(cx.via).version;
        let dialect = version
            .parse::<crate::versions::RegistryVersion>()
            .map(|v| crate::registry_config::ConfigDialect::of(&v))
            .map_err(|e| StepError::Harness(format!("{{root}} for {version}: {e}")))?;
        out = out.replace("{root}", dialect.blob_root());
    }
    while let Some(start) = out.find('{') {
        let Some(len) = out[start..].find('}') else {
            break;
        };
        let inner = &out[start + 1..start + len];
        // `*-path` forms give the digest as the driver's path segments
        // (`sha256/<hex>`), as in `index/sha256/<hex>/link`.
        let (kind, as_path) = match inner.split_once(':') {
            Some((kind, rest)) => match kind.strip_suffix("-path") {
                Some(base) => (Some((base, rest)), true),
                None => (Some((kind, rest)), false),
            },
            None => (None, false),
        };
        let value = match kind {
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
                "unknown placeholder {{{inner}}}: use {{repository}}, {{manifest:TAG}}, {{blob:NAME}}, {{manifest-path:TAG}} or {{blob-path:NAME}}"
            )),
        }
        .map(|digest| if as_path { digest.replacen(':', "/", 1) } else { digest })
        .map_err(StepError::Unmet)?;
        out.replace_range(start..start + len + 1, &value);
    }
    Ok(out)
}
