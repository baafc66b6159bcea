//! The lanes of the matrix: a single-version scenario runs on a version,
//! an upgrade scenario on a path, a same-version one on each version with
//! itself; which (scenario, lane) pairs a shard owns; and the cell each
//! starts as, with the expectation for its lane. It runs nothing.

use crate::install::Column;
use crate::report::{Cell, IdentitySummary, Outcome, ShardInfo, TrafficSummary, UpgradePath};
use crate::scenario::Scenario;

/// Where a cell runs: on one version (a single-version scenario), or on an
/// upgrade path (an upgrade scenario: `from` writes, `to` starts on the
/// same storage; a rollback when `from` is the newer).
#[derive(Debug, Clone)]
pub enum Lane {
    Version(Column),
    Path { from: Column, to: Column },
}

impl Lane {
    /// As the report's column names it.
    pub fn label(&self) -> String {
        match self {
            Lane::Version(column) => column.version.tag().to_string(),
            Lane::Path { from, to } => self::path_of(from, to).to_string(),
        }
    }

    /// The column whose binary starts first.
    pub(super) fn first(&self) -> &Column {
        match self {
            Lane::Version(column) => column,
            Lane::Path { from, .. } => from,
        }
    }
}

pub(super) fn path_of(from: &Column, to: &Column) -> UpgradePath {
    UpgradePath {
        from: from.version.tag().to_string(),
        to: to.version.tag().to_string(),
    }
}

/// A cell for `scenario` in `lane`, outcome `error` until the run says otherwise.
pub(super) fn harness_error_cell(scenario: &Scenario, lane: &Lane, evidence: String) -> Cell {
    let (expectation, version, path) = match lane {
        Lane::Version(column) => (
            scenario.expectation_for(&column.version),
            Some(column.version.tag().to_string()),
            None,
        ),
        Lane::Path { from, to } => (
            scenario.expectation_for_path(&from.version, &to.version),
            None,
            Some(path_of(from, to)),
        ),
    };
    Cell {
        scenario: scenario.id().to_string(),
        version,
        path,
        refusal: scenario.expects_refusal(),
        outcome: Outcome::Error,
        expected: expectation.outcome,
        evidence,
        expectation_from_range: false,
        expected_because: expectation.because.clone(),
        expected_reference: expectation.reference.clone(),
        duration_ms: 0,
        process_cpu_ms: Default::default(),
        steps: Vec::new(),
        registry_log: Vec::new(),
        storage_traffic: TrafficSummary::default(),
        identity: IdentitySummary::default(),
        observations: Vec::new(),
        faults: Vec::new(),
        seed: None,
        conformance: None,
    }
}

/// Marks the cells whose expectation came from a range: no expectation row
/// of any scenario in the run writes their version (or a version of their
/// path) as a tag or a range's bound. A release newer than every scenario
/// has only such cells.
pub(super) fn mark_range_expectations(cells: &mut [Cell], scenarios: &[Scenario]) {
    let named: std::collections::HashSet<String> = scenarios
        .iter()
        .flat_map(Scenario::named_versions)
        .map(|v| v.tag().to_string())
        .collect();
    for cell in cells {
        let versions: Vec<&str> = match (&cell.path, &cell.version) {
            (Some(path), _) => vec![path.from.as_str(), path.to.as_str()],
            (None, Some(version)) => vec![version.as_str()],
            (None, None) => Vec::new(),
        };
        cell.expectation_from_range = versions.iter().any(|v| !named.contains(*v));
    }
}

/// The paths the report lists: the upgrade paths when an upgrade scenario
/// ran, then each version with itself when a same-version one did.
pub(super) fn report_paths(
    scenarios: &[Scenario],
    paths: &[(Column, Column)],
    columns: &[Column],
) -> Vec<UpgradePath> {
    let upgrades = scenarios
        .iter()
        .any(|s| s.is_upgrade() && !s.on_same_version());
    let replicas = scenarios.iter().any(Scenario::on_same_version);
    let mut listed = Vec::new();
    if upgrades {
        listed.extend(paths.iter().map(|(from, to)| path_of(from, to)));
    }
    if replicas {
        listed.extend(columns.iter().map(|c| path_of(c, c)));
    }
    listed
}

/// Every lane of a matrix, by kind of scenario.
pub struct MatrixLanes<'a> {
    pub versions: &'a [Lane],
    pub paths: &'a [Lane],
    pub replicas: &'a [Lane],
}

/// The (scenario, lane) pairs of the matrix in a fixed order (scenario
/// ids sorted; versions, or for an upgrade scenario paths, as given), and
/// of those the ones `shard` owns: positions `index - 1`,
/// `index - 1 + count`, ... Every runner computes the same split, so
/// shards cover the matrix exactly once.
pub fn shard_pairs<'a>(
    scenarios: &'a [Scenario],
    lanes: &MatrixLanes<'a>,
    shard: Option<ShardInfo>,
) -> Vec<(&'a Scenario, &'a Lane)> {
    let mut sorted: Vec<&Scenario> = scenarios.iter().collect();
    sorted.sort_by(|a, b| a.id().cmp(b.id()));
    sorted
        .into_iter()
        .flat_map(|s| {
            let lanes = match (s.is_upgrade(), s.on_same_version()) {
                (false, _) => lanes.versions,
                (true, false) => lanes.paths,
                (true, true) => lanes.replicas,
            };
            lanes.iter().map(move |lane| (s, lane))
        })
        .enumerate()
        .filter(|(position, _)| {
            shard.is_none_or(|s| position % s.count.max(1) == s.index.saturating_sub(1))
        })
        .map(|(_, pair)| pair)
        .collect()
}
