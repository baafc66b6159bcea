//! `garbage-collect`: offline garbage collection as operators run it: the
//! serving registry stops, `registry garbage-collect <config>` runs with
//! the same config and environment (`--delete-untagged`, `--dry-run` as
//! asked), the registry starts again. Then every blob a tagged image still
//! references must be served (else `data-loss`: collection removed live
//! content), and so must a manifest pushed by digest and its blobs unless
//! `--delete-untagged` was asked (then it is forgotten); pushed blobs no
//! live image references may be gone, and are forgotten when they are. It
//! must not delete anything itself.

use std::collections::HashSet;

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;

/// Run `registry garbage-collect` on the serving process's config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GarbageCollect {
    #[serde(default)]
    pub delete_untagged: bool,
    #[serde(default)]
    pub dry_run: bool,
}

impl StepAction for GarbageCollect {
    fn kind(&self) -> StepKind {
        StepKind::GarbageCollect
    }

    fn describe(&self) -> String {
        self.args().join(" ")
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let args = self.args();
        let run = cx
            .target
            .processes
            .run_registry_tool(cx.via, &args)
            .await
            .map_err(|e| StepError::Harness(format!("garbage-collect: {e}")))?;
        let marked = run.output.iter().filter(|l| l.contains("marking")).count();
        let eligible = run
            .output
            .iter()
            .filter(|l| l.contains("eligible for deletion"))
            .count();
        let said = format!(
            "garbage-collect {} ({}): {marked} marking lines, {eligible} blobs eligible for deletion",
            args[1..].join(" "),
            run.status
        );
        if !run.success {
            let last = crate::process::last_meaningful_line(run.output.iter().map(String::as_str))
                .unwrap_or_default();
            return Err(StepError::Unmet(format!("{said}; last line: {last}")));
        }
        // What the live images reference must have survived: the tagged
        // ones, and those pushed by digest unless untagged ones were asked
        // to go (which the registry may then have taken).
        let (client, repo) = (cx.client(), cx.repository());
        if self.delete_untagged {
            cx.pushed.untagged.clear();
        }
        let mut referenced: HashSet<String> = HashSet::new();
        for (tag, digest) in cx.pushed.manifests.iter().chain(&cx.pushed.untagged) {
            let bytes = match client
                .get_manifest_verified(repo, digest.as_str(), digest.as_str())
                .await
            {
                Ok(bytes) => bytes,
                Err(e @ (ClientError::Registry(_) | ClientError::DigestMismatch { .. })) => {
                    return Err(StepError::DataLoss(format!(
                        "{said}; then manifest {tag} ({digest}) is gone: {e}"
                    )))
                }
                Err(other) => return Err(other.into()),
            };
            referenced.extend(crate::client::manifest_references(&bytes));
        }
        let mut collected = Vec::new();
        let names: Vec<(String, String)> = cx
            .pushed
            .blobs
            .iter()
            .map(|(name, b)| (name.clone(), b.digest.to_string()))
            .collect();
        for (name, digest) in names {
            let present = client.head_blob(repo, &digest).await?.is_some();
            match (present, referenced.contains(&digest)) {
                (false, true) => {
                    return Err(StepError::DataLoss(format!(
                        "{said}; then blob {name} ({digest}), referenced by a tagged image, is gone"
                    )))
                }
                (false, false) => {
                    cx.pushed.blobs.remove(&name);
                    collected.push(name);
                }
                _ => {}
            }
        }
        let collected = if collected.is_empty() {
            "no pushed blob collected".to_string()
        } else {
            collected.sort();
            format!("collected {}", collected.join(", "))
        };
        Ok(format!(
            "{said}; {} referenced blobs still served; {collected}",
            referenced.len()
        ))
    }
}

impl GarbageCollect {
    /// The registry's command line, before the config file.
    fn args(&self) -> Vec<String> {
        [
            Some("garbage-collect"),
            self.delete_untagged.then_some("--delete-untagged"),
            self.dry_run.then_some("--dry-run"),
        ]
        .into_iter()
        .flatten()
        .map(String::from)
        .collect()
    }
}
