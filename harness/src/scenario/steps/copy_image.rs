//! `copy-image`: copies an image an earlier step pushed into `count` new
//! repositories, `<repository>/<prefix>-000` .. , by cross-repository
//! mounts of its blobs and a PUT of its manifest under the same tag, as a
//! mirror or promotion job does; so a scenario can build a long catalog
//! without a table per repository. It must not upload blobs.

use std::time::Instant;

use serde::Deserialize;

use super::tag_manifest::{pushed_manifest, put_as};
use super::tag_many::{check_count, numbered};
use super::{LoadContext, StepAction, StepContext, StepError, StepKind};
use crate::client::{manifest_references, ClientError};

/// Mount the image tagged `manifest` into `<repository>/<prefix>-NNN`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyImage {
    /// The tag an earlier step pushed the image as; the copies carry it too.
    pub manifest: String,
    pub prefix: String,
    pub count: u32,
}

impl CopyImage {
    /// The repositories, in order, under the scenario's `repository`.
    pub fn repositories(&self, repository: &str) -> Vec<String> {
        numbered(&format!("{repository}/{}", self.prefix), self.count)
    }
}

impl StepAction for CopyImage {
    fn kind(&self) -> StepKind {
        StepKind::CopyImage
    }

    fn validate(&self, _cx: &mut LoadContext) -> Result<(), String> {
        check_count(self.count)?;
        // A path component: lower-case letters and digits, separated by
        // one `.`, `_`, `__` or any number of `-` (distribution's grammar).
        let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let bytes = self.prefix.as_bytes();
        let separator = |b: u8| matches!(b, b'.' | b'_' | b'-');
        if bytes.is_empty()
            || !ok(bytes[0])
            || !ok(bytes[bytes.len() - 1])
            || !bytes.iter().all(|&b| ok(b) || separator(b))
        {
            return Err(format!(
                "prefix {:?}: a repository path component is lower-case letters and digits, with ., _ or - between them",
                self.prefix
            ));
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "copy image {} into {} repositories {}-*",
            self.manifest, self.count, self.prefix
        )
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let started = Instant::now();
        let (digest, bytes) = pushed_manifest(cx, &self.manifest).await?;
        let blobs = manifest_references(&bytes);
        let from = cx.repository();
        let targets = self.repositories(from);
        for into in &targets {
            for blob in &blobs {
                if !cx.client().mount_blob(into, from, blob).await? {
                    return Err(ClientError::Protocol(format!(
                        "registry answered 202 (start an upload) instead of 201 (mounted) for {blob} into {into}"
                    ))
                    .into());
                }
            }
            put_as(cx, into, &self.manifest, &digest, bytes.clone()).await?;
        }
        Ok(format!(
            "copied {digest} into {} .. {} ({} repositories, {} mounts each, in {:.1}s)",
            targets[0],
            targets[targets.len() - 1],
            targets.len(),
            blobs.len(),
            started.elapsed().as_secs_f64()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(prefix: &str, count: u32) -> Result<(), String> {
        let step = CopyImage {
            manifest: "latest".into(),
            prefix: prefix.into(),
            count,
        };
        step.validate(&mut LoadContext::new(Default::default()))
    }

    #[test]
    fn repositories_are_numbered_under_the_scenario_repository() {
        let step = CopyImage {
            manifest: "latest".into(),
            prefix: "r".into(),
            count: 2,
        };
        assert_eq!(
            step.repositories("regmatrix/c"),
            ["regmatrix/c/r-000", "regmatrix/c/r-001"]
        );
    }

    #[test]
    fn prefix_and_count_are_checked_at_load() {
        assert_eq!(copy("r", 120), Ok(()));
        assert_eq!(copy("mirror.a_b", 1), Ok(()));
        assert!(copy("R", 1).unwrap_err().contains("lower-case"));
        assert!(copy("r/x", 1).unwrap_err().contains("lower-case"));
        assert!(copy("-r", 1).unwrap_err().contains("lower-case"));
        assert_eq!(copy("r", 0), Err("count must be 1 to 10000".into()));
    }
}
