//! An HTTPS upstream standing in for Azurite: it reports what it received
//! (Host, headers, body length and SHA-256, computed while streaming) and
//! serves large generated bodies without holding them in memory.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::stream;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderMap, CONTENT_LENGTH, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use regmatrix_mocks::front_door::ProxyBody;
use regmatrix_mocks::pki::CertificateAuthority;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::pattern_byte;

/// The length the echo upstream claims for every HEAD.
pub const HEAD_LENGTH: u64 = 12_345;
const CHUNK: u64 = 64 * 1024;

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body_len: u64,
    pub body_sha256: String,
}

pub struct EchoUpstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<SeenRequest>>>,
    task: JoinHandle<()>,
}

impl Drop for EchoUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EchoUpstream {
    pub async fn start(ca: &CertificateAuthority) -> Self {
        let leaf = ca.issue_leaf(&["127.0.0.1"]).unwrap();
        let acceptor = TlsAcceptor::from(leaf.rustls_server_config().unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task_seen = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let seen = task_seen.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |request| {
                        let seen = seen.clone();
                        async move { Ok::<_, hyper::Error>(answer(request, seen).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Self { addr, seen, task }
    }

    pub fn base_url(&self) -> url::Url {
        format!("https://{}", self.addr).parse().unwrap()
    }

    pub fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(
    request: Request<Incoming>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
) -> Response<ProxyBody> {
    let (parts, mut body) = request.into_parts();
    let mut hasher = Sha256::new();
    let mut body_len = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            body_len += data.len() as u64;
            hasher.update(&data);
        }
    }
    let body_sha256 = hex::encode(hasher.finalize());
    let path = parts.uri.path_and_query().unwrap().as_str().to_owned();
    let host = parts
        .headers
        .get(HOST)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    seen.lock().unwrap().push(SeenRequest {
        method: parts.method.clone(),
        path: path.clone(),
        headers: parts.headers.clone(),
        body_len,
        body_sha256: body_sha256.clone(),
    });

    let mut response = if parts.method == Method::HEAD {
        let mut response = Response::new(
            Full::new(Bytes::new())
                .map_err(|never| match never {})
                .boxed(),
        );
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HEAD_LENGTH.into());
        response
    } else if parts.method == Method::GET && parts.uri.path() == "/big" {
        let size: u64 = parts
            .uri
            .query()
            .and_then(|query| query.strip_prefix("size="))
            .unwrap()
            .parse()
            .unwrap();
        big_body(size)
    } else {
        let json = serde_json::json!({
            "host": host,
            "length": body_len,
            "sha256": body_sha256,
            "content_length": parts.headers.get(CONTENT_LENGTH).map(|v| v.to_str().unwrap().to_owned()),
        });
        let mut response = Response::new(
            Full::new(Bytes::from(json.to_string()))
                .map_err(|never| match never {})
                .boxed(),
        );
        *response.status_mut() = StatusCode::CREATED;
        response
    };
    response
        .headers_mut()
        .insert("x-echo-host", host.parse().unwrap());
    response
}

/// `size` pattern bytes, generated chunk by chunk, with a Content-Length.
fn big_body(size: u64) -> Response<ProxyBody> {
    let chunks = stream::iter((0..size.div_ceil(CHUNK)).map(move |index| {
        let start = index * CHUNK;
        let end = (start + CHUNK).min(size);
        let chunk: Vec<u8> = (start..end).map(pattern_byte).collect();
        Ok::<_, regmatrix_mocks::front_door::body::BoxError>(Frame::data(Bytes::from(chunk)))
    }));
    let mut response = Response::new(StreamBody::new(chunks).boxed());
    response.headers_mut().insert(CONTENT_LENGTH, size.into());
    response
}
