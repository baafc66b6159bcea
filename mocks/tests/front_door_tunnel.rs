//! A CONNECT tunnel driven the way Go's transport drives it: a CONNECT with
//! `Host` and `Proxy-*` headers, TLS with SNI and ALPN h2+http/1.1, then
//! several requests on one kept-alive connection. Hop-by-hop headers stop at
//! the front door.

mod support;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use support::{echo::HEAD_LENGTH, BLOB_HOST};

/// Sends a Go-style CONNECT and returns the stream once the proxy said 200.
async fn connect_like_go(proxy: std::net::SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(proxy).await.unwrap();
    let connect = format!(
        "CONNECT {BLOB_HOST}:443 HTTP/1.1\r\nHost: {BLOB_HOST}:443\r\n\
         User-Agent: Go-http-client/1.1\r\nProxy-Authorization: Basic dTpw\r\n\
         Proxy-Connection: Keep-Alive\r\n\r\n"
    );
    tcp.write_all(connect.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        tcp.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    tcp
}

#[tokio::test]
async fn one_tunnel_carries_many_requests_and_drops_hop_by_hop_headers() {
    let ca = support::ca();
    let upstream = support::EchoUpstream::start(&ca).await;
    let front_door = support::front_door_to(&ca, &upstream);

    let tcp = connect_like_go(front_door.addr()).await;
    let mut tls_config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(ca.rustls_root_store())
    .with_no_client_auth();
    tls_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let tls = TlsConnector::from(Arc::new(tls_config))
        .connect(ServerName::try_from(BLOB_HOST).unwrap(), tcp)
        .await
        .unwrap();
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        Some(&b"http/1.1"[..]),
        "the front door must steer Go away from h2"
    );
    let (mut sender, connection) = http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(connection);

    for round in 0..3 {
        let request = Request::put(format!("/c/blob{round}"))
            .header("host", BLOB_HOST)
            .header("connection", "keep-alive, x-hop")
            .header("x-hop", "per-connection")
            .header("keep-alive", "timeout=90")
            .header("proxy-authorization", "Basic dTpw")
            .header("te", "trailers")
            .header("x-ms-blob-type", "BlockBlob")
            .body(Full::new(Bytes::from(vec![round as u8; 1000])))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 201);
        response.into_body().collect().await.unwrap();
    }
    let head = sender
        .send_request(
            Request::head("/c/blob0")
                .header("host", BLOB_HOST)
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(head.headers()["content-length"], HEAD_LENGTH.to_string());

    let seen = upstream.seen();
    assert_eq!(seen.len(), 4);
    for request in &seen[..3] {
        assert_eq!(request.headers["host"], BLOB_HOST);
        assert_eq!(request.headers["x-ms-blob-type"], "BlockBlob");
        assert_eq!(request.headers["content-length"], "1000");
        for hop in [
            "connection",
            "x-hop",
            "keep-alive",
            "proxy-authorization",
            "te",
        ] {
            assert!(!request.headers.contains_key(hop), "{hop} leaked upstream");
        }
    }
    let records = front_door.traffic().snapshot();
    assert_eq!(records.len(), 4);
    assert!(records[..3]
        .iter()
        .all(|record| record.request_bytes == 1000 && record.status == 201));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_mid_body_leaves_an_incomplete_record() {
    const SIZE: u64 = 64 * 1024 * 1024;
    let ca = support::ca();
    let upstream = support::EchoUpstream::start(&ca).await;
    let front_door = support::front_door_to(&ca, &upstream);
    let client = support::client(&ca, &front_door.proxy_url());

    let mut response = client
        .get(format!("https://{BLOB_HOST}/big?size={SIZE}"))
        .send()
        .await
        .unwrap();
    let first = response.chunk().await.unwrap().unwrap();
    assert!(!first.is_empty());
    drop(response);
    drop(client);

    let traffic = front_door.traffic();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while traffic.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no record filed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let record = traffic.snapshot().pop().unwrap();
    assert_eq!(record.status, 200);
    assert!(!record.completed, "{record:?}");
    assert!(record.response_bytes < SIZE, "{record:?}");
}
