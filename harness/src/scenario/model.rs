//! The scenario file format (TOML), as data. A scenario names what the
//! registry is configured with, the steps a client performs, and what each
//! version is expected to do, with the evidence for every expected failure.

use serde::Deserialize;
use toml::Spanned;

use regmatrix_model::Outcome;

pub use super::steps::{Step, StepKind};
pub use super::values::{ByteSize, HumanDuration, ProcessName, UploadMode};

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
