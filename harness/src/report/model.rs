//! The versioned report model every renderer reads. `schema_version` changes
//! whenever a field changes meaning or goes away; adding fields does not.

use serde::{Deserialize, Serialize};

use crate::scenario::engine::StepObservation;

pub const SCHEMA_VERSION: u32 = 1;

/// What a registry did in one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The registry accepted a token it must refuse (an attack, an expired
    /// or foreign token). Listed first in every report.
    Security,
    /// The scenario's operations succeeded.
    Pass,
    /// The registry refused them.
    Fail,
    /// The version cannot express the scenario.
    Unsupported,
    /// The harness could not run it.
    Error,
    /// Repeated runs (`--repeat`) disagreed; every observation is kept.
    Flaky,
    /// The registry acknowledged data (2xx) it then could not return intact.
    /// Listed first in every report, with the fault seed.
    DataLoss,
    /// After the faults stopped, the registry did not serve again within the
    /// scenario's bound.
    NoRecovery,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Security => "security",
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unsupported => "unsupported",
            Outcome::Error => "error",
            Outcome::Flaky => "flaky",
            Outcome::DataLoss => "data-loss",
            Outcome::NoRecovery => "no-recovery",
        }
    }

    /// How bad an outcome is; a rise between two runs is a regression.
    pub fn severity(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Unsupported => 1,
            Outcome::Flaky => 2,
            Outcome::Fail => 3,
            Outcome::Error => 4,
            Outcome::NoRecovery => 5,
            Outcome::Security => 6,
            Outcome::DataLoss => 7,
        }
    }

    /// Outcomes that fail a run even when expected, and lead every report.
    pub fn is_alarm(self) -> bool {
        matches!(self, Outcome::Security | Outcome::DataLoss)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatrixReport {
    pub schema_version: u32,
    pub generated_at: String,
    pub harness_version: String,
    pub versions: Vec<VersionInfo>,
    pub scenarios: Vec<ScenarioInfo>,
    pub cells: Vec<Cell>,
    /// What the run cost the harness itself (not Azurite or the registries).
    #[serde(default)]
    pub run: RunStats,
    /// Set when this report is one shard of a matrix split across runners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
}

/// `--shard index/count`: this report holds the cells whose position in
/// the full matrix (scenario-major, sorted ids and tags) is `index` mod `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

/// One run of a cell, kept when `--repeat` ran it more than once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Observation {
    pub outcome: Outcome,
    pub evidence: String,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunStats {
    pub wall_ms: u64,
    pub jobs: usize,
    /// The harness process's peak resident set (VmHWM), in KiB.
    pub harness_peak_rss_kib: u64,
    /// User + system CPU time of the harness process, in ms.
    pub harness_cpu_ms: u64,
}

impl RunStats {
    /// Reads this process's own peak RSS and CPU time (Linux `/proc/self`).
    pub fn of_this_process(wall_ms: u64, jobs: usize) -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let harness_peak_rss_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        // Fields 14 and 15 of /proc/self/stat: utime and stime in clock ticks (100 Hz on Linux).
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let after_name = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = [11, 12]
            .iter()
            .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
            .sum();
        RunStats {
            wall_ms,
            jobs,
            harness_peak_rss_kib,
            harness_cpu_ms: ticks * 10,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionInfo {
    pub tag: String,
    /// What the binary's own `--version` printed (minus argv[0]).
    pub version_line: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub id: String,
    pub title: String,
    pub file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    pub scenario: String,
    pub version: String,
    pub outcome: Outcome,
    pub expected: Outcome,
    /// One line a reader can act on without opening a log.
    pub evidence: String,
    /// The scenario's stated reason for its expectation, when not `pass`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_because: Option<String>,
    pub duration_ms: u64,
    #[serde(default)]
    pub steps: Vec<StepObservation>,
    /// Registry log lines around the first failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registry_log: Vec<String>,
    #[serde(default)]
    pub storage_traffic: TrafficSummary,
    /// What the registry asked of the identity endpoints.
    #[serde(default, skip_serializing_if = "IdentitySummary::is_empty")]
    pub identity: IdentitySummary,
    /// Every run's outcome when the cell ran more than once (`--repeat`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observations: Vec<Observation>,
    /// Fault rules the scenario injected and what they hit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSummary>,
}

/// One injected fault rule: the rule as text (with its seed, so a run can be
/// replayed), and how many requests it matched and hit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FaultSummary {
    pub rule: String,
    pub kind: String,
    #[serde(default)]
    pub seed: Option<u64>,
    pub matched: u64,
    pub injected: u64,
}

/// Calls to Entra ID and managed identity, as the mock cloud answered them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdentitySummary {
    /// `endpoint grant status` (`entra-token client_assertion 200`) -> count.
    pub calls: std::collections::BTreeMap<String, u64>,
    /// Distinct refusals in the order first seen (`AADSTS700024`, IMDS errors).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Requests to identity hosts that no service answered: `host reason` -> count
    /// (`169.254.169.254 unreachable`, `login.microsoftonline.com identity-outage 500`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub unanswered: std::collections::BTreeMap<String, u64>,
}

impl IdentitySummary {
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.unanswered.is_empty()
    }
}

impl Cell {
    pub fn as_expected(&self) -> bool {
        self.outcome == self.expected
    }
}

/// Requests the registry made to Blob storage, by authorization scheme.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrafficSummary {
    pub requests: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub by_auth_scheme: std::collections::BTreeMap<String, u64>,
    pub by_status: std::collections::BTreeMap<String, u64>,
    /// Requests the front door rewrote to correct an emulator divergence, by rewrite.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub emulator_rewrites: std::collections::BTreeMap<String, u64>,
}

impl MatrixReport {
    pub fn cell(&self, scenario: &str, version: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.scenario == scenario && c.version == version)
    }

    /// 0: every outcome as expected; 1: an unexpected outcome or any
    /// `security` or `data-loss` outcome (even an expected one); 2: a harness error.
    pub fn exit_code(&self) -> i32 {
        if self.cells.iter().any(|c| c.outcome == Outcome::Error) {
            2
        } else if self
            .cells
            .iter()
            .any(|c| !c.as_expected() || c.outcome.is_alarm())
        {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal cell for renderer and diff tests.
    pub(crate) fn cell(scenario: &str, version: &str, outcome: Outcome) -> Cell {
        Cell {
            scenario: scenario.into(),
            version: version.into(),
            outcome,
            expected: Outcome::Pass,
            evidence: format!("{scenario} on {version}: {outcome}"),
            expected_because: None,
            duration_ms: 1,
            steps: Vec::new(),
            registry_log: Vec::new(),
            storage_traffic: TrafficSummary::default(),
            identity: IdentitySummary::default(),
            observations: Vec::new(),
            faults: Vec::new(),
        }
    }

    /// A report holding `cells`, its versions and scenarios taken from them.
    pub(crate) fn report(cells: Vec<Cell>) -> MatrixReport {
        let mut versions: Vec<String> = cells.iter().map(|c| c.version.clone()).collect();
        versions.dedup();
        let mut scenarios: Vec<String> = cells.iter().map(|c| c.scenario.clone()).collect();
        scenarios.sort();
        scenarios.dedup();
        MatrixReport {
            schema_version: SCHEMA_VERSION,
            generated_at: "now".into(),
            harness_version: "test".into(),
            versions: versions
                .into_iter()
                .map(|tag| VersionInfo {
                    version_line: format!("registry {tag}"),
                    tag,
                })
                .collect(),
            scenarios: scenarios
                .into_iter()
                .map(|id| ScenarioInfo {
                    title: id.clone(),
                    file: format!("{id}.toml"),
                    id,
                })
                .collect(),
            cells,
            run: RunStats::default(),
            shard: None,
        }
    }
}
