//! The CI-facing report commands on real runs: a matrix split into shards
//! and merged back, a baseline comparison, and a repeated cell; and, on
//! shards written here, merge and diff with upgrade-path cells.

mod common;

use regmatrix::report::{MatrixReport, Outcome};

fn run(args: &[&str]) -> std::process::Output {
    common::regmatrix()
        .current_dir(common::repo_root())
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

fn read(path: &std::path::Path) -> MatrixReport {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn shards_cover_the_matrix_once_and_merge_back() {
    let dir = tempfile::tempdir().unwrap();
    // Two versions make two upgrade paths (up and back) for the upgrade scenario.
    let scenarios = "storage/shared-key,storage/client-secret,upgrade/in-place";
    let mut files = Vec::new();
    for shard in ["1/2", "2/2"] {
        let out = dir.path().join(shard.replace('/', "-of-"));
        let done = run(&[
            "matrix",
            "--versions",
            "v3.1.1,v2.8.3",
            "--scenarios",
            scenarios,
            "--shard",
            shard,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(done.status.code(), Some(0), "{done:?}");
        let report = read(&out.join("matrix.json"));
        assert_eq!(report.cells.len(), 3, "6 cells over 2 shards");
        assert_eq!(report.shard.map(|s| s.index), shard[..1].parse().ok());
        files.push(out.join("matrix.json"));
    }
    let merged_dir = dir.path().join("merged");
    let merged = run(&[
        "report",
        "merge",
        files[0].to_str().unwrap(),
        files[1].to_str().unwrap(),
        "--out",
        merged_dir.to_str().unwrap(),
    ]);
    assert_eq!(merged.status.code(), Some(0), "{merged:?}");
    let report = read(&merged_dir.join("matrix.json"));
    assert_eq!(report.cells.len(), 6);
    assert!(report.shard.is_none());
    let paths: Vec<String> = report.paths.iter().map(ToString::to_string).collect();
    assert_eq!(paths, ["v2.8.3 -> v3.1.1", "v3.1.1 -> v2.8.3"]);
    let up = report.cell("upgrade/in-place", "v2.8.3 -> v3.1.1").unwrap();
    assert_eq!(up.outcome, Outcome::Fail, "{}", up.evidence);
    assert!(up.as_expected(), "{}", up.evidence);
    let unsupported = report.cell("storage/client-secret", "v2.8.3").unwrap();
    assert_eq!(unsupported.outcome, Outcome::Unsupported);

    // The same shard twice overlaps: refused with one line.
    let overlap = run(&[
        "report",
        "merge",
        files[0].to_str().unwrap(),
        files[0].to_str().unwrap(),
    ]);
    assert_eq!(overlap.status.code(), Some(2));
    let stderr = String::from_utf8(overlap.stderr).unwrap();
    assert!(stderr.contains("shards overlap"), "{stderr}");

    // A baseline where client-secret passed on 2.8.3 makes today's
    // `unsupported` a regression: exit 1, and the diff names it.
    let mut baseline = report.clone();
    for cell in &mut baseline.cells {
        if cell.scenario == "storage/client-secret" && cell.column() == "v2.8.3" {
            cell.outcome = Outcome::Pass;
        }
    }
    let baseline_path = dir.path().join("baseline.json");
    std::fs::write(&baseline_path, serde_json::to_string(&baseline).unwrap()).unwrap();
    let diff = run(&[
        "report",
        "diff",
        baseline_path.to_str().unwrap(),
        merged_dir.join("matrix.json").to_str().unwrap(),
    ]);
    assert_eq!(diff.status.code(), Some(1), "{diff:?}");
    let text = String::from_utf8(diff.stdout).unwrap();
    assert!(
        text.contains("1 regression(s), 0 fixed, 0 new, 0 removed, 5 unchanged"),
        "{text}"
    );
    assert!(
        text.contains(
            "| **regression** | `storage/client-secret` | `v2.8.3` | pass | unsupported |"
        ),
        "{text}"
    );
    let same = run(&[
        "report",
        "diff",
        merged_dir.join("matrix.json").to_str().unwrap(),
        merged_dir.join("matrix.json").to_str().unwrap(),
    ]);
    assert_eq!(same.status.code(), Some(0), "{same:?}");
}

#[test]
fn repeat_keeps_every_observation() {
    let dir = tempfile::tempdir().unwrap();
    let done = run(&[
        "matrix",
        "--versions",
        "v3.1.1",
        "--scenarios",
        "storage/shared-key",
        "--repeat",
        "2",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(done.status.code(), Some(0), "{done:?}");
    let cell = read(&dir.path().join("matrix.json")).cells.remove(0);
    assert_eq!(cell.observations.len(), 2);
    assert!(cell.observations.iter().all(|o| o.outcome == Outcome::Pass));
    assert_eq!(cell.outcome, Outcome::Pass);
}

#[test]
fn bad_shards_and_baselines_are_one_line_and_exit_2() {
    for args in [
        vec!["matrix", "--shard", "3/2"],
        vec!["matrix", "--shard", "x"],
        vec!["matrix", "--repeat", "0"],
        vec!["matrix", "--baseline", "/nonexistent/matrix.json"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("regmatrix: error: "),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_short_soak_reports_operations_faults_and_no_violation() {
    let dir = tempfile::tempdir().unwrap();
    let done = run(&[
        "soak",
        "--duration",
        "12s",
        "--faults",
        "storage-flaky",
        "--seed",
        "7",
        "--concurrency",
        "2",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(done.status.code(), Some(0), "{done:?}");
    let stdout = String::from_utf8(done.stdout).unwrap();
    assert!(stdout.contains("seed 7"), "{stdout}");
    assert!(stdout.contains("invariant violations: 0"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("soak.json")).unwrap())
            .unwrap();
    assert!(
        report["operations"]["pushes_acknowledged"]
            .as_u64()
            .unwrap()
            > 0,
        "{report}"
    );
    assert!(
        report["faults_by_kind"]["latency"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert_eq!(report["rules"].as_array().unwrap().len(), 3);

    let bad = run(&["soak", "--duration", "5s", "--faults", "no-such-profile"]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("unknown fault profile"), "{stderr}");
}

/// `report merge` and `report diff` on shards that hold upgrade cells,
/// written here from the committed report (no matrix runs).
#[test]
fn merge_and_diff_key_upgrade_cells_by_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut full =
        common::with_upgrade_cells(read(&common::repo_root().join("reports/matrix.json")));
    // Shards this regmatrix wrote, whatever schema the committed report has.
    full.schema_version = regmatrix::report::SCHEMA_VERSION;
    let mut files = Vec::new();
    for index in [1usize, 2] {
        let mut shard = full.clone();
        shard.cells = full
            .cells
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == index - 1)
            .map(|(_, c)| c.clone())
            .collect();
        shard.shard = Some(regmatrix::report::ShardInfo { index, count: 2 });
        let path = dir.path().join(format!("shard-{index}.json"));
        std::fs::write(&path, serde_json::to_string(&shard).unwrap()).unwrap();
        files.push(path);
    }
    let out = dir.path().join("merged");
    // Shards given in the other order still give the run's column order.
    let merged = run(&[
        "report",
        "merge",
        files[1].to_str().unwrap(),
        files[0].to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(merged.status.code(), Some(full.exit_code()), "{merged:?}");
    let report = read(&out.join("matrix.json"));
    assert_eq!(report.paths, full.paths);
    assert_eq!(report.cells.len(), full.cells.len());
    // The last rollback (same-version pairs, replicas, may follow it).
    let rollback = full
        .paths
        .iter()
        .rev()
        .find(|p| full.is_rollback(p))
        .unwrap()
        .to_string();
    assert_eq!(
        report
            .cell("upgrade/in-place", &rollback)
            .map(|c| c.outcome),
        Some(Outcome::Fail)
    );
    let stdout = String::from_utf8(merged.stdout).unwrap();
    assert!(
        stdout.contains("upgrade paths (from -> to):\n"),
        "the terminal table has the path grid: {stdout}"
    );
    let markdown = std::fs::read_to_string(out.join("matrix.md")).unwrap();
    assert!(markdown.contains("## Upgrade paths"), "{markdown}");
    assert!(
        markdown.contains(&format!("{rollback} (rollback)")),
        "{markdown}"
    );

    // The same path cell in two shards overlaps.
    let overlap = run(&[
        "report",
        "merge",
        files[0].to_str().unwrap(),
        files[0].to_str().unwrap(),
    ]);
    assert_eq!(overlap.status.code(), Some(2));
    assert!(String::from_utf8(overlap.stderr)
        .unwrap()
        .contains("shards overlap"));

    // A baseline where the rollback passed makes today's fail a regression.
    let mut baseline = report.clone();
    for cell in &mut baseline.cells {
        if cell.scenario == "upgrade/in-place" && cell.column() == rollback {
            cell.outcome = Outcome::Pass;
        }
    }
    let baseline_path = dir.path().join("baseline.json");
    std::fs::write(&baseline_path, serde_json::to_string(&baseline).unwrap()).unwrap();
    let diff = run(&[
        "report",
        "diff",
        baseline_path.to_str().unwrap(),
        out.join("matrix.json").to_str().unwrap(),
    ]);
    assert_eq!(diff.status.code(), Some(1), "{diff:?}");
    let text = String::from_utf8(diff.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "| **regression** | `upgrade/in-place` | `{rollback}` | pass | fail |"
        )),
        "{text}"
    );
    assert!(
        text.contains("1 regression(s), 0 fixed, 0 new, 0 removed"),
        "{text}"
    );
}
