//! Small cells and reports for the renderer and comparison tests.

use regmatrix_model::{
    Cell, IdentitySummary, MatrixReport, Outcome, RunStats, ScenarioInfo, StepObservation,
    TrafficSummary, UpgradePath, VersionInfo, SCHEMA_VERSION,
};

/// A minimal cell for renderer and diff tests.
pub(crate) fn cell(scenario: &str, version: &str, outcome: Outcome) -> Cell {
    Cell {
        scenario: scenario.into(),
        version: Some(version.into()),
        path: None,
        refusal: false,
        outcome,
        expected: Outcome::Pass,
        evidence: format!("{scenario} on {version}: {outcome}"),
        expectation_from_range: false,
        expected_because: None,
        expected_reference: None,
        duration_ms: 1,
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

/// A minimal upgrade cell: `from` writes, `to` starts on the same storage.
/// Its two steps say which phase and version served them.
pub(crate) fn path_cell(scenario: &str, from: &str, to: &str, outcome: Outcome) -> Cell {
    let path = UpgradePath {
        from: from.into(),
        to: to.into(),
    };
    let step = |index: usize, phase: &str, served_by: &str, kind: &str| StepObservation {
        index,
        phase: Some(phase.into()),
        served_by: Some(served_by.into()),
        kind: kind.into(),
        summary: format!("{kind} on {served_by}"),
        ok: true,
        duration_ms: 1,
        requests: Vec::new(),
        storage_requests: 0,
        error: None,
        registry_error: None,
    };
    Cell {
        evidence: format!("{scenario} on {path}: {outcome}"),
        steps: vec![step(0, "1 from", from, "push"), step(1, "2 to", to, "pull")],
        version: None,
        path: Some(path),
        ..cell(scenario, to, outcome)
    }
}

/// A report holding `cells`, its versions, paths and scenarios taken from
/// them in the order they first appear (scenarios sorted).
pub(crate) fn report(cells: Vec<Cell>) -> MatrixReport {
    let mut versions: Vec<String> = Vec::new();
    let mut paths: Vec<UpgradePath> = Vec::new();
    for c in &cells {
        match (&c.path, &c.version) {
            (Some(path), _) if !paths.contains(path) => paths.push(path.clone()),
            (None, Some(tag)) if !versions.contains(tag) => versions.push(tag.clone()),
            _ => {}
        }
    }
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
                image: None,
            })
            .collect(),
        paths,
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
        version_set: None,
    }
}
