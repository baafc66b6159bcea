//! `referrers`: the OCI 1.1 referrers listing of a manifest
//! (`GET /v2/<name>/referrers/<digest>`), how cosign, notation and oras find
//! signatures, SBOMs and attestations pushed with a `subject`. It must be an
//! image index naming exactly the manifests expected. With `artifact-type`
//! the filter is asked for; when the registry says it did not apply it
//! (no `OCI-Filters-Applied: artifactType`), the step filters as the spec
//! tells clients to. It must not push or change anything.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::{ReferrersList, OCI_INDEX};

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

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        if let Some(artifact_type) = &self.artifact_type {
            super::push_manifest::check_media_type("artifact-type", artifact_type)?;
        }
        std::iter::once(&self.manifest)
            .chain(&self.expect)
            .try_for_each(|name| cx.known_manifest(name))
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
        let wanted: BTreeSet<String> = self
            .expect
            .iter()
            .map(|name| cx.pushed.manifest_digest(name))
            .collect();
        let judged = judge(&list, self.artifact_type.as_deref(), &wanted);
        let filtered_here = judged.map_err(|problem| {
            StepError::Unmet(format!(
                "the referrers of {}: {problem} (expected: {})",
                self.manifest,
                self.expect.join(", ")
            ))
        })?;
        let how = if filtered_here {
            " (filtered here: the registry did not apply artifactType)"
        } else {
            ""
        };
        Ok(format!(
            "referrers of {}: {} manifest(s), as expected{how}",
            self.manifest,
            wanted.len()
        ))
    }
}

/// Whether a 200 referrers answer is an image index naming exactly
/// `wanted`, each once, after the `artifactType` filter (applied here when
/// the registry says it did not); `Ok(true)` when the step filtered.
fn judge(
    list: &ReferrersList,
    artifact_type: Option<&str>,
    wanted: &BTreeSet<String>,
) -> Result<bool, String> {
    let media_type = list
        .content_type
        .as_deref()
        .map(|t| t.split(';').next().unwrap_or_default().trim());
    if media_type != Some(OCI_INDEX) {
        return Err(format!(
            "200 with Content-Type {}, not {OCI_INDEX}",
            list.content_type.as_deref().unwrap_or("(none)")
        ));
    }
    let filtered_here = artifact_type.is_some()
        && !list
            .filters_applied
            .as_deref()
            .is_some_and(|f| f.split(',').any(|f| f.trim() == "artifactType"));
    let kept: Vec<&str> = list
        .manifests
        .iter()
        .filter(|m| !filtered_here || m.artifact_type.as_deref() == artifact_type)
        .map(|m| m.digest.as_str())
        .collect();
    let served: BTreeSet<String> = kept.iter().map(|d| d.to_string()).collect();
    // Each once: a digest listed twice is a broken index too.
    if &served != wanted || kept.len() != served.len() {
        return Err(format!("the index names {kept:?}, expected {wanted:?}"));
    }
    Ok(filtered_here)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Referrer;

    fn list(content_type: &str, filters: Option<&str>, entries: &[(&str, &str)]) -> ReferrersList {
        ReferrersList {
            content_type: Some(content_type.into()),
            filters_applied: filters.map(str::to_string),
            manifests: entries
                .iter()
                .map(|(digest, kind)| Referrer {
                    digest: digest.to_string(),
                    artifact_type: Some(kind.to_string()),
                })
                .collect(),
        }
    }

    #[test]
    fn a_listing_must_name_each_expected_referrer_once_after_the_filter() {
        let wanted: BTreeSet<String> = ["sha256:s".to_string()].into();
        let sig = ("sha256:s", "application/sig");
        let sbom = ("sha256:b", "application/sbom");
        let index = "application/vnd.oci.image.index.v1+json; charset=utf-8";
        assert_eq!(judge(&list(index, None, &[sig]), None, &wanted), Ok(false));
        // Not filtered by the registry: the step filters, as clients must.
        let both = list(index, None, &[sig, sbom]);
        assert_eq!(judge(&both, Some("application/sig"), &wanted), Ok(true));
        assert!(judge(&both, None, &wanted).is_err());
        // The registry says it filtered but did not: the extra entry counts.
        let claimed = list(index, Some("artifactType"), &[sig, sbom]);
        assert!(judge(&claimed, Some("application/sig"), &wanted).is_err());
        // Listed twice, with or without the filter.
        let twice = list(index, None, &[sig, sig, sbom]);
        assert!(judge(&twice, Some("application/sig"), &wanted).is_err());
        assert!(judge(&list("application/json", None, &[sig]), None, &wanted).is_err());
    }
}
