//! The front door's real customer is Go's `net/http` (registries and the
//! Azure SDK). This runs a small stdlib-only Go client through it with
//! `HTTPS_PROXY`, `HTTP_PROXY` and `SSL_CERT_FILE`, as the harness starts a
//! registry. Skipped, with a note on stderr, where no `go` is installed.

mod support;

use std::process::Command;

use hyper::Response;
use regmatrix_mocks::front_door::body::full;
use regmatrix_mocks::front_door::{AuthScheme, Route, ServiceRequest, Target};
use support::{echo::HEAD_LENGTH, BLOB_HOST};

const GET_SIZE: u64 = 8 * 1024 * 1024;
const PUT_SIZE: u64 = 5 * 1024 * 1024;

fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|output| output.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_net_http_goes_through_the_front_door() {
    if !go_available() {
        eprintln!("skipped: no `go` on PATH");
        return;
    }
    let ca = support::ca();
    let upstream = support::EchoUpstream::start(&ca).await;
    let front_door = support::front_door_to(&ca, &upstream);
    front_door
        .add_route(
            Route::to(
                "169.254.169.254",
                Target::service(|request: ServiceRequest| async move {
                    let metadata = request.request.headers().get("metadata").cloned();
                    Response::new(full(format!("imds metadata={metadata:?}")))
                }),
            )
            .unwrap(),
        )
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    let dir = dir.path().to_owned();
    ca.write_cert_pem(&ca_file).unwrap();
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/go/proxy_client.go");
    let proxy = front_door.proxy_url();
    let args = [
        format!("https://{BLOB_HOST}/c/blob"),
        format!("https://{BLOB_HOST}/big?size={GET_SIZE}"),
        "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01".to_owned(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new("go")
            // Outside the repository, so no go.mod there can change the build.
            .current_dir(&dir)
            .arg("run")
            .arg(program)
            .args(args)
            .env("HTTPS_PROXY", &proxy)
            .env("HTTP_PROXY", &proxy)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env("SSL_CERT_FILE", &ca_file)
            // Stdlib only: nothing may be fetched, no toolchain switch.
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "go client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(seen["put_status"], 201);
    let echo: serde_json::Value = serde_json::from_str(seen["put_echo"].as_str().unwrap()).unwrap();
    assert_eq!(echo["host"], BLOB_HOST);
    assert_eq!(echo["length"], PUT_SIZE);
    assert_eq!(echo["sha256"], seen["put_sha256"]);
    assert_eq!(seen["get_status"], 200);
    assert_eq!(seen["get_proto"], "HTTP/1.1");
    assert_eq!(seen["get_length"], GET_SIZE);
    assert_eq!(
        seen["get_sha256"],
        support::sha256_hex(&support::pattern(GET_SIZE))
    );
    assert_eq!(seen["head_length"], HEAD_LENGTH);
    assert!(
        seen["reused_conns"].as_u64().unwrap() >= 2,
        "Go must reuse its tunnel: {seen}"
    );
    assert_eq!(seen["imds_status"], 200);
    assert!(seen["imds_body"].as_str().unwrap().contains("\"true\""));

    let records = front_door.traffic().snapshot();
    let summary: Vec<_> = records
        .iter()
        .map(|record| {
            (
                record.method.as_str(),
                record.host.as_str(),
                record.status,
                record.auth_scheme,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("PUT", BLOB_HOST, 201, AuthScheme::SharedKey),
            ("GET", BLOB_HOST, 200, AuthScheme::None),
            ("HEAD", BLOB_HOST, 200, AuthScheme::None),
            ("GET", "169.254.169.254", 200, AuthScheme::None),
        ]
    );
    assert_eq!(records[0].request_bytes, PUT_SIZE);
    assert_eq!(records[1].response_bytes, GET_SIZE);
}
