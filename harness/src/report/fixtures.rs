//! Small cells and reports for the renderer and comparison tests.

use regmatrix_model::{
    Cell, IdentitySummary, MatrixReport, Outcome, RunStats, ScenarioInfo, TrafficSummary,
    VersionInfo, SCHEMA_VERSION,
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
        expected_because: None,
        expected_reference: None,
        duration_ms: 1,
        steps: Vec::new(),
        registry_log: Vec::new(),
        storage_traffic: TrafficSummary::default(),
        identity: IdentitySummary::default(),
        observations: Vec::new(),
        faults: Vec::new(),
        seed: None,
    }
}

/// A report holding `cells`, its versions and scenarios taken from them.
pub(crate) fn report(cells: Vec<Cell>) -> MatrixReport {
    let mut versions: Vec<String> = cells.iter().map(|c| c.column()).collect();
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
        paths: Vec::new(),
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
