//! The scenario file format (TOML), as data. A scenario names what the
//! registry is configured with, the steps a client performs, and what each
//! version is expected to do, with the evidence for every expected failure.

use serde::Deserialize;
use toml::Spanned;

use crate::report::Outcome;

pub use super::values::{
    parse_duration, parse_size, ByteSize, HumanDuration, ProcessName, UploadMode,
};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The repository the steps push to.
    pub repository: String,
    #[serde(default)]
    pub registry: RegistrySetup,
    #[serde(default)]
    pub identity: IdentitySection,
    /// Token authentication; without it the registry has no `auth` section.
    #[serde(default)]
    pub auth: Option<crate::env::AuthSetup>,
    #[serde(rename = "step")]
    pub steps: Vec<Spanned<Step>>,
    #[serde(rename = "expect")]
    pub expectations: Vec<Spanned<Expectation>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistrySetup {
    #[serde(default)]
    pub credentials: CredentialsMode,
    /// Whether blob GETs may redirect to storage (`storage.redirect.disable` is the inverse).
    #[serde(default = "yes")]
    pub redirect: bool,
}

fn yes() -> bool {
    true
}

pub use crate::env::{CredentialsMode, FederatedToken, Workload};

/// Where the registry runs, identity-wise, and how the mock cloud behaves.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IdentitySection {
    #[serde(default)]
    pub workload: Workload,
    #[serde(default)]
    pub federated_token: FederatedToken,
    /// Lifetime of the access tokens Entra ID and managed identity issue.
    #[serde(default)]
    pub token_lifetime: Option<HumanDuration>,
}

/// One client operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// Push a pseudo-random blob named `blob` (the name is local to the scenario).
    PushBlob {
        blob: String,
        size: ByteSize,
        mode: UploadMode,
        #[serde(default)]
        chunk: Option<ByteSize>,
        /// Under injected faults a refusal is an observation, not the end of
        /// the run; the blob then counts as rejected for `check-invariants`.
        #[serde(default, rename = "may-fail")]
        may_fail: bool,
    },
    /// Push an OCI image manifest referencing `layers` (a config blob is made for it).
    PushManifest { tag: String, layers: Vec<String> },
    /// Pull the manifest by tag and verify its digest.
    PullManifest { tag: String },
    /// Pull blobs, verifying each digest while streaming.
    PullBlobs { blobs: Vec<String> },
    /// Read blobs straight from Blob storage (not through the registry).
    ReadStorage { blobs: Vec<String> },
    /// Mount a blob from the scenario repository into `into`.
    MountBlob { blob: String, into: String },
    /// List tags and require exactly `expect` (order ignored).
    ListTags { expect: Vec<String> },
    /// The catalog must contain the scenario repository.
    Catalog,
    /// Delete the manifest pushed under `tag`, then check it is gone.
    DeleteManifest { tag: String },
    /// Push a blob that the registry must refuse (401/403): to `repository`
    /// when given, else the scenario's. If it is accepted instead, the cell is
    /// `security` when `security = true` (an attack or an invalid token
    /// got in), else `fail`.
    PushDenied {
        #[serde(default)]
        repository: Option<String>,
        #[serde(default)]
        security: bool,
    },
    /// After faults: every blob and manifest the registry acknowledged is
    /// pullable and matches its digest (else `data-loss`), no rejected blob
    /// appears complete (else `data-loss`), and the registry serves again
    /// within `recover-within` (else `no-recovery`).
    CheckInvariants {
        #[serde(rename = "recover-within")]
        recover_within: HumanDuration,
    },
    /// Add a fault rule at the front door, in its text syntax
    /// (`host=*.blob.core.windows.net method=PUT action=status:503 schedule=first:3`).
    InjectFault { rule: String },
    /// Remove every fault rule this scenario added.
    ClearFaults,
    /// Crash (SIGKILL) a process and start it again: Azurite on the same
    /// data directory and port, or the registry with the same config.
    Restart { process: ProcessName },
    /// A chunked push with `process` crashed and restarted after
    /// `after-chunks` chunks; the upload continues where it was. A refusal
    /// is an observation (the blob counts as rejected), not the end.
    PushAcrossRestart {
        blob: String,
        size: ByteSize,
        chunk: ByteSize,
        process: ProcessName,
        #[serde(rename = "after-chunks")]
        after_chunks: usize,
    },
    /// Let time pass (token lifetimes, refresh windows).
    Wait { duration: HumanDuration },
    /// Replace the projected service-account token file with a fresh token.
    RotateFederatedToken,
    /// Every token endpoint answers 500 for `duration`. Small pushes probe
    /// the registry during the window and after it, until one succeeds or
    /// `recover-within` passes (the step fails then).
    IdentityOutage {
        duration: HumanDuration,
        #[serde(rename = "recover-within")]
        recover_within: HumanDuration,
    },
    /// Every request to Blob storage so far carried one of `schemes`
    /// (`bearer`, `sas`, `shared_key`, `none`) and at least `min-token-grants`
    /// tokens were issued by the identity endpoints.
    CheckCredentials {
        schemes: Vec<String>,
        #[serde(rename = "min-token-grants", default)]
        min_token_grants: usize,
    },
}

impl Step {
    pub fn kind(&self) -> &'static str {
        match self {
            Step::PushBlob { .. } => "push-blob",
            Step::PushManifest { .. } => "push-manifest",
            Step::PullManifest { .. } => "pull-manifest",
            Step::PullBlobs { .. } => "pull-blobs",
            Step::ReadStorage { .. } => "read-storage",
            Step::MountBlob { .. } => "mount-blob",
            Step::ListTags { .. } => "list-tags",
            Step::Catalog => "catalog",
            Step::DeleteManifest { .. } => "delete-manifest",
            Step::PushDenied { .. } => "push-denied",
            Step::CheckInvariants { .. } => "check-invariants",
            Step::Restart { .. } => "restart",
            Step::InjectFault { .. } => "inject-fault",
            Step::ClearFaults => "clear-faults",
            Step::PushAcrossRestart { .. } => "push-across-restart",
            Step::Wait { .. } => "wait",
            Step::RotateFederatedToken => "rotate-federated-token",
            Step::IdentityOutage { .. } => "identity-outage",
            Step::CheckCredentials { .. } => "check-credentials",
        }
    }
}

/// What a set of versions is expected to do. The last entry that matches a
/// version wins, so a file states a default first and exceptions after it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// `*`, a tag, or comparisons such as `>=v3.0.0, <v3.1.0`.
    pub versions: String,
    pub outcome: Outcome,
    /// Required for any outcome but `pass`: the evidence the real binary gave.
    #[serde(default)]
    pub because: Option<String>,
    /// Required for `fail`: the upstream issue, PR or code that explains it.
    #[serde(default)]
    pub reference: Option<String>,
}
