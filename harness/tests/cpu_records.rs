//! A run's own records of what it cost, and the line a CI log gets per
//! finished cell: one cheap cell through the CLI, with stderr a pipe.

mod common;

#[test]
fn a_cell_records_its_processes_cpu_and_the_run_its_lower_bound() {
    let out = tempfile::tempdir().unwrap();
    let output = common::matrix_command(
        "v3.1.2",
        "storage/client-secret,storage/shared-key",
        out.path(),
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report = common::read_report(out.path());
    assert_eq!(report.cells.len(), 2);
    for cell in &report.cells {
        let cpu = &cell.process_cpu_ms;
        // Azurite (Node) costs most of a cell; both processes must show.
        assert!(cpu.get("azurite").is_some_and(|ms| *ms > 0), "{cpu:?}");
        assert!(
            cpu.get("registry v3.1.2").is_some_and(|ms| *ms > 0),
            "{cpu:?}"
        );
        // The line a log gets for it: N/M, the reading, the time.
        let line = format!(
            "/2 {} on v3.1.2: pass in {:.1}s",
            cell.scenario,
            cell.duration_ms as f64 / 1000.0
        );
        assert!(stderr.contains(&line), "no `{line}` in:\n{stderr}");
    }
    let run = &report.run;
    let longest = report.cells.iter().map(|c| c.duration_ms).max().unwrap();
    let cpu: u64 = report
        .cells
        .iter()
        .map(|c| c.process_cpu_ms.values().sum::<u64>())
        .sum();
    assert_eq!(run.process_cpu_ms, cpu);
    assert!(run.cores >= 1);
    assert_eq!(
        run.lower_bound_ms,
        longest.max((run.harness_cpu_ms + cpu) / run.cores as u64)
    );
    assert!(run.wall_ms >= run.lower_bound_ms, "{run:?}");
    assert!(run.wall_to_lower_bound >= 1.0, "{run:?}");
    let md = std::fs::read_to_string(out.path().join("matrix.md")).unwrap();
    assert!(
        md.contains(&format!(
            "Schedule: lower bound {:.1}s",
            run.lower_bound_ms as f64 / 1000.0
        )),
        "{md}"
    );
    assert!(md.contains("Version set `v3.1.2`, named by tag."), "{md}");
}
