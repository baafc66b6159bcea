//! Shared setup for the integration tests: the real cache (so registry
//! builds are shared between tests and runs), the repository's scenarios,
//! and a fake registry for the failure paths.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn scenario_dir() -> PathBuf {
    repo_root().join("scenarios")
}

pub fn regmatrix() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_regmatrix"))
}

/// A stand-in registry that answers `--version` like v3.1.1 and otherwise
/// never listens. It writes its pid and arguments to `marker` so a test can
/// check the process is gone afterwards.
pub fn fake_registry(dir: &Path, marker: &Path) -> PathBuf {
    let script = dir.join("fake-registry");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo \"$0 github.com/distribution/distribution/v3 v3.1.1\"; exit 0; fi\necho \"$$ $*\" > {}\nexec sleep 600\n",
            marker.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

pub fn process_alive(pid: i32) -> bool {
    // A zombie still has a /proc entry; only a live process has a non-Z state.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.split(") ").nth(1).unwrap_or("").starts_with('Z'))
        .unwrap_or(false)
}

/// Pids of processes whose command line mentions `needle`.
pub fn processes_mentioning(needle: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(needle) && process_alive(pid) {
            out.push(pid);
        }
    }
    out
}

/// Runs the committed scenario `id` on the real registry `tag` (built into
/// the cache if needed) and returns its cell.
pub async fn run_committed_scenario(id: &str, tag: &str) -> regmatrix::report::Cell {
    use regmatrix::progress::Progress;
    use regmatrix::runner::{self, RunOptions};
    let version = tag.parse().unwrap();
    let installer =
        regmatrix::install::Installer::new(regmatrix::cache::Cache::from_env().unwrap());
    let (azurite, columns) =
        regmatrix::install::prepare(&installer, &[version], None, &Progress::hidden())
            .await
            .unwrap();
    let scenario =
        regmatrix::scenario::load_file(&scenario_dir().join(format!("{id}.toml"))).unwrap();
    runner::run_cell(
        &scenario,
        &runner::Lane::Version(columns[0].clone()),
        &azurite,
        &RunOptions::default(),
    )
    .await
}

/// Runs the committed upgrade scenario `id` on the path `from` -> `to`
/// (both real registries, built into the cache if needed).
pub async fn run_committed_upgrade(id: &str, from: &str, to: &str) -> regmatrix::report::Cell {
    use regmatrix::progress::Progress;
    use regmatrix::runner::{self, RunOptions};
    let versions = [from.parse().unwrap(), to.parse().unwrap()];
    let installer =
        regmatrix::install::Installer::new(regmatrix::cache::Cache::from_env().unwrap());
    let (azurite, columns) =
        regmatrix::install::prepare(&installer, &versions, None, &Progress::hidden())
            .await
            .unwrap();
    let scenario =
        regmatrix::scenario::load_file(&scenario_dir().join(format!("{id}.toml"))).unwrap();
    let lane = runner::Lane::Path {
        from: columns[0].clone(),
        to: columns[1].clone(),
    };
    runner::run_cell(&scenario, &lane, &azurite, &RunOptions::default()).await
}

/// The first step of `kind` a cell recorded.
pub fn step<'a>(
    cell: &'a regmatrix::report::Cell,
    kind: &str,
) -> &'a regmatrix::report::StepObservation {
    cell.steps
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("{} on {} has no {kind} step", cell.scenario, cell.column()))
}

/// Bad input: exit code 2 and exactly one `regmatrix: error:` line, returned.
pub fn one_line_error(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("regmatrix: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "exactly one error line, got: {stderr}");
    errors[0].to_string()
}

/// `report` (the committed matrix) with an upgrade scenario on two paths,
/// oldest to newest version and back (a rollback, the last path listed):
/// `pass`, then an unexpected `fail` whose steps say their phase and serving
/// version. Made from the report's first cell; a report that has upgrade
/// paths of its own (a run with the upgrade scenarios) is returned as it is.
pub fn with_upgrade_cells(
    mut report: regmatrix::report::MatrixReport,
) -> regmatrix::report::MatrixReport {
    use regmatrix::report::{Outcome, ScenarioInfo, UpgradePath};
    // A report from a run with upgrade scenarios has its own.
    if !report.paths.is_empty() {
        return report;
    }
    let tags: Vec<String> = report.versions.iter().map(|v| v.tag.clone()).collect();
    let (old, new) = (tags[0].clone(), tags[tags.len() - 1].clone());
    let paths = [
        UpgradePath {
            from: old.clone(),
            to: new.clone(),
        },
        UpgradePath { from: new, to: old },
    ];
    for (i, path) in paths.iter().enumerate() {
        let mut cell = report.cells[0].clone();
        cell.scenario = "upgrade/in-place".into();
        cell.version = None;
        cell.path = Some(path.clone());
        cell.refusal = false;
        cell.outcome = if i == 0 { Outcome::Pass } else { Outcome::Fail };
        cell.expected = Outcome::Pass;
        cell.evidence = format!("upgrade/in-place on {path}: {}", cell.outcome);
        cell.expected_because = Some(format!("{} reads what {} wrote", path.to, path.from));
        cell.expected_reference =
            Some("https://github.com/distribution/distribution/issues/4871".into());
        for (n, step) in cell.steps.iter_mut().enumerate() {
            let (phase, by) = if n == 0 {
                ("1 from", &path.from)
            } else {
                ("2 to", &path.to)
            };
            step.phase = Some(phase.into());
            step.served_by = Some(by.clone());
        }
        report.cells.push(cell);
    }
    for path in paths {
        if !report.paths.contains(&path) {
            report.paths.push(path);
        }
    }
    report.scenarios.push(ScenarioInfo {
        id: "upgrade/in-place".into(),
        title: "in place".into(),
        file: "scenarios/upgrade/in-place.toml".into(),
    });
    report
}

/// Sends SIGINT to a running regmatrix and waits for it: it must exit
/// with 130 (128 + SIGINT), as the signal handler promises.
pub fn interrupt(child: &mut std::process::Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "128 + SIGINT");
}

/// `regmatrix matrix` of the committed `scenarios` on `versions`, without
/// upgrade paths, writing into `out`.
pub fn matrix_command(versions: &str, scenarios: &str, out: &Path) -> std::process::Command {
    let mut command = regmatrix();
    command
        .args(["matrix", "--versions", versions, "--scenarios", scenarios])
        .args(["--upgrades", "none", "--scenario-dir"])
        .arg(scenario_dir())
        .arg("--out")
        .arg(out);
    command
}

/// The matrix.json a run wrote into `out`.
pub fn read_report(out: &Path) -> regmatrix::report::MatrixReport {
    serde_json::from_str(&std::fs::read_to_string(out.join("matrix.json")).unwrap()).unwrap()
}

/// After an interrupt: no process mentions the cell's run directory any
/// more, and the directory itself is gone.
pub fn assert_run_dir_cleared(run_dir: &Path) {
    let survivors = processes_mentioning(&run_dir.display().to_string());
    assert!(
        survivors.is_empty(),
        "processes survived SIGINT: {survivors:?}"
    );
    assert!(
        !run_dir.exists(),
        "run dir {} left behind",
        run_dir.display()
    );
}
