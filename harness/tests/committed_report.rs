//! The committed matrix in `reports/` is the product of a real run: it
//! parses with the current model, and it covers every scenario on every
//! version it lists (an upgrade scenario on every path). Regenerate it with `cargo run --release -- matrix`.

mod common;

use regmatrix::report::{MatrixReport, SCHEMA_VERSION};

#[test]
fn committed_matrix_parses_and_names_every_scenario() {
    let path = common::repo_root().join("reports/matrix.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let report: MatrixReport = serde_json::from_str(&text).unwrap();
    assert_eq!(report.schema_version, SCHEMA_VERSION);
    assert!(!report.versions.is_empty());
    let scenarios = regmatrix::scenario::discover(&common::scenario_dir(), "*").unwrap();
    let versions: Vec<String> = report.versions.iter().map(|v| v.tag.clone()).collect();
    let paths: Vec<String> = report.paths.iter().map(ToString::to_string).collect();
    assert!(
        !scenarios.iter().any(|s| s.is_upgrade()) || !paths.is_empty(),
        "the committed matrix has no upgrade paths for the upgrade scenarios"
    );
    // Each version with itself: the lanes of same-version scenarios.
    let replicas: Vec<String> = versions.iter().map(|v| format!("{v} -> {v}")).collect();
    let upgrades: Vec<String> = paths
        .iter()
        .filter(|p| !replicas.contains(p))
        .cloned()
        .collect();
    for scenario in &scenarios {
        // Upgrade scenarios sit on upgrade paths, same-version ones on each
        // version with itself, the others on versions.
        let columns = match (scenario.is_upgrade(), scenario.on_same_version()) {
            (false, _) => &versions,
            (true, false) => &upgrades,
            (true, true) => &replicas,
        };
        for column in columns {
            let cell = report.cell(scenario.id(), column).unwrap_or_else(|| {
                panic!(
                    "{} has no cell for {} on {}: regenerate reports/",
                    path.display(),
                    scenario.id(),
                    column
                )
            });
            assert!(
                !cell.evidence.is_empty(),
                "{} on {}",
                cell.scenario,
                cell.column()
            );
        }
    }
    // The other renderings come from the same run and name every scenario too.
    for file in ["matrix.md", "matrix.html", "junit.xml"] {
        let text = std::fs::read_to_string(common::repo_root().join("reports").join(file))
            .unwrap_or_else(|e| panic!("reports/{file}: {e}: regenerate reports/"));
        assert!(
            text.contains(&report.generated_at),
            "reports/{file} is not from the run that wrote matrix.json"
        );
        for scenario in &scenarios {
            assert!(
                text.contains(scenario.id()),
                "reports/{file} lacks {}",
                scenario.id()
            );
        }
    }
}
