//! Bad input gets one clear line and exit code 2, and leaves nothing behind.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::one_line_error;

#[test]
fn malformed_scenario_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("storage")).unwrap();
    let file = dir.path().join("storage/broken.toml");
    std::fs::write(
        &file,
        "id = \"storage/broken\"\ntitle = \"t\"\nrepository = \"r\"\n\n[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = \"5 parsecs\"\nmode = \"monolithic\"\n",
    )
    .unwrap();
    let output = common::regmatrix()
        .args(["validate", "--scenario-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let line = one_line_error(&output);
    // Errors inside a step point at the step's `[[step]]` header and name the field's value.
    assert!(line.contains(&format!("{}:5:1:", file.display())), "{line}");
    assert!(line.contains("invalid size"), "{line}");
}

#[test]
fn unknown_version_is_one_line() {
    for (tag, needle) in [
        (
            "v9.1.0",
            "distribution has releases only in the 2.8 and 3.x series",
        ),
        ("v3.99.0", "unknown registry version \"v3.99.0\""),
    ] {
        let output = common::regmatrix()
            .args(["--quiet", "install", "--versions", tag])
            .output()
            .unwrap();
        let line = one_line_error(&output);
        assert!(line.contains(needle), "{tag}: {line}");
    }
}

#[test]
fn port_in_use_is_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = common::regmatrix()
        .args([
            "--quiet",
            "matrix",
            "--versions",
            "v3.1.1",
            "--registry-port",
            &port.to_string(),
            "--out",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let line = one_line_error(&output);
    assert!(
        line.contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{line}"
    );
}

#[test]
fn registry_that_never_turns_healthy_is_one_line_and_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("fake.pid");
    let fake = common::fake_registry(dir.path(), &marker);
    let output = matrix_with(&fake, dir.path(), 3).output().unwrap();
    let line = one_line_error(&output);
    assert!(line.contains("never turned healthy within 3s"), "{line}");
    let recorded = std::fs::read_to_string(&marker).unwrap();
    let pid: i32 = recorded.split_whitespace().next().unwrap().parse().unwrap();
    assert!(
        !common::process_alive(pid),
        "the fake registry {pid} survived"
    );
    let config = recorded.split_whitespace().last().unwrap();
    let run_dir = std::path::Path::new(config).parent().unwrap();
    assert!(
        !run_dir.exists(),
        "run dir {} left behind",
        run_dir.display()
    );
}

#[test]
fn interrupted_run_leaves_no_process_or_directory() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("fake.pid");
    let fake = common::fake_registry(dir.path(), &marker);
    let mut child = matrix_with(&fake, dir.path(), 120)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the environment is up: Azurite running, the registry started.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !marker.exists() {
        assert!(Instant::now() < deadline, "the registry never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    let recorded = std::fs::read_to_string(&marker).unwrap();
    let registry_pid: i32 = recorded.split_whitespace().next().unwrap().parse().unwrap();
    let config = recorded.split_whitespace().last().unwrap().to_string();
    let run_dir = std::path::Path::new(&config)
        .parent()
        .unwrap()
        .to_path_buf();
    let azurite = common::processes_mentioning(&run_dir.display().to_string());
    assert!(
        !azurite.is_empty(),
        "Azurite runs with its data in the run dir"
    );

    common::interrupt(&mut child);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !common::process_alive(registry_pid),
        "registry {registry_pid} survived SIGINT"
    );
    common::assert_run_dir_cleared(&run_dir);
}

#[test]
fn missing_toolchain_is_one_line() {
    // A fresh cache and a PATH with neither Node.js nor Go.
    let cache = tempfile::tempdir().unwrap();
    let output = common::regmatrix()
        .args(["--quiet", "install", "--versions", "v3.1.1"])
        .env("REGMATRIX_CACHE", cache.path())
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let line = one_line_error(&output);
    assert!(line.contains("`node` was not found on PATH"), "{line}");

    // Node present (Azurite already in the shared cache), Go absent; a tag
    // no run ever builds, so the shared cache cannot have it (`install
    // --versions all` builds every real one).
    let output = common::regmatrix()
        .args(["--quiet", "install", "--versions", "v3.0.0-rc.99"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    if which("go", "/usr/bin:/bin") || !which("node", "/usr/bin:/bin") {
        eprintln!("skipping the Go half: this machine has go in /usr/bin or node elsewhere");
        return;
    }
    let line = one_line_error(&output);
    assert!(line.contains("`go` was not found on PATH"), "{line}");
}

fn which(tool: &str, path: &str) -> bool {
    path.split(':')
        .any(|dir| std::path::Path::new(dir).join(tool).is_file())
}

/// `matrix` on storage/shared-key with `registry` as the binary under test.
fn matrix_with(registry: &Path, dir: &Path, ready_timeout: u64) -> std::process::Command {
    let mut command = common::regmatrix();
    command
        .args([
            "--quiet",
            "matrix",
            "--scenarios",
            "storage/shared-key",
            "--ready-timeout",
        ])
        .arg(ready_timeout.to_string())
        .arg("--registry-bin")
        .arg(registry)
        .arg("--out")
        .arg(dir.join("out"));
    command
}
