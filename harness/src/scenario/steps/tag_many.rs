//! `tag-many`: PUTs one manifest an earlier step pushed under `count` new
//! tags, `prefix-000`, `prefix-001`, ..., so a scenario can build a long
//! tags list (pagination, listing cost) without a table per tag. It must
//! not push blobs or other manifests.

use std::time::Instant;

use serde::Deserialize;

use super::tag_manifest::{pushed_manifest, put_as};
use super::{LoadContext, StepAction, StepContext, StepError, StepKind};

/// The most tags one step makes.
const MAX_COUNT: u32 = 10_000;
/// Tags are at most 128 characters (distribution's tag grammar).
const MAX_TAG: usize = 128;

/// PUT the manifest pushed as `manifest` under `prefix-000` .. `prefix-<count-1>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagMany {
    /// The tag an earlier step pushed the manifest as.
    pub manifest: String,
    pub prefix: String,
    pub count: u32,
}

impl TagMany {
    /// The tags, in order: numbers zero-padded to at least three digits,
    /// as `list-tags` writes the range `prefix-{000..249}`.
    pub fn tags(&self) -> Vec<String> {
        numbered(&self.prefix, self.count)
    }
}

/// `prefix-000` .. `prefix-<count-1>`, padded to three digits or the width
/// of the largest number.
pub fn numbered(prefix: &str, count: u32) -> Vec<String> {
    let width = count.saturating_sub(1).to_string().len().max(3);
    (0..count)
        .map(|i| format!("{prefix}-{i:0width$}"))
        .collect()
}

/// A step that makes `count` numbered names makes 1 to `MAX_COUNT`.
pub fn check_count(count: u32) -> Result<(), String> {
    if count == 0 || count > MAX_COUNT {
        return Err(format!("count must be 1 to {MAX_COUNT}"));
    }
    Ok(())
}

impl StepAction for TagMany {
    fn kind(&self) -> StepKind {
        StepKind::TagMany
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        check_count(self.count)?;
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let tag_char = |b: u8| word(b) || b == b'.' || b == b'-';
        let bytes = self.prefix.as_bytes();
        if bytes.is_empty() || !word(bytes[0]) || !bytes.iter().all(|&b| tag_char(b)) {
            return Err(format!(
                "prefix {:?}: a tag starts with a letter, digit or _ and holds only those, . and -",
                self.prefix
            ));
        }
        let longest = self.tags().pop().unwrap_or_default();
        if longest.len() > MAX_TAG {
            return Err(format!(
                "prefix {:?}: {longest:?} is longer than {MAX_TAG} characters",
                self.prefix
            ));
        }
        self.tags().iter().try_for_each(|tag| cx.define_tag(tag))
    }

    fn describe(&self) -> String {
        format!(
            "tag manifest {} as {}-* ({} tags)",
            self.manifest, self.prefix, self.count
        )
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let started = Instant::now();
        let (digest, bytes) = pushed_manifest(cx, &self.manifest).await?;
        let tags = self.tags();
        for tag in &tags {
            put_as(cx, cx.repository(), tag, &digest, bytes.clone()).await?;
            cx.pushed.manifests.insert(tag.clone(), digest.clone());
        }
        let (first, last) = (&tags[0], &tags[tags.len() - 1]);
        Ok(format!(
            "tagged {digest} as {first} .. {last} ({} PUTs in {:.1}s)",
            tags.len(),
            started.elapsed().as_secs_f64()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::values::expand_names;

    #[test]
    fn tags_are_numbered_as_a_list_tags_range_writes_them() {
        assert_eq!(numbered("t", 3), ["t-000", "t-001", "t-002"]);
        assert_eq!(numbered("t", 1001)[1000], "t-1000");
        assert_eq!(numbered("t", 1001)[7], "t-0007");
        assert_eq!(
            numbered("t", 250),
            expand_names(&["t-{000..249}".to_string()]).unwrap()
        );
    }

    fn many(prefix: &str, count: u32) -> Result<(), String> {
        let step = TagMany {
            manifest: "v1".into(),
            prefix: prefix.into(),
            count,
        };
        step.validate(&mut LoadContext::new(Default::default()))
    }

    #[test]
    fn prefix_and_count_are_checked_at_load() {
        assert_eq!(many("t", 250), Ok(()));
        assert_eq!(many("t", 0), Err("count must be 1 to 10000".into()));
        assert!(many("-t", 1).unwrap_err().contains("a tag starts with"));
        assert!(many("t/x", 1).unwrap_err().contains("a tag starts with"));
        assert!(many(&"t".repeat(125), 1)
            .unwrap_err()
            .contains("longer than 128"));
        assert_eq!(many(&"t".repeat(124), 1), Ok(()));
    }
}
