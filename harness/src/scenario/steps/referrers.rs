//! `referrers`: the OCI 1.1 referrers listing of a manifest
//! (`GET /v2/<name>/referrers/<digest>`), how cosign, notation and oras find
//! signatures, SBOMs and attestations pushed with a `subject`. It must be an
//! image index naming exactly the manifests expected. With `artifact-type`
//! the filter is asked for; when the registry says it did not apply it
//! (no `OCI-Filters-Applied: artifactType`), the step filters as the spec
//! tells clients to. It must not push or change anything.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::OCI_INDEX;

/// List the referrers of `manifest` and require exactly `expect` (the
/// scenario's names of manifests pushed with it as their subject).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Referrers {
    pub manifest: String,
    pub expect: Vec<String>,
    #[serde(default)]
    pub artifact_type: Option<String>,
}

impl StepAction for Referrers {
    fn kind(&self) -> StepKind {
        StepKind::Referrers
    }

    fn describe(&self) -> String {
        let filter = self
            .artifact_type
            .as_ref()
            .map(|t| format!(" of type {t}"))
            .unwrap_or_default();
        format!("list referrers{filter} of manifest {}", self.manifest)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let subject = cx.pushed.manifest_digest(&self.manifest);
        if subject.is_empty() {
            return Err(StepError::Unmet(format!(
                "manifest {:?} is not in the registry: no earlier step pushed it",
                self.manifest
            )));
        }
        let list = cx
            .client()
            .referrers(cx.repository(), &subject, self.artifact_type.as_deref())
            .await?;
        if list.content_type.as_deref() != Some(OCI_INDEX) {
            return Err(StepError::Unmet(format!(
                "the referrers of {} answered 200 with Content-Type {}, not {OCI_INDEX}",
                self.manifest,
                list.content_type.as_deref().unwrap_or("(none)")
            )));
        }
        let filtered_here = self.artifact_type.is_some()
            && !list
                .filters_applied
                .as_deref()
                .is_some_and(|f| f.split(',').any(|f| f.trim() == "artifactType"));
        let served: BTreeSet<String> = list
            .manifests
            .iter()
            .filter(|m| !filtered_here || m.artifact_type == self.artifact_type)
            .map(|m| m.digest.clone())
            .collect();
        let wanted: BTreeSet<String> = self
            .expect
            .iter()
            .map(|name| cx.pushed.manifest_digest(name))
            .collect();
        if served != wanted || (served.len() != list.manifests.len() && !filtered_here) {
            return Err(StepError::Unmet(format!(
                "the referrers of {} name {:?}, expected {:?} ({})",
                self.manifest,
                list.manifests.iter().map(|m| &m.digest).collect::<Vec<_>>(),
                wanted,
                self.expect.join(", ")
            )));
        }
        let how = if filtered_here {
            " (filtered here: the registry did not apply artifactType)"
        } else {
            ""
        };
        Ok(format!(
            "referrers of {}: {} manifest(s), as expected{how}",
            self.manifest,
            served.len()
        ))
    }
}
