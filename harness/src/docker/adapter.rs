//! The Engine API version adapter. testcontainers (through bollard) sends
//! every request under one fixed API version (`/v1.53/...`), and an engine
//! older than that refuses it (`client version 1.53 is too new. Maximum
//! supported API version is 1.41` from Debian 12's docker.io 20.10). The
//! Docker CLI negotiates; testcontainers does not. So testcontainers talks
//! to this socket, which forwards each request to the engine with the
//! version lowered to the one the engine supports, and the answer back
//! unchanged. Requests for a version the engine has pass as they are.

use std::convert::Infallible;
use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpStream, UnixListener, UnixStream};

use super::DockerError;

/// Where the engine listens, from `DOCKER_HOST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineAddress {
    Unix(PathBuf),
    Tcp(String),
}

impl EngineAddress {
    /// `unix:///path`, `tcp://host:port` or `http://host:port`, as the
    /// Docker CLI reads `DOCKER_HOST`.
    pub fn parse(host: &str) -> Result<Self, DockerError> {
        if let Some(path) = host.strip_prefix("unix://") {
            return Ok(EngineAddress::Unix(PathBuf::from(path)));
        }
        for scheme in ["tcp://", "http://"] {
            if let Some(address) = host.strip_prefix(scheme) {
                return Ok(EngineAddress::Tcp(
                    address.trim_end_matches('/').to_string(),
                ));
            }
        }
        Err(DockerError::UnsupportedHost {
            host: host.to_string(),
        })
    }
}

impl std::fmt::Display for EngineAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineAddress::Unix(path) => write!(f, "unix://{}", path.display()),
            EngineAddress::Tcp(address) => write!(f, "tcp://{address}"),
        }
    }
}

/// An API version, `1.41`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

impl ApiVersion {
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.split_once('.')?;
        Some(ApiVersion {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// `path_and_query` with its `/vX.Y` prefix lowered to `engine` when it
/// asks for more; anything else unchanged.
pub fn lower_version(path_and_query: &str, engine: ApiVersion) -> String {
    let Some(rest) = path_and_query.strip_prefix("/v") else {
        return path_and_query.to_string();
    };
    let (version, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match ApiVersion::parse(version) {
        Some(asked) if asked > engine => format!("/v{engine}{tail}"),
        _ => path_and_query.to_string(),
    }
}

type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// Sends one request to the engine on a connection of its own, which
/// lives as long as the answer's body streams (`logs?follow=1`).
pub async fn send(
    engine: &EngineAddress,
    request: Request<ProxyBody>,
) -> Result<Response<Incoming>, String> {
    async fn over<S>(stream: S, request: Request<ProxyBody>) -> Result<Response<Incoming>, String>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())
    }
    match engine {
        EngineAddress::Unix(path) => {
            over(
                UnixStream::connect(path)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?,
                request,
            )
            .await
        }
        EngineAddress::Tcp(address) => {
            over(
                TcpStream::connect(address)
                    .await
                    .map_err(|e| format!("{address}: {e}"))?,
                request,
            )
            .await
        }
    }
}

/// The engine's API version, from its unversioned `/version`.
pub async fn engine_version(engine: &EngineAddress) -> Result<ApiVersion, DockerError> {
    let unreachable = |detail: String| DockerError::Unreachable {
        host: engine.to_string(),
        detail,
    };
    let request = Request::get("/version")
        .header("host", "docker")
        .body(
            Full::new(Bytes::new())
                .map_err(|never| match never {})
                .boxed(),
        )
        .map_err(|e| unreachable(e.to_string()))?;
    let response = send(engine, request).await.map_err(unreachable)?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| unreachable(e.to_string()))?
        .to_bytes();
    let text = String::from_utf8_lossy(&body);
    if !status.is_success() {
        return Err(unreachable(format!(
            "GET /version answered {status}: {text}"
        )));
    }
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| unreachable(format!("GET /version: {e}")))?;
    json.get("ApiVersion")
        .and_then(|v| v.as_str())
        .and_then(ApiVersion::parse)
        .ok_or_else(|| unreachable(format!("GET /version has no ApiVersion: {text}")))
}

/// Serves the adapter on `listener` until the process ends.
pub async fn serve(listener: UnixListener, engine: EngineAddress, version: ApiVersion) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let engine = engine.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let engine = engine.clone();
                async move { Ok::<_, Infallible>(forward(&engine, version, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn forward(
    engine: &EngineAddress,
    version: ApiVersion,
    request: Request<Incoming>,
) -> Response<ProxyBody> {
    let (mut parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    match lower_version(&path, version).parse() {
        Ok(uri) => parts.uri = uri,
        Err(_) => return bad_gateway(format!("cannot rewrite {path}")),
    }
    let request = Request::from_parts(parts, body.boxed());
    match send(engine, request).await {
        Ok(response) => response.map(BodyExt::boxed),
        Err(detail) => bad_gateway(format!("regmatrix Docker adapter: {engine}: {detail}")),
    }
}

fn bad_gateway(message: String) -> Response<ProxyBody> {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_version_above_the_engines_is_lowered() {
        let engine = ApiVersion::parse("1.41").unwrap();
        assert_eq!(
            lower_version("/v1.53/containers/create?name=x", engine),
            "/v1.41/containers/create?name=x"
        );
        assert_eq!(lower_version("/v1.40/info", engine), "/v1.40/info");
        assert_eq!(lower_version("/version", engine), "/version");
        assert_eq!(lower_version("/v1.53", engine), "/v1.41");
    }

    #[test]
    fn docker_host_forms() {
        assert_eq!(
            EngineAddress::parse("unix:///tmp/d.sock").unwrap(),
            EngineAddress::Unix("/tmp/d.sock".into())
        );
        assert_eq!(
            EngineAddress::parse("tcp://127.0.0.1:2375").unwrap(),
            EngineAddress::Tcp("127.0.0.1:2375".into())
        );
        assert!(EngineAddress::parse("ssh://host").is_err());
    }
}
