//! `regmatrix up`: an environment a client of one's own can use through
//! the exports it writes, until Ctrl-C, which leaves nothing behind.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

fn read_exports(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

/// A client as an operator would set one up from the exports: the
/// registry directly, everything HTTPS through the proxy, the run's CA.
fn client(exports: &BTreeMap<String, String>, follow: bool) -> reqwest::Client {
    let ca = std::fs::read(&exports["SSL_CERT_FILE"]).unwrap();
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .proxy(reqwest::Proxy::https(&exports["HTTPS_PROXY"]).unwrap())
        .redirect(if follow {
            reqwest::redirect::Policy::limited(3)
        } else {
            reqwest::redirect::Policy::none()
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn up_serves_a_push_and_a_pull_through_its_exports_and_ctrl_c_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env.sh");
    let stdout = dir.path().join("stdout");
    let mut child = common::regmatrix()
        .args([
            "up",
            "--version",
            "v3.1.2",
            "--like",
            "storage/client-secret",
            "--scenario-dir",
        ])
        .arg(common::scenario_dir())
        .arg("--env-file")
        .arg(&env_file)
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // A cold cache builds the registry first.
    let deadline = Instant::now() + Duration::from_secs(900);
    while !std::fs::read_to_string(&stdout)
        .unwrap_or_default()
        .contains("Ctrl-C")
    {
        assert!(child.try_wait().unwrap().is_none(), "up exited early");
        assert!(Instant::now() < deadline, "up did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let summary = std::fs::read_to_string(&stdout).unwrap();
    assert!(summary.contains("ClientSecret"), "{summary}");
    let exports = read_exports(&env_file);
    let registry = &exports["REGMATRIX_REGISTRY_URL"];

    // Push a blob (monolithic upload) and pull it back: the registry
    // redirects to the storage account, which only the proxy serves.
    let blob = b"regmatrix up: a blob pushed by a client of its own".to_vec();
    let digest = regmatrix::digest::sha256_of(&blob);
    let direct = client(&exports, false);
    let started = direct
        .post(format!("{registry}/v2/regmatrix/up/blobs/uploads/"))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let location = started.headers()["location"].to_str().unwrap().to_string();
    let location = if location.starts_with('/') {
        format!("{registry}{location}")
    } else {
        location
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let put = direct
        .put(format!("{location}{separator}digest={digest}"))
        .header("content-type", "application/octet-stream")
        .body(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201, "{:?}", put.text().await);
    let blob_url = format!("{registry}/v2/regmatrix/up/blobs/{digest}");
    let redirect = direct.get(&blob_url).send().await.unwrap();
    assert_eq!(redirect.status(), 307);
    let to = redirect.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains(".blob.core.windows.net/"), "{to}");
    let pulled = client(&exports, true).get(&blob_url).send().await.unwrap();
    assert_eq!(pulled.status(), 200);
    assert_eq!(pulled.bytes().await.unwrap().as_ref(), blob.as_slice());

    // Ctrl-C is the normal end: exit 0, its processes and run directory gone.
    let config_line = summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("config"))
        .unwrap()
        .trim()
        .to_string();
    let run_dir = Path::new(&config_line).parent().unwrap().to_path_buf();
    let processes = common::processes_mentioning(&run_dir.display().to_string());
    assert!(processes.len() >= 2, "registry and Azurite: {processes:?}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    for pid in processes {
        assert!(!common::process_alive(pid), "{pid} still runs");
    }
    assert!(!run_dir.exists(), "{} left behind", run_dir.display());
}

#[test]
fn bad_input_to_up_is_one_line_before_anything_starts() {
    for args in [
        vec!["--like", "storage/no-such-scenario"],
        vec!["--like", "storage/*"],
        vec!["--fault", "this is not a rule"],
        vec!["--faults", "no-such-profile"],
    ] {
        let output = common::regmatrix()
            .args(["up", "--version", "v3.1.2", "--scenario-dir"])
            .arg(common::scenario_dir())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let line = common::one_line_error(&output);
        assert!(line.starts_with("regmatrix: error: "), "{args:?}: {line}");
    }
}
