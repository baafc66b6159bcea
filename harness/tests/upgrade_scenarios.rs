//! Upgrade scenarios on real registries sharing one Azurite container: the
//! phases run on the version they name, what the first version stored is
//! read back from storage, and the outcomes are the ones the committed
//! expectations state, with their evidence.

mod common;

use regmatrix::report::Outcome;

#[tokio::test]
async fn an_in_place_upgrade_reads_what_the_old_version_wrote() {
    let cell = common::run_committed_upgrade("upgrade/in-place", "v3.0.0", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    assert_eq!(cell.column(), "v3.0.0 -> v3.1.1");
    assert!(cell.version.is_none());
    // Each step ran on the version its phase names.
    let served: Vec<(String, String)> = cell
        .steps
        .iter()
        .filter_map(|s| Some((s.kind.clone(), s.served_by.clone()?)))
        .collect();
    assert_eq!(served[0], ("push-blob".into(), "v3.0.0".into()));
    assert!(served
        .iter()
        .any(|(kind, by)| kind == "pull-manifest" && by == "v3.1.1"));
    // v3.0.0 wrote the tag link as an append blob, as its PutContent does.
    assert!(
        cell.evidence.contains("tags/v1/current/link: AppendBlob"),
        "{}",
        cell.evidence
    );
    let phase = common::step(&cell, "phase");
    assert!(
        phase.summary.contains("phase 1 (from)"),
        "{}",
        phase.summary
    );
}

#[tokio::test]
async fn retagging_an_alpha1_image_on_v3_0_0_meets_azures_invalid_blob_type() {
    let cell =
        common::run_committed_upgrade("upgrade/retag-after-upgrade", "v3.0.0-alpha.1", "v3.0.0")
            .await;
    assert_eq!(cell.outcome, Outcome::Fail, "{}", cell.evidence);
    assert_eq!(cell.outcome, cell.expected, "{}", cell.evidence);
    assert!(
        cell.evidence.contains("tag-manifest (phase 2, v3.0.0)"),
        "{}",
        cell.evidence
    );
    assert!(
        cell.evidence.contains("InvalidBlobType"),
        "{}",
        cell.evidence
    );
    assert!(
        cell.storage_traffic
            .emulator_rewrites
            .contains_key("azurite-append-create-over-block-blob"),
        "{:?}",
        cell.storage_traffic.emulator_rewrites
    );
    assert!(cell
        .expected_reference
        .as_deref()
        .is_some_and(|r| r.ends_with("/pull/4871")));
}

#[tokio::test]
async fn a_2_8_config_carried_to_3_x_stops_at_start_up() {
    let cell = common::run_committed_upgrade("upgrade/config-carried", "v2.8.3", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Fail, "{}", cell.evidence);
    assert!(
        cell.evidence
            .contains("phase 2 (to): v3.1.1 exited at start-up"),
        "{}",
        cell.evidence
    );
    assert!(
        cell.evidence.contains("invalid credentials type"),
        "{}",
        cell.evidence
    );
}

/// A same-version scenario runs on each version with itself, two replicas
/// on one container, and not on the upgrade paths; the report lists that
/// path. v3.1.2 keeps every raced tag whole (one Put Blob per link).
#[test]
fn replicas_of_one_version_run_as_a_path_from_it_to_itself() {
    let out = tempfile::tempdir().unwrap();
    let output = common::regmatrix()
        .args([
            "matrix",
            "--scenarios",
            "faults/replicas-concurrent-tag-push",
            "--versions",
            "v3.1.2",
            "--quiet",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = std::fs::read_to_string(out.path().join("matrix.json")).unwrap();
    let report: regmatrix::report::MatrixReport = serde_json::from_str(&json).unwrap();
    let paths: Vec<String> = report
        .paths
        .iter()
        .map(|p| format!("{} -> {}", p.from, p.to))
        .collect();
    assert_eq!(paths, ["v3.1.2 -> v3.1.2"]);
    assert_eq!(report.cells.len(), 1);
    let cell = &report.cells[0];
    assert_eq!(cell.column(), "v3.1.2 -> v3.1.2");
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    // The phase started both processes; every raced push was acknowledged.
    let phase = common::step(cell, "phase");
    assert!(phase.summary.contains("both"), "{}", phase.summary);
    let race = common::step(cell, "push-concurrently");
    assert!(
        race.summary
            .contains("8 of 8 concurrent pushes acknowledged"),
        "{}",
        race.summary
    );
}
