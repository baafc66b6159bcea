//! The OCI conformance suite as a matrix cell: the real suite against the
//! real registry on Azurite, its counts and failing tests in the cell, its
//! own reports kept next to the matrix and linked from the HTML page.

mod common;

#[test]
fn a_conformance_cell_records_the_suite_and_keeps_its_reports() {
    let out = tempfile::tempdir().unwrap();
    let output = common::matrix_command("v3.1.2", "conformance/shared-key-no-redirect", out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report = common::read_report(out.path());
    let cell = &report.cells[0];
    let suite = cell
        .conformance
        .as_ref()
        .expect("the cell records the suite");
    // Every failure on v3.1.2 is a `known` one (referrers, sha512, ...):
    // the cell passes, yet the failures are all recorded by name.
    assert_eq!(
        cell.outcome,
        regmatrix::report::Outcome::Pass,
        "{}",
        cell.evidence
    );
    assert!(suite.passed > 500, "{suite:?}");
    assert!(suite.failed > 0, "{suite:?}");
    assert!(
        suite.failing.iter().any(|t| t.ends_with("/referrers")),
        "{:?}",
        suite.failing
    );
    assert!(
        cell.steps[0].summary.contains(" known ("),
        "{}",
        cell.steps[0].summary
    );
    let total: u32 = suite
        .categories
        .iter()
        .map(|c| c.passed + c.failed + c.skipped)
        .sum();
    assert_eq!(total, suite.passed + suite.failed + suite.skipped);
    // The suite's own reports are kept next to the matrix and linked.
    let kept = suite.results.as_deref().expect("results kept");
    for file in ["junit.xml", "report.html"] {
        assert!(out.path().join(kept).join(file).is_file(), "{kept}/{file}");
    }
    let html = std::fs::read_to_string(out.path().join("matrix.html")).unwrap();
    assert!(html.contains(&format!("href=\"{kept}/report.html\"")));
}

/// The children of `parent` whose command line mentions `needle`.
fn children_mentioning(parent: u32, needle: &str) -> Vec<i32> {
    common::processes_mentioning(needle)
        .into_iter()
        .filter(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            status
                .lines()
                .find_map(|l| l.strip_prefix("PPid:"))
                .is_some_and(|ppid| ppid.trim() == parent.to_string())
        })
        .collect()
}

#[test]
fn ctrl_c_while_the_suite_runs_leaves_no_suite_registry_or_directory() {
    use std::time::{Duration, Instant};
    let out = tempfile::tempdir().unwrap();
    let mut child = common::matrix_command("v3.1.2", "conformance/client-secret", out.path())
        .arg("--quiet")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The suite is a child of the matrix process, started in the cell's run dir.
    let deadline = Instant::now() + Duration::from_secs(300);
    let suite = loop {
        if let Some(pid) = children_mentioning(child.id(), "oci-conformance").first() {
            break *pid;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the matrix ended before the suite started"
        );
        assert!(Instant::now() < deadline, "the suite never started");
        std::thread::sleep(Duration::from_millis(50));
    };
    let run_dir = std::fs::read_link(format!("/proc/{suite}/cwd")).unwrap();
    assert!(
        !common::processes_mentioning(&run_dir.display().to_string()).is_empty(),
        "Azurite runs with its data in the run dir"
    );

    common::interrupt(&mut child);
    assert!(
        !common::process_alive(suite),
        "the suite ({suite}) survived SIGINT"
    );
    common::assert_run_dir_cleared(&run_dir);
}
