//! `list-tags` and `catalog`: the registry's listings name what the scenario
//! pushed. They must not push or delete.

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;

/// List tags and require exactly `expect` (order ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListTags {
    pub expect: Vec<String>,
}

impl StepAction for ListTags {
    fn kind(&self) -> StepKind {
        StepKind::ListTags
    }

    fn describe(&self) -> String {
        "list tags".into()
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let mut tags = cx.client().list_tags(cx.repository()).await?;
        tags.sort();
        let mut wanted = self.expect.clone();
        wanted.sort();
        if tags != wanted {
            return Err(
                ClientError::Protocol(format!("tags list {tags:?}, expected {wanted:?}")).into(),
            );
        }
        Ok(format!("tags list is {tags:?}"))
    }
}

/// The catalog must contain the scenario repository.
// No `deny_unknown_fields`: keys on this field-less kind were always
// ignored, and rejecting them now would turn away files that load today.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {}

impl StepAction for Catalog {
    fn kind(&self) -> StepKind {
        StepKind::Catalog
    }

    fn describe(&self) -> String {
        "catalog".into()
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let repo = cx.repository();
        let repos = cx.client().catalog().await?;
        if !repos.iter().any(|r| r == repo) {
            return Err(ClientError::Protocol(format!("catalog {repos:?} lacks {repo}")).into());
        }
        Ok(format!(
            "catalog lists {} repositories including {repo}",
            repos.len()
        ))
    }
}
