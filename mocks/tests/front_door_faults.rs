//! Faults through a real front door, a blob client on one side and the echo
//! upstream on the other: shaping faults keep bodies byte-exact, replacing
//! faults answer like Azure Storage does, cut bodies are cut exactly where
//! the rule says and the client notices, hung requests end with the front
//! door, and every hit request names its rule in the traffic log.

mod support;

use std::time::Duration;

use futures_util::stream;
use hyper::{Response, StatusCode};
use regmatrix_mocks::front_door::body::full;
use regmatrix_mocks::front_door::{
    FaultRule, FrontDoor, Route, ServiceRequest, Target, TrafficRecord,
};
use support::{EchoUpstream, BLOB_HOST};
use tokio::time::Instant;

const MIB: u64 = 1 << 20;

struct Cloud {
    upstream: EchoUpstream,
    front_door: FrontDoor,
    client: reqwest::Client,
}

async fn cloud() -> Cloud {
    let ca = support::ca();
    let upstream = EchoUpstream::start(&ca).await;
    let front_door = support::front_door_to(&ca, &upstream);
    let client = support::client(&ca, &front_door.proxy_url());
    Cloud {
        upstream,
        front_door,
        client,
    }
}

impl Cloud {
    fn fault(&self, text: &str) {
        self.front_door
            .add_fault_text(text)
            .unwrap_or_else(|error| panic!("{error}"));
    }

    /// PUTs `size` pattern bytes in 256 KiB chunks; the echo's SHA-256 must
    /// be the pattern's.
    async fn put_exact(&self, path: &str, size: u64) -> Duration {
        let blob = support::pattern(size);
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            blob.chunks(256 * 1024).map(|c| Ok(c.to_vec())).collect();
        let started = Instant::now();
        let response = self
            .client
            .put(format!("https://{BLOB_HOST}{path}"))
            .header("content-length", size)
            .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let echo: serde_json::Value = response.json().await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(echo["length"], size);
        assert_eq!(echo["sha256"], support::sha256_hex(&blob));
        elapsed
    }

    /// GETs `size` bytes from the echo's generator; they must be the pattern.
    async fn get_exact(&self, size: u64) -> Duration {
        let started = Instant::now();
        let response = self
            .client
            .get(format!("https://{BLOB_HOST}/big?size={size}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.bytes().await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(body.len() as u64, size);
        assert_eq!(
            support::sha256_hex(&body),
            support::sha256_hex(&support::pattern(size))
        );
        elapsed
    }

    /// Reads a GET of `size` bytes as far as it goes: the bytes that came
    /// and whether the body ended in an error.
    async fn get_partial(&self, size: u64) -> (reqwest::StatusCode, Option<u64>, Vec<u8>, bool) {
        let mut response = self
            .client
            .get(format!("https://{BLOB_HOST}/big?size={size}"))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let length = response.content_length();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => return (status, length, body, false),
                Err(_) => return (status, length, body, true),
            }
        }
    }

    fn faults_in_log(&self) -> Vec<Option<String>> {
        self.front_door
            .traffic()
            .snapshot()
            .into_iter()
            .map(|record| record.fault)
            .collect()
    }
}

fn only(records: Vec<TrafficRecord>) -> TrafficRecord {
    assert_eq!(records.len(), 1, "{records:#?}");
    records.into_iter().next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_stay_byte_exact_with_no_fault_and_under_latency_and_bandwidth_caps() {
    let cloud = cloud().await;
    let size = 6 * MIB;
    cloud.put_exact("/c/plain", size).await;
    cloud.get_exact(size).await;
    assert_eq!(cloud.faults_in_log(), [None, None]);

    cloud.fault("name=slow host=*.blob.core.windows.net path=/c/slow action=latency:300ms");
    let elapsed = cloud.put_exact("/c/slow", size).await;
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");

    // 6 MiB at 8 MiB/s each way: at least 0.75 s per transfer.
    cloud.fault("name=thin-up host=*.blob.core.windows.net method=PUT action=bandwidth-up:8MiB/s");
    cloud.fault("name=thin-down host=*.blob.core.windows.net method=GET action=bandwidth:8MiB/s");
    let up = cloud.put_exact("/c/capped", size).await;
    let down = cloud.get_exact(size).await;
    for elapsed in [up, down] {
        assert!(elapsed >= Duration::from_millis(740), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    }
    let records = cloud.front_door.traffic().snapshot();
    let faults: Vec<Option<&str>> = records.iter().map(|r| r.fault.as_deref()).collect();
    assert_eq!(
        faults,
        [None, None, Some("slow"), Some("thin-up"), Some("thin-down")]
    );
    assert!(records.iter().all(|r| r.completed), "{records:#?}");
    assert_eq!(records[3].request_bytes, size);
    assert_eq!(records[4].response_bytes, size);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_fault_answers_with_the_azure_error_and_first_n_hits_exactly_n() {
    let cloud = cloud().await;
    cloud.fault(
        "name=busy host=*.blob.core.windows.net method=PUT path=/registry/ \
         action=status:503 schedule=first:3",
    );
    let mut statuses = Vec::new();
    for attempt in 0..5 {
        let response = cloud
            .client
            .put(format!("https://{BLOB_HOST}/registry/blob{attempt}"))
            .body(vec![1u8; 1024])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() != 503 {
            continue;
        }
        let headers = response.headers().clone();
        assert_eq!(headers["x-ms-error-code"], "ServerBusy");
        assert_eq!(headers["content-type"], "application/xml");
        let request_id = headers["x-ms-request-id"].to_str().unwrap().to_owned();
        let body = response.text().await.unwrap();
        assert!(
            body.starts_with(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>"
            ),
            "{body}"
        );
        assert!(
            body.contains(&format!("\nRequestId:{request_id}\nTime:")),
            "{body}"
        );
        assert!(body.ends_with("Z</Message></Error>"), "{body}");
    }
    assert_eq!(statuses, [503, 503, 503, 201, 201]);
    assert_eq!(
        cloud.upstream.seen().len(),
        2,
        "faulted PUTs never reach the upstream"
    );
    let busy = Some("busy".to_owned());
    assert_eq!(
        cloud.faults_in_log(),
        [busy.clone(), busy.clone(), busy, None, None]
    );
    let stats = cloud.front_door.fault_stats();
    assert_eq!(
        (stats[0].kind, stats[0].matched, stats[0].injected),
        ("status", 5, 3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_azure_error_helper_sends_its_code_status_and_retry_after() {
    let cloud = cloud().await;
    for (path, action) in [
        ("/timeout", "status:500,code:OperationTimedOut"),
        ("/internal", "status:500"),
        ("/throttled", "status:429,retry-after:3s"),
        ("/denied", "status:403"),
    ] {
        cloud.fault(&format!(
            "host=*.blob.core.windows.net path={path} action={action}"
        ));
    }
    for (path, status, code, retry_after) in [
        ("/timeout", 500, "OperationTimedOut", None),
        ("/internal", 500, "InternalError", None),
        ("/throttled", 429, "TooManyRequests", Some("3")),
        ("/denied", 403, "AuthenticationFailed", None),
    ] {
        let response = cloud
            .client
            .get(format!("https://{BLOB_HOST}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["x-ms-error-code"], code);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap()),
            retry_after
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
    }
    assert!(cloud.upstream.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_mid_body_delivers_exactly_n_bytes_then_a_client_error() {
    let cloud = cloud().await;
    cloud.fault("name=cut host=*.blob.core.windows.net action=reset-mid-body:64KiB");
    let (status, length, body, failed) = cloud.get_partial(4 * MIB).await;
    assert_eq!(status, 200);
    assert_eq!(length, Some(4 * MIB), "the head is the upstream's");
    assert!(failed, "the client must see the body fail");
    assert_eq!(body.len(), 64 * 1024);
    assert_eq!(body, support::pattern(64 * 1024));
    let record = only(cloud.front_door.traffic().snapshot());
    assert_eq!(record.fault.as_deref(), Some("cut"));
    assert_eq!(record.response_bytes, 64 * 1024);
    assert!(!record.completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_body_is_detected_by_the_client() {
    let cloud = cloud().await;
    cloud.fault("name=short host=*.blob.core.windows.net action=truncate:100KiB");
    let (status, length, body, failed) = cloud.get_partial(MIB).await;
    assert_eq!(status, 200);
    assert_eq!(length, Some(MIB));
    assert!(failed, "fewer bytes than Content-Length must be an error");
    assert_eq!(body, support::pattern(100 * 1024));
    let record = only(cloud.front_door.traffic().snapshot());
    assert_eq!(record.fault.as_deref(), Some("short"));
    assert_eq!(record.response_bytes, 100 * 1024);
    assert!(!record.completed, "a short body is not complete");
}

/// Waits (up to 2 s) until the log holds `count` records.
async fn records(
    traffic: &regmatrix_mocks::front_door::TrafficLog,
    count: usize,
) -> Vec<TrafficRecord> {
    let deadline = Instant::now() + Duration::from_secs(2);
    while traffic.len() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    traffic.snapshot()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalls_end_when_the_client_gives_up_or_the_front_door_stops() {
    let cloud = cloud().await;
    cloud.fault("name=hung host=*.blob.core.windows.net method=GET action=stall");
    cloud.fault("name=hole host=*.blob.core.windows.net method=PUT action=blackhole");
    let traffic = cloud.front_door.traffic();

    let started = Instant::now();
    let error = cloud
        .client
        .get(format!("https://{BLOB_HOST}/c/blob"))
        .timeout(Duration::from_millis(500))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    let error = cloud
        .client
        .put(format!("https://{BLOB_HOST}/c/blob"))
        .body(vec![5u8; 2 * MIB as usize])
        .timeout(Duration::from_millis(800))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(cloud.upstream.seen().is_empty());

    // The client went away: the front door noticed and filed both.
    let mut gave_up = records(&traffic, 2).await;
    gave_up.sort_by(|a, b| a.method.cmp(&b.method));
    assert_eq!(gave_up.len(), 2, "{gave_up:#?}");
    let summary = |r: &TrafficRecord| (r.method.clone(), r.fault.clone(), r.status, r.completed);
    assert_eq!(
        summary(&gave_up[0]),
        ("GET".into(), Some("hung".into()), 0, false)
    );
    assert_eq!(
        summary(&gave_up[1]),
        ("PUT".into(), Some("hole".into()), 0, false)
    );
    assert_eq!(
        gave_up[1].request_bytes,
        2 * MIB,
        "a blackhole reads the whole body"
    );

    // A patient client: only the front door's shutdown ends its request,
    // at once rather than after the shutdown grace period.
    let client = cloud.client.clone();
    let patient = tokio::spawn(async move {
        client
            .get(format!("https://{BLOB_HOST}/c/patient"))
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!patient.is_finished());
    let started = Instant::now();
    cloud.front_door.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let outcome = tokio::time::timeout(Duration::from_secs(2), patient)
        .await
        .expect("the client hears of the shutdown")
        .unwrap();
    assert!(outcome.is_err(), "{outcome:?}");
    let all = traffic.snapshot();
    assert_eq!(all.len(), 3, "{all:#?}");
    assert_eq!(
        summary(&all[2]),
        ("GET".into(), Some("hung".into()), 0, false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_endpoints_take_the_same_rules() {
    let cloud = cloud().await;
    let token_endpoint = |_request: ServiceRequest| async {
        let mut response = Response::new(full(r#"{"access_token":"t"}"#));
        *response.status_mut() = StatusCode::OK;
        response
    };
    cloud
        .front_door
        .add_route(Route::to("login.microsoftonline.com", Target::service(token_endpoint)).unwrap())
        .unwrap();
    let rule: FaultRule = "name=entra-throttle host=login.microsoftonline.com method=POST \
                           path=/tenant/oauth2/ action=status:429,retry-after:1s schedule=every:2"
        .parse()
        .unwrap();
    cloud.front_door.add_fault(rule);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = cloud
            .client
            .post("https://login.microsoftonline.com/tenant/oauth2/v2.0/token")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 429, 200, 429]);
    let stats = cloud.front_door.fault_stats();
    assert_eq!((stats[0].matched, stats[0].injected), (4, 2));
    assert_eq!(
        stats[0].rule,
        "name=entra-throttle host=login.microsoftonline.com method=POST path=/tenant/oauth2/ \
         action=status:429,retry-after:1s schedule=every:2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_lost_lets_the_upstream_apply_the_write_and_answers_the_client_with_a_failure() {
    let cloud = cloud().await;
    cloud.fault(
        "name=lost host=*.blob.core.windows.net method=PUT path=/c/ op=put-blob|put-block-list \
         action=ack-lost:status:500,code:OperationTimedOut schedule=first:1",
    );
    cloud.fault("name=cut host=*.blob.core.windows.net op=append-block action=ack-lost:reset");
    let blob = support::pattern(MIB);
    let put = |path: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let mut request = cloud
            .client
            .put(format!("https://{BLOB_HOST}{path}"))
            .body(blob.clone());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let block_blob: &[(&str, &str)] = &[("x-ms-blob-type", "BlockBlob")];

    // The first Put Blob: applied upstream, answered 500 OperationTimedOut.
    let lost = put("/c/blob", block_blob).await.unwrap();
    assert_eq!(lost.status(), 500);
    assert_eq!(lost.headers()["x-ms-error-code"], "OperationTimedOut");
    assert_eq!(lost.headers()["content-type"], "application/xml");
    let body = lost.text().await.unwrap();
    assert!(body.contains("<Code>OperationTimedOut</Code>"), "{body}");
    let seen = cloud.upstream.seen();
    assert_eq!(seen.len(), 1, "the write reached the upstream");
    assert_eq!(seen[0].path, "/c/blob");
    assert_eq!(seen[0].body_len, MIB);
    assert_eq!(seen[0].body_sha256, support::sha256_hex(&blob));

    // The schedule is spent: the retry gets the upstream's own answer. A
    // Put Block is no Put Blob or Put Block List: the rule leaves it alone.
    assert_eq!(put("/c/blob", block_blob).await.unwrap().status(), 201);
    assert_eq!(
        put("/c/blob?comp=block&blockid=QUFB", &[])
            .await
            .unwrap()
            .status(),
        201
    );

    // An Append Block under `ack-lost:reset`: applied, then the connection closes.
    let error = put("/c/log?comp=appendblock", &[]).await.unwrap_err();
    assert!(!error.is_timeout(), "{error:?}");
    let seen = cloud.upstream.seen();
    assert_eq!(seen.len(), 4, "{seen:#?}");
    assert_eq!(seen[3].path, "/c/log?comp=appendblock");
    assert_eq!(seen[3].body_len, MIB);

    let records = records(&cloud.front_door.traffic(), 4).await;
    let summary: Vec<(&str, Option<&str>, u16, Option<u16>)> = records
        .iter()
        .map(|r| {
            (
                r.path.as_str(),
                r.fault.as_deref(),
                r.status,
                r.discarded_status,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("/c/blob", Some("lost"), 500, Some(201)),
            ("/c/blob", None, 201, None),
            ("/c/blob?comp=block&blockid=QUFB", None, 201, None),
            ("/c/log?comp=appendblock", Some("cut"), 0, Some(201)),
        ]
    );
    assert_eq!(records[0].request_bytes, MIB, "the whole body went up");
    assert!(records[0].completed, "the client read the whole error");
    assert!(!records[3].completed, "the client got no answer");
    // The record says what was dropped; records without a drop keep
    // their JSON shape.
    let json = serde_json::to_value(&records[0]).unwrap();
    assert_eq!(json["discarded_status"], 201);
    assert_eq!(json["status"], 500);
    let json = serde_json::to_value(&records[1]).unwrap();
    assert!(json.get("discarded_status").is_none(), "{json}");

    let stats = cloud.front_door.fault_stats();
    let counts: Vec<(&str, u64, u64)> = stats
        .iter()
        .map(|s| (s.kind, s.matched, s.injected))
        .collect();
    assert_eq!(counts, [("ack-lost", 2, 1), ("ack-lost", 1, 1)]);
    assert_eq!(
        stats[0].rule,
        "name=lost host=*.blob.core.windows.net method=PUT path=/c/ op=put-blob|put-block-list \
         action=ack-lost:status:500,code:OperationTimedOut schedule=first:1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_answer_to_a_get_forwarded_as_head_keeps_its_body() {
    use regmatrix_mocks::azure_storage::emulator_compat::BlobMetadataReadAsHead;
    use regmatrix_mocks::azure_storage::shared_key::{BlobEndpoint, StorageAccount, PUBLIC_REALM};

    let cloud = cloud().await;
    let mut account = StorageAccount::generate();
    account.name = "acct".into();
    cloud
        .front_door
        .add_rewrite(BlobMetadataReadAsHead::new(BlobEndpoint::new(
            account,
            PUBLIC_REALM,
        )));
    cloud.fault("name=busy host=*.blob.core.windows.net path=/c/busy action=status:503");
    cloud.fault(
        "name=lost host=*.blob.core.windows.net method=HEAD \
         action=ack-lost:status:500,code:OperationTimedOut",
    );
    for (path, status, code) in [
        ("/c/busy", 503, "ServerBusy"),
        ("/c/lost", 500, "OperationTimedOut"),
    ] {
        let response = cloud
            .client
            .get(format!("https://{BLOB_HOST}{path}?comp=metadata&sig=abc"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        let body = response.text().await.unwrap();
        assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
    }
    let seen = cloud.upstream.seen();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].method, hyper::Method::HEAD);
    let records = cloud.front_door.traffic().snapshot();
    let summary: Vec<(u16, Option<u16>, bool)> = records
        .iter()
        .map(|r| (r.status, r.discarded_status, r.completed))
        .collect();
    assert_eq!(summary, [(503, None, true), (500, Some(200), true)]);
}
