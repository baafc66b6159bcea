//! `--backend container` on a real Docker engine (`ci/test` starts one and
//! exports DOCKER_HOST; `cargo test` alone uses the engine DOCKER_HOST or
//! /var/run/docker.sock names). No image registry is reachable here, so the
//! images are built `FROM scratch` from the cached binaries, in the
//! official images' layout, by `regmatrix install --images`.

mod common;

use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use regmatrix::report::{MatrixReport, Outcome};

const IMAGES: &str = "regmatrix-scratch/registry:{version}";
const OWNER_LABEL: &str = "org.regmatrix.owner-pid";

/// Builds the images once per test binary (tests run in threads).
fn images(versions: &str) {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if built.iter().any(|v| v == versions) {
        return;
    }
    let output = common::regmatrix()
        .args([
            "--quiet",
            "install",
            "--versions",
            versions,
            "--images",
            IMAGES,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for tag in versions.split(',') {
        let reads = if tag.starts_with("v2.") {
            "/etc/docker/registry/config.yml"
        } else {
            "/etc/distribution/config.yml"
        };
        let image = IMAGES.replace("{version}", tag.trim_start_matches('v'));
        assert!(
            stdout.contains(&format!("{tag}: image {image} (reads {reads};")),
            "{stdout}"
        );
    }
    built.push(versions.to_string());
}

fn matrix(backend: &str, versions: &str, scenarios: &str, out: &std::path::Path) -> MatrixReport {
    let mut command = common::regmatrix();
    command.args([
        "--quiet",
        "matrix",
        "--versions",
        versions,
        "--scenarios",
        scenarios,
        "--upgrades",
        "none",
        "--out",
        &out.display().to_string(),
        "--backend",
        backend,
    ]);
    if backend == "container" {
        command.args(["--image", IMAGES]);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.code() == Some(0) || output.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(out.join("matrix.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Containers this harness process (or any, with `None`) left on the engine.
fn containers_of(pid: Option<u32>) -> Vec<String> {
    let mut command = Command::new("docker");
    command.args(["ps", "-aq"]);
    match pid {
        Some(pid) => command.args(["--filter", &format!("label={OWNER_LABEL}={pid}")]),
        None => command.args(["--filter", &format!("label={OWNER_LABEL}")]),
    };
    let output = command.output().expect("the docker CLI runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn storage_and_auth_cells_match_the_process_backend_cell_by_cell() {
    images("v2.8.3,v3.1.1");
    let scenarios = "storage/shared-key,storage/delete-disabled,storage/gc-untagged,auth/jwks-kid,auth/libtrust-kid-rootcert";
    let dir = tempfile::tempdir().unwrap();
    let process = matrix("process", "v2.8.3,v3.1.1", scenarios, &dir.path().join("p"));
    let container = matrix(
        "container",
        "v2.8.3,v3.1.1",
        scenarios,
        &dir.path().join("c"),
    );
    assert_eq!(
        container
            .versions
            .iter()
            .map(|v| v.image.clone())
            .collect::<Vec<_>>(),
        vec![
            Some("regmatrix-scratch/registry:2.8.3".to_string()),
            Some("regmatrix-scratch/registry:3.1.1".to_string())
        ]
    );
    assert!(process.versions.iter().all(|v| v.image.is_none()));
    assert_eq!(process.cells.len(), 10);
    let outcome = |r: &MatrixReport| {
        r.cells
            .iter()
            .map(|c| (c.scenario.clone(), c.column(), c.outcome))
            .collect::<Vec<_>>()
    };
    assert_eq!(outcome(&container), outcome(&process));
    // Not all passes: the comparison covers a failure and an expected one.
    assert!(process.cells.iter().any(|c| c.outcome == Outcome::Fail));
    assert!(process.cells.iter().any(|c| c.outcome == Outcome::Pass));
    assert!(
        container.cells.iter().all(|c| c.outcome != Outcome::Error),
        "{:?}",
        container
            .cells
            .iter()
            .map(|c| &c.evidence)
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_config_mounted_where_the_3x_image_does_not_read_it_is_named_with_its_fix() {
    images("v2.8.3,v3.1.1");
    let config = common::repo_root().join("scenarios/examples/usgov-shared-key.yml");
    let output = common::regmatrix()
        .args([
            "--quiet",
            "upgrade-check",
            "--backend",
            "container",
            "--image",
            IMAGES,
            "--mount-config",
            "/etc/docker/registry/config.yml",
            "--config",
            &config.display().to_string(),
            "--from",
            "v2.8.3",
            "--to",
            "v3.1.1",
            "--no-rollback",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("| `upgrade-check/your-config` | pass | fail | regression |"),
        "{stdout}"
    );
    for needle in [
        "registry v3.1.1 (image regmatrix-scratch/registry:3.1.1) ignored the config mounted at /etc/docker/registry/config.yml and ran the image's own",
        "without the X-Regmatrix-Config header the mounted config sets",
        "No HTTP secret provided",
        "the image reads /etc/distribution/config.yml (its command)",
        "mount the config where the new image reads it",
    ] {
        assert!(stdout.contains(needle), "{needle:?} missing from:\n{stdout}");
    }
}

#[test]
fn without_an_engine_the_container_backend_is_one_line_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let output: Output = common::regmatrix()
        .env(
            "DOCKER_HOST",
            format!("unix://{}/no-docker.sock", tmp.path().display()),
        )
        .env("TMPDIR", tmp.path())
        .args([
            "matrix",
            "--backend",
            "container",
            "--versions",
            "v3.1.1",
            "--scenarios",
            "storage/shared-key",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let line = common::one_line_error(&output);
    assert!(
        line.contains("--backend container needs a Docker engine"),
        "{line}"
    );
    assert!(line.contains("no-docker.sock"), "{line}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "left behind in TMPDIR"
    );

    let output = common::regmatrix()
        .args(["matrix", "--image", IMAGES, "--versions", "v3.1.1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(common::one_line_error(&output).contains("need --backend container"));
}

#[test]
fn sigint_removes_the_running_registry_container() {
    images("v3.1.1");
    let dir = tempfile::tempdir().unwrap();
    // A cell that waits on token lifetimes: its container runs for a while.
    let mut child = common::regmatrix()
        .args([
            "--quiet",
            "matrix",
            "--backend",
            "container",
            "--image",
            IMAGES,
            "--versions",
            "v3.1.1",
            "--scenarios",
            "storage/token-refresh",
            "--out",
            &dir.path().display().to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while containers_of(Some(child.id())).is_empty() {
        assert!(Instant::now() < deadline, "no registry container started");
        std::thread::sleep(Duration::from_millis(200));
    }
    common::interrupt(&mut child);
    assert_eq!(containers_of(Some(child.id())), Vec::<String>::new());
}
