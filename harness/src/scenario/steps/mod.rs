//! The scenario steps: one file per step concept, each a struct read from a
//! `[[step]]` table that checks itself at load time, describes itself and
//! runs. The one list of step kinds is the `steps!` invocation below. Steps
//! must not judge expectations or build reports; the engine and the runner do.

mod check_credentials;
mod check_invariants;
mod check_storage;
mod conformance;
mod context;
mod copy_image;
mod delete_blob;
mod delete_manifest;
mod delete_tag;
mod faults;
mod garbage_collect;
mod head;
mod identity;
mod listing;
mod mount_blob;
mod pull;
mod pull_range;
mod push_across_restart;
mod push_blob;
mod push_concurrently;
mod push_denied;
mod push_manifest;
mod read_storage;
mod referrers;
mod restart;
mod storage_object;
mod tag_manifest;
mod tag_many;
mod upload_status;
mod wait;

use serde::{Deserialize, Serialize};

pub use check_credentials::CheckCredentials;
pub use check_invariants::{verify, Acknowledged, CheckInvariants};
pub use check_storage::{classify, parse_link, CheckStorage, LinkFault};
pub use conformance::{describe_summary, summarize_junit, Conformance};
pub use context::{
    is_storage_host, KeepDir, LoadContext, Pushed, PushedBlob, Served, StepContext, StepError,
    StepTools, Target,
};
pub use copy_image::CopyImage;
pub use delete_blob::DeleteBlob;
pub use delete_manifest::DeleteManifest;
pub use delete_tag::DeleteTag;
pub use faults::{ClearFaults, InjectFault};
pub use garbage_collect::GarbageCollect;
pub use head::{HeadBlob, HeadManifest};
pub use identity::{IdentityOutage, RotateFederatedToken};
pub use listing::{Catalog, ListTags};
pub use mount_blob::MountBlob;
pub use pull::{PullBlobs, PullManifest};
pub use pull_range::{ByteRange, PullRange};
pub use push_across_restart::PushAcrossRestart;
pub use push_blob::PushBlob;
pub use push_concurrently::PushConcurrently;
pub use push_denied::PushDenied;
pub use push_manifest::PushManifest;
pub use read_storage::ReadStorage;
pub use referrers::Referrers;
pub use restart::Restart;
pub use storage_object::StorageObject;
pub use tag_manifest::TagManifest;
pub use tag_many::TagMany;
pub use upload_status::UploadStatus;
pub use wait::Wait;

/// What every step does. Dispatch is a `match` over `Step`, so the futures
/// stay concrete (and `Send` where their step's is); no boxing or `dyn`.
pub(crate) trait StepAction {
    fn kind(&self) -> StepKind;

    /// The load-time checks, given what the steps before it defined. The
    /// message is the whole explanation; loading adds `file:line:column`.
    /// `&mut` because a step that defines a blob name records it here.
    fn validate(&self, _cx: &mut LoadContext) -> Result<(), String> {
        Ok(())
    }

    /// What the step does, for the report when it fails.
    fn describe(&self) -> String;

    /// Performs the step; `Ok` is its one-line summary for the report.
    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError>;
}

/// Declares `Step` (the serde entry point), `StepKind` and the dispatch
/// from one list, so adding a step is one line here plus its file. The
/// order is the order "unknown variant" errors list the kinds in.
macro_rules! steps {
    ($($kind:literal => $variant:ident,)*) => {
        /// One client operation, as written in a `[[step]]` table; `kind`
        /// picks the variant and each struct rejects keys it does not know.
        #[derive(Debug, Clone, Deserialize)]
        #[serde(tag = "kind")]
        pub enum Step {
            $(#[serde(rename = $kind)] $variant($variant),)*
        }

        /// A step's kind, as written after `kind =` and in the report.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum StepKind {
            $(#[serde(rename = $kind)] $variant,)*
        }

        impl StepKind {
            pub const ALL: &'static [StepKind] = &[$(StepKind::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(StepKind::$variant => $kind,)*
                }
            }
        }

        impl Step {
            pub fn kind(&self) -> StepKind {
                match self {
                    $(Step::$variant(step) => step.kind(),)*
                }
            }

            pub(crate) fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
                match self {
                    $(Step::$variant(step) => step.validate(cx),)*
                }
            }

            pub fn describe(&self) -> String {
                match self {
                    $(Step::$variant(step) => step.describe(),)*
                }
            }

            pub(crate) async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
                match self {
                    $(Step::$variant(step) => step.run(cx).await,)*
                }
            }
        }
    };
}

steps! {
    "push-blob" => PushBlob,
    "push-manifest" => PushManifest,
    "push-concurrently" => PushConcurrently,
    "pull-manifest" => PullManifest,
    "pull-blobs" => PullBlobs,
    "pull-range" => PullRange,
    "head-blob" => HeadBlob,
    "head-manifest" => HeadManifest,
    "upload-status" => UploadStatus,
    "referrers" => Referrers,
    "read-storage" => ReadStorage,
    "mount-blob" => MountBlob,
    "list-tags" => ListTags,
    "catalog" => Catalog,
    "delete-manifest" => DeleteManifest,
    "delete-tag" => DeleteTag,
    "delete-blob" => DeleteBlob,
    "tag-manifest" => TagManifest,
    "tag-many" => TagMany,
    "copy-image" => CopyImage,
    "storage-object" => StorageObject,
    "check-storage" => CheckStorage,
    "push-denied" => PushDenied,
    "check-invariants" => CheckInvariants,
    "garbage-collect" => GarbageCollect,
    "inject-fault" => InjectFault,
    "clear-faults" => ClearFaults,
    "restart" => Restart,
    "push-across-restart" => PushAcrossRestart,
    "wait" => Wait,
    "rotate-federated-token" => RotateFederatedToken,
    "identity-outage" => IdentityOutage,
    "check-credentials" => CheckCredentials,
    "conformance" => Conformance,
}

impl StepKind {
    /// Steps that only read the container, with no registry process: they
    /// still run after a failure, so the evidence quotes what storage held.
    pub fn inspects_storage(self) -> bool {
        matches!(self, StepKind::StorageObject | StepKind::CheckStorage)
    }
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `kind` text that names no step.
#[derive(Debug, thiserror::Error)]
#[error("unknown step kind {0:?}")]
pub struct UnknownStepKind(String);

impl std::str::FromStr for StepKind {
    type Err = UnknownStepKind;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        StepKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownStepKind(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_text_is_what_serde_reads_and_writes() {
        for kind in StepKind::ALL {
            let json = serde_json::to_string(kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.as_str().parse::<StepKind>().ok(), Some(*kind));
        }
        assert!("push_blob".parse::<StepKind>().is_err());
    }
}
