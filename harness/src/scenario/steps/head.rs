//! `head-blob` and `head-manifest`: what clients ask before they pull or
//! push (docker resolves a tag by HEAD, and skips a layer upload when HEAD
//! finds the blob). The answers must name the size and digest pushed. They
//! must not push or change anything.

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};

/// HEAD a blob an earlier step pushed: 200 with its size, and its digest
/// when the answer carries `Docker-Content-Digest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadBlob {
    pub blob: String,
}

impl StepAction for HeadBlob {
    fn kind(&self) -> StepKind {
        StepKind::HeadBlob
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        cx.known(&self.blob)
    }

    fn describe(&self) -> String {
        format!("HEAD blob {}", self.blob)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let pushed = cx.pushed.blob(&self.blob)?;
        let (digest, size) = (pushed.digest.to_string(), pushed.blob.size());
        let Some(head) = cx.client().head_blob(cx.repository(), &digest).await? else {
            return Err(StepError::Unmet(format!(
                "HEAD of blob {} ({digest}) answered 404",
                self.blob
            )));
        };
        match head.size {
            Some(served) if served == size => {}
            Some(served) => {
                return Err(StepError::Unmet(format!(
                    "HEAD of blob {} answered Content-Length {served}, the blob has {size} bytes",
                    self.blob
                )))
            }
            None => {
                return Err(StepError::Unmet(format!(
                    "HEAD of blob {} answered 200 without Content-Length",
                    self.blob
                )))
            }
        }
        let named = match head.digest {
            Some(named) if named == digest => "Docker-Content-Digest matches".to_string(),
            Some(named) => {
                return Err(StepError::Unmet(format!(
                    "HEAD of blob {} answered Docker-Content-Digest {named}, pushed as {digest}",
                    self.blob
                )))
            }
            None => "no Docker-Content-Digest".to_string(),
        };
        let via = head
            .redirected_to
            .map(|host| format!(", via redirect to {host}"))
            .unwrap_or_default();
        Ok(format!(
            "HEAD blob {}: 200, {size} bytes, {named}{via}",
            self.blob
        ))
    }
}

/// HEAD a manifest by its tag (or by digest, when it was pushed by digest):
/// 200 with `Docker-Content-Digest` the digest pushed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadManifest {
    pub tag: String,
}

impl StepAction for HeadManifest {
    fn kind(&self) -> StepKind {
        StepKind::HeadManifest
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        cx.known_manifest(&self.tag)
    }

    fn describe(&self) -> String {
        format!("HEAD manifest {}", self.tag)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let digest = cx.pushed.manifest_digest(&self.tag);
        let reference = cx.pushed.manifest_reference(&self.tag);
        let head = cx
            .client()
            .head_manifest(cx.repository(), &reference)
            .await?;
        match head.digest.as_deref() {
            Some(named) if named == digest => {}
            Some(named) => {
                return Err(StepError::Unmet(format!(
                    "HEAD of manifest {} answered Docker-Content-Digest {named}, pushed as {digest}",
                    self.tag
                )))
            }
            None => {
                return Err(StepError::Unmet(format!(
                    "HEAD of manifest {} answered 200 without Docker-Content-Digest: a client cannot resolve the tag by HEAD",
                    self.tag
                )))
            }
        }
        let length = head
            .length
            .map(|n| format!(", {n} bytes"))
            .unwrap_or_default();
        let content_type = head.content_type.as_deref().unwrap_or("no Content-Type");
        Ok(format!(
            "HEAD manifest {}: 200, {digest}, {content_type}{length}",
            self.tag
        ))
    }
}
