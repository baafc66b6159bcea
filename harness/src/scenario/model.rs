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
    /// How an upgrade scenario's `to` version gets its config.
    #[serde(default)]
    pub upgrade: Option<UpgradeSection>,
    /// A single-version scenario's steps.
    #[serde(default, rename = "step")]
    pub steps: Vec<Spanned<Step>>,
    /// An upgrade scenario's phases, in order, on one storage account.
    #[serde(default, rename = "phase")]
    pub phases: Vec<Spanned<Phase>>,
    #[serde(rename = "expect")]
    pub expectations: Vec<Spanned<Expectation>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistrySetup {
    #[serde(default)]
    pub credentials: CredentialsMode,
    /// Whether blob GETs may redirect to storage (`storage.redirect.disable` is the inverse).
    #[serde(default = "yes")]
    pub redirect: bool,
    /// Whether the registry may delete (`storage.delete.enabled`).
    #[serde(default = "yes")]
    pub delete: bool,
}

fn yes() -> bool {
    true
}

/// A file without a `[registry]` section. `redirect` stays `false` there,
/// as the derived default always made it (files without the section have
/// always run with `storage.redirect.disable: true`); `delete` is on, as
/// every rendered config had it before the key existed.
impl Default for RegistrySetup {
    fn default() -> Self {
        RegistrySetup {
            credentials: CredentialsMode::default(),
            redirect: false,
            delete: true,
        }
    }
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

pub use crate::env::{ConfigCarry, Side};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeSection {
    /// `carried` (default): rendered for `from`, used unchanged by `to`;
    /// `per-version`: each version gets its own dialect's rendering.
    #[serde(default)]
    pub config: ConfigCarry,
    /// Which pairs of versions the phases run on.
    #[serde(default)]
    pub pairs: PathPairs,
}

/// The lanes of a scenario with phases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathPairs {
    /// The matrix's upgrade paths (`--upgrades`): `from` and `to` differ.
    #[default]
    Upgrade,
    /// Each version run with itself: `from` and `to` are two processes of
    /// one version on one container, as replicas behind a load balancer.
    SameVersion,
}

/// One phase of an upgrade scenario: which version's process serves its
/// steps. Everything pushed before is known to it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub run: PhaseRun,
    #[serde(rename = "step")]
    pub steps: Vec<Spanned<PhaseStep>>,
}

/// Which process runs a phase: `from`, `to`, or `both` at once (a mixed
/// fleet, or a rolling update half done), each with its own process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseRun {
    From,
    To,
    Both,
}

impl PhaseRun {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseRun::From => "from",
            PhaseRun::To => "to",
            PhaseRun::Both => "both",
        }
    }
}

/// A step of a phase, and in a `both` phase the process it goes through
/// (`via`); the rest of the table is the step as in `[[step]]`.
#[derive(Debug, Clone)]
pub struct PhaseStep {
    pub via: Option<Side>,
    pub step: Step,
}

impl<'de> Deserialize<'de> for PhaseStep {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut table = toml::Table::deserialize(deserializer)?;
        let via = match table.remove("via") {
            Some(value) => Some(Side::deserialize(value).map_err(D::Error::custom)?),
            None => None,
        };
        let step = Step::deserialize(table).map_err(D::Error::custom)?;
        Ok(PhaseStep { via, step })
    }
}

/// What a set of versions is expected to do. The last entry that matches a
/// version wins, so a file states a default first and exceptions after it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// `*`, a tag, or comparisons such as `>=v3.0.0, <v3.1.0`; in a
    /// single-version scenario only.
    #[serde(default)]
    pub versions: Option<String>,
    /// In an upgrade scenario: the paths whose `from` and `to` versions
    /// match these (each `*` when absent).
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    pub outcome: Outcome,
    /// Required for any outcome but `pass`: the evidence the real binary gave.
    #[serde(default)]
    pub because: Option<String>,
    /// Required for `fail`: the upstream issue, PR or code that explains it.
    #[serde(default)]
    pub reference: Option<String>,
}
