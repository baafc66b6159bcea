//! A blob client talking to `acct.blob.core.windows.net` through the front
//! door reaches the loopback upstream byte for byte, with the production Host,
//! and every exchange lands in the traffic log with final byte counts.

mod support;

use futures_util::stream;
use regmatrix_mocks::front_door::{AuthScheme, TrafficRecord};
use support::{echo::HEAD_LENGTH, BLOB_HOST};

const PUT_SIZE: u64 = 20 * 1024 * 1024;
const GET_SIZE: u64 = 24 * 1024 * 1024;

fn only_record(records: &[TrafficRecord]) -> &TrafficRecord {
    assert_eq!(records.len(), 1, "{records:#?}");
    &records[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_pass_through_byte_for_byte_with_the_production_host() {
    let ca = support::ca();
    let upstream = support::EchoUpstream::start(&ca).await;
    let front_door = support::front_door_to(&ca, &upstream);
    let client = support::client(&ca, &front_door.proxy_url());
    let traffic = front_door.traffic();

    // PUT 20 MiB with a Content-Length, as the Azure SDK uploads blocks.
    let blob = support::pattern(PUT_SIZE);
    let mark = traffic.len();
    let response = client
        .put(format!(
            "https://{BLOB_HOST}/c/blob?comp=block&blockid=AAAA"
        ))
        .header("authorization", "SharedKey acct:xyz")
        .header("x-ms-version", "2021-08-06")
        .body(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-echo-host"], BLOB_HOST);
    let echo: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(echo["host"], BLOB_HOST);
    assert_eq!(echo["length"], PUT_SIZE);
    assert_eq!(echo["sha256"], support::sha256_hex(&blob));
    assert_eq!(echo["content_length"], PUT_SIZE.to_string());
    let echo_len = serde_json::to_vec(&echo).unwrap().len() as u64;

    let records = traffic.since(mark);
    let put = only_record(&records);
    assert_eq!(put.host, BLOB_HOST);
    assert_eq!(put.method, "PUT");
    assert_eq!(put.path, "/c/blob?comp=block&blockid=AAAA");
    assert_eq!(put.status, 201);
    assert_eq!(put.request_bytes, PUT_SIZE);
    assert_eq!(put.response_bytes, echo_len);
    assert_eq!(put.auth_scheme, AuthScheme::SharedKey);
    assert!(put.completed);

    let seen = upstream.seen();
    let seen_put = seen.last().unwrap();
    assert_eq!(seen_put.headers["host"], BLOB_HOST);
    assert_eq!(seen_put.headers["x-ms-version"], "2021-08-06");
    assert_eq!(seen_put.headers["authorization"], "SharedKey acct:xyz");
    assert_eq!(seen_put.path, "/c/blob?comp=block&blockid=AAAA");

    // GET a large body the upstream streams, with a SAS instead of a key.
    let mark = traffic.len();
    let response = client
        .get(format!("https://{BLOB_HOST}/big?size={GET_SIZE}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(GET_SIZE));
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len() as u64, GET_SIZE);
    assert_eq!(
        support::sha256_hex(&body),
        support::sha256_hex(&support::pattern(GET_SIZE))
    );
    let records = traffic.since(mark);
    let get = only_record(&records);
    assert_eq!((get.method.as_str(), get.status), ("GET", 200));
    assert_eq!(get.request_bytes, 0);
    assert_eq!(get.response_bytes, GET_SIZE);
    assert_eq!(get.auth_scheme, AuthScheme::None);
    assert!(get.completed);
    assert!(get.duration > std::time::Duration::ZERO);

    // HEAD keeps the upstream's Content-Length although no body follows:
    // the Azure SDK reads a blob's size from it.
    let mark = traffic.len();
    let response = client
        .head(format!("https://{BLOB_HOST}/c/blob?sv=2021&sig=abc%3D"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-length"],
        HEAD_LENGTH.to_string()
    );
    let records = traffic.since(mark);
    let head = only_record(&records);
    assert_eq!(head.auth_scheme, AuthScheme::Sas);
    assert_eq!((head.request_bytes, head.response_bytes), (0, 0));
    assert!(head.completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_upload_streams_through_without_a_length() {
    let ca = support::ca();
    let upstream = support::EchoUpstream::start(&ca).await;
    let front_door = support::front_door_to(&ca, &upstream);
    let client = support::client(&ca, &front_door.proxy_url());

    let blob = support::pattern(3 * 1024 * 1024 + 17);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = blob
        .chunks(100_000)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    let response = client
        .post(format!("https://{BLOB_HOST}/c/append?comp=appendblock"))
        .header("authorization", "Bearer eyJ0eXAi")
        .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let echo: serde_json::Value = response.json().await.unwrap();
    assert_eq!(echo["length"], blob.len());
    assert_eq!(echo["sha256"], support::sha256_hex(&blob));
    assert_eq!(echo["content_length"], serde_json::Value::Null);

    let record = front_door.traffic().snapshot().pop().unwrap();
    assert_eq!(record.request_bytes, blob.len() as u64);
    assert_eq!(record.auth_scheme, AuthScheme::Bearer);
}
