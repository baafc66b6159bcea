//! The lanes of the matrix: a single-version scenario runs on a version,
//! an upgrade scenario on a path; and the cell each starts as, with the
//! expectation for its lane. It runs nothing.

use crate::install::Column;
use crate::report::{Cell, IdentitySummary, Outcome, TrafficSummary, UpgradePath};
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
        expected_because: expectation.because.clone(),
        expected_reference: expectation.reference.clone(),
        duration_ms: 0,
        steps: Vec::new(),
        registry_log: Vec::new(),
        storage_traffic: TrafficSummary::default(),
        identity: IdentitySummary::default(),
        observations: Vec::new(),
        faults: Vec::new(),
        seed: None,
    }
}
