//! The matrix report: versions, scenarios and one cell per scenario and
//! version, with the run's own cost.

use serde::{Deserialize, Serialize};

use crate::outcome::Outcome;
use crate::step::StepObservation;

/// 2: a cell has `version` (single-version scenarios) or `path` (upgrade
/// scenarios), the report lists its `paths`, and a step records its phase.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatrixReport {
    pub schema_version: u32,
    pub generated_at: String,
    pub harness_version: String,
    pub versions: Vec<VersionInfo>,
    /// The upgrade paths the upgrade scenarios ran on, in column order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<UpgradePath>,
    pub scenarios: Vec<ScenarioInfo>,
    pub cells: Vec<Cell>,
    /// What the run cost the harness itself (not Azurite or the registries).
    #[serde(default)]
    pub run: RunStats,
    /// Set when this report is one shard of a matrix split across runners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// How the versions were chosen (`--versions`, else the default set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_set: Option<VersionSetInfo>,
}

/// The version set a run resolved, and against what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSetInfo {
    /// As written (`default`, `latest`, `>=v3.0.0`, `v3.1.*,!v3.1.0`).
    pub expression: String,
    /// How many releases it was resolved against (0: only tags were named).
    pub releases: usize,
    /// Set when the Go module proxy did not answer and the versions built
    /// in the cache stood in for its release list: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
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
    /// The machine's cores (what the lower bound divides by).
    #[serde(default)]
    pub cores: usize,
    /// CPU ms of every process the cells ran (registries, Azurite, redis,
    /// helpers), summed over the cells.
    #[serde(default)]
    pub process_cpu_ms: u64,
    /// The shortest this run could have been on this machine:
    /// `max(longest cell, (harness + process CPU) / cores)`.
    #[serde(default)]
    pub lower_bound_ms: u64,
    /// `wall_ms / lower_bound_ms` (1.0 is a perfect schedule); 0 when unknown.
    #[serde(default)]
    pub wall_to_lower_bound: f64,
}

impl RunStats {
    /// Fills the lower bound and the ratio from the cells' durations and CPU.
    pub fn bound_by(&mut self, cells: &[Cell]) {
        self.process_cpu_ms = cells
            .iter()
            .map(|c| c.process_cpu_ms.values().sum::<u64>())
            .sum();
        let longest = cells.iter().map(|c| c.duration_ms).max().unwrap_or(0);
        let cpu = self.harness_cpu_ms + self.process_cpu_ms;
        let by_cpu = cpu / self.cores.max(1) as u64;
        self.lower_bound_ms = longest.max(by_cpu);
        self.wall_to_lower_bound = if self.lower_bound_ms > 0 {
            (self.wall_ms as f64 / self.lower_bound_ms as f64 * 100.0).round() / 100.0
        } else {
            0.0
        };
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionInfo {
    pub tag: String,
    /// What the binary's own `--version` printed (minus argv[0]).
    pub version_line: String,
    /// The image the version ran as (`--backend container`); absent when
    /// the built binary ran as a process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
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
    /// The version a single-version scenario ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The versions an upgrade scenario moved between.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<UpgradePath>,
    /// The scenario checks that the registry refuses something (an attack,
    /// a token without the right): its `pass` means "refused".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refusal: bool,
    pub outcome: Outcome,
    pub expected: Outcome,
    /// No expectation row of any scenario in the run writes this cell's
    /// version (or a version of its path) as a tag or a range's bound: the
    /// expectation came from a range or `*`, as for a release newer than
    /// the scenarios. Its surprises are new.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expectation_from_range: bool,
    /// One line a reader can act on without opening a log.
    pub evidence: String,
    /// The scenario's stated reason for its expectation, when not `pass`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_because: Option<String>,
    /// The upstream issue, PR, advisory or code the scenario cites for its
    /// expectation (a URL where it gave one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_reference: Option<String>,
    pub duration_ms: u64,
    /// CPU ms of each process the cell ran, by name (`registry v3.1.2`,
    /// `azurite`), read as each stopped; the harness's own share is in the
    /// run's `harness_cpu_ms`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub process_cpu_ms: std::collections::BTreeMap<String, u64>,
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
    /// The seed the cell's keys, names and blobs came from; `matrix --seed`
    /// with it (and the cell's scenario and version) runs the cell again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// What a `conformance` step's run of the OCI distribution-spec
    /// conformance suite found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conformance: Option<ConformanceSummary>,
}

/// One injected fault rule: the rule as text (with its seed, so a run can be
/// replayed), and how many requests it matched and hit.
/// The OCI conformance suite's results in one cell: totals, per category
/// (the suite's second name level: `Blobs sha256`, `Image`, `Referrers`...),
/// the failing tests by name, and where its own reports are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConformanceSummary {
    /// The suite's module version.
    pub suite: String,
    pub passed: u32,
    pub failed: u32,
    pub skipped: u32,
    pub categories: Vec<ConformanceCategory>,
    /// Full names of the failing tests (failures and errors), each once
    /// (the suite repeats a name per data item: `failed` counts them all).
    pub failing: Vec<String>,
    /// The directory holding the suite's `junit.xml` and `report.html`,
    /// relative to the report's own directory; none when not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConformanceCategory {
    pub name: String,
    pub passed: u32,
    pub failed: u32,
    pub skipped: u32,
}

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

    /// The column the cell sits in: its version, or its path as
    /// `from -> to`. Diffs, merges and grids key cells by it.
    pub fn column(&self) -> String {
        match (&self.path, &self.version) {
            (Some(path), _) => path.to_string(),
            (None, Some(version)) => version.clone(),
            (None, None) => String::new(),
        }
    }

    /// The `matrix` option that selects the cell's column again:
    /// `--versions v3.1.1` or `--upgrades v3.0.0:v3.1.1`.
    pub fn column_option(&self) -> String {
        match &self.path {
            Some(path) => format!("--upgrades {}:{}", path.from, path.to),
            None => format!("--versions {}", self.version.as_deref().unwrap_or_default()),
        }
    }
}

/// An in-place upgrade (or, with `from` newer than `to`, a rollback): the
/// `from` version writes, the `to` version starts on the same storage.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UpgradePath {
    pub from: String,
    pub to: String,
}

/// How a path is written on the command line and in column headers.
pub const PATH_SEPARATOR: &str = " -> ";

impl std::fmt::Display for UpgradePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{PATH_SEPARATOR}{}", self.from, self.to)
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
    /// The cell of `scenario` in `column` (a version tag, or a path as
    /// [`Cell::column`] writes it).
    pub fn cell(&self, scenario: &str, column: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.scenario == scenario && c.column() == column)
    }

    /// Every column in order: the versions, then the upgrade paths.
    pub fn columns(&self) -> Vec<String> {
        self.versions
            .iter()
            .map(|v| v.tag.clone())
            .chain(self.paths.iter().map(ToString::to_string))
            .collect()
    }

    /// Whether `path` runs from a newer version to an older one: by the
    /// order of `versions` (oldest first) when both tags are listed there,
    /// else by the tags' numbers (`v3.0.0-alpha.1` < `v3.0.0` < `v3.1.1`).
    pub fn is_rollback(&self, path: &UpgradePath) -> bool {
        let at = |tag: &str| self.versions.iter().position(|v| v.tag == tag);
        match (at(&path.from), at(&path.to)) {
            (Some(from), Some(to)) => from > to,
            _ => compare_tags(&path.from, &path.to) == std::cmp::Ordering::Greater,
        }
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

/// Orders release tags by their numbers: `v3.0.0-alpha.1` < `v3.0.0` <
/// `v3.1.1` < `v3.10.0`. A prerelease sorts before its release, and its
/// dot-separated parts compare as numbers where both are numbers.
fn compare_tags(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(text: &str) -> Vec<Result<u64, &str>> {
        text.split('.')
            .map(|p| p.parse::<u64>().map_err(|_| p))
            .collect()
    }
    let split = |tag: &str| -> (String, Option<String>) {
        let tag = tag.trim_start_matches('v');
        match tag.split_once('-') {
            Some((release, pre)) => (release.to_string(), Some(pre.to_string())),
            None => (tag.to_string(), None),
        }
    };
    let (a_release, a_pre) = split(a);
    let (b_release, b_pre) = split(b);
    parts(&a_release)
        .cmp(&parts(&b_release))
        .then_with(|| match (&a_pre, &b_pre) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => parts(a).cmp(&parts(b)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(tags: &[&str]) -> MatrixReport {
        MatrixReport {
            schema_version: SCHEMA_VERSION,
            generated_at: String::new(),
            harness_version: String::new(),
            versions: tags
                .iter()
                .map(|t| VersionInfo {
                    tag: t.to_string(),
                    version_line: String::new(),
                    image: None,
                })
                .collect(),
            paths: Vec::new(),
            scenarios: Vec::new(),
            cells: Vec::new(),
            run: RunStats::default(),
            shard: None,
            version_set: None,
        }
    }

    #[test]
    fn the_lower_bound_is_the_longest_cell_or_the_cpu_over_the_cores() {
        let cell = |duration_ms: u64, cpu: u64| Cell {
            scenario: "s".into(),
            version: Some("v3.1.2".into()),
            path: None,
            refusal: false,
            outcome: Outcome::Pass,
            expected: Outcome::Pass,
            expectation_from_range: false,
            evidence: String::new(),
            expected_because: None,
            expected_reference: None,
            duration_ms,
            process_cpu_ms: [("registry v3.1.2".to_string(), cpu)].into(),
            steps: Vec::new(),
            registry_log: Vec::new(),
            storage_traffic: TrafficSummary::default(),
            identity: IdentitySummary::default(),
            observations: Vec::new(),
            faults: Vec::new(),
            seed: None,
            conformance: None,
        };
        let mut stats = RunStats {
            wall_ms: 30_000,
            harness_cpu_ms: 4_000,
            cores: 2,
            ..RunStats::default()
        };
        stats.bound_by(&[cell(10_000, 8_000), cell(5_000, 12_000)]);
        assert_eq!(stats.process_cpu_ms, 20_000);
        assert_eq!(stats.lower_bound_ms, 12_000);
        assert_eq!(stats.wall_to_lower_bound, 2.5);
        stats.bound_by(&[cell(25_000, 0)]);
        assert_eq!(stats.lower_bound_ms, 25_000);
        assert_eq!(stats.wall_to_lower_bound, 1.2);
    }

    fn path(from: &str, to: &str) -> UpgradePath {
        UpgradePath {
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn a_rollback_goes_from_a_later_listed_version_to_an_earlier_one() {
        let r = report(&["v2.8.3", "v3.0.0-alpha.1", "v3.0.0", "v3.1.1"]);
        assert!(!r.is_rollback(&path("v3.0.0", "v3.1.1")));
        assert!(r.is_rollback(&path("v3.1.1", "v3.0.0")));
        assert!(!r.is_rollback(&path("v3.0.0-alpha.1", "v3.0.0")));
        assert!(r.is_rollback(&path("v3.0.0", "v3.0.0-alpha.1")));
        // The listed order wins over the numbers.
        let odd = report(&["v9.0.0", "v1.0.0"]);
        assert!(!odd.is_rollback(&path("v9.0.0", "v1.0.0")));
    }

    #[test]
    fn unlisted_tags_compare_by_their_numbers() {
        let r = report(&[]);
        assert!(r.is_rollback(&path("v3.1.1", "v3.0.0")));
        assert!(!r.is_rollback(&path("v3.0.0", "v3.1.1")));
        assert!(r.is_rollback(&path("v3.10.0", "v3.9.0")));
        assert!(r.is_rollback(&path("v3.0.0", "v3.0.0-alpha.1")));
        assert!(!r.is_rollback(&path("v3.0.0-alpha.1", "v3.0.0")));
        assert!(r.is_rollback(&path("v3.0.0-alpha.10", "v3.0.0-alpha.2")));
        assert!(!r.is_rollback(&path("v3.0.0", "v3.0.0")));
    }

    #[test]
    fn a_cell_sits_in_its_version_or_its_path() {
        let mut cell: Cell = serde_json::from_value(serde_json::json!({
            "scenario": "upgrade/in-place",
            "path": {"from": "v3.0.0", "to": "v3.1.1"},
            "outcome": "pass",
            "expected": "pass",
            "evidence": "ok",
            "duration_ms": 1
        }))
        .unwrap();
        assert_eq!(cell.column(), "v3.0.0 -> v3.1.1");
        assert_eq!(cell.column_option(), "--upgrades v3.0.0:v3.1.1");
        cell.path = None;
        cell.version = Some("v3.1.1".into());
        assert_eq!(cell.column(), "v3.1.1");
        assert_eq!(cell.column_option(), "--versions v3.1.1");
    }
}
