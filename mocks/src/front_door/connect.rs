//! CONNECT tunnels: answer 200, terminate the client's TLS inside the tunnel
//! with a leaf for the host it asked for, and serve HTTP/1.1 (keep-alive) on
//! the decrypted stream, each request going through the same dispatcher as
//! plain requests. Only ALPN `http/1.1` is offered, so Go never tries h2.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::server::Acceptor;
use tokio_rustls::LazyConfigAcceptor;

use super::body::{empty, error_chain, own_response, ProxyBody};
use super::dispatch::{dispatch, Origin};
use super::http1_server::http1_server;
use super::routing::normalize_host;
use super::ProxyContext;
use crate::pki::PkiError;

/// Why one tunnel ended early. Logged, not returned: the client already has
/// its 200 and learns of the failure from its own TLS or HTTP error.
#[derive(Debug, thiserror::Error)]
enum TunnelError {
    #[error("the CONNECT upgrade failed: {0}")]
    Upgrade(#[source] hyper::Error),
    #[error("TLS handshake failed (does the client trust the harness CA?): {0}")]
    Handshake(#[source] std::io::Error),
    #[error("cannot mint a certificate: {0}")]
    Certificate(#[from] PkiError),
    #[error("HTTP inside the tunnel failed: {0}")]
    Http(#[source] hyper::Error),
}

/// Answers a CONNECT and serves the tunnel in a task tied to the front
/// door's lifetime.
pub(crate) fn open_tunnel(
    ctx: &Arc<ProxyContext>,
    request: Request<Incoming>,
) -> Response<ProxyBody> {
    let Some(authority) = request.uri().authority() else {
        return own_response(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "front door: CONNECT needs host:port\n".into(),
        );
    };
    let host = normalize_host(authority.host());
    let tunnel_ctx = ctx.clone();
    ctx.spawn(async move {
        if let Err(error) = serve_tunnel(tunnel_ctx, &host, request).await {
            tracing::warn!(%host, error = %error_chain(&error), "tunnel ended with an error");
        }
    });
    Response::new(empty())
}

async fn serve_tunnel(
    ctx: Arc<ProxyContext>,
    connect_host: &str,
    request: Request<Incoming>,
) -> Result<(), TunnelError> {
    let upgraded: Upgraded = hyper::upgrade::on(request)
        .await
        .map_err(TunnelError::Upgrade)?;
    let start = LazyConfigAcceptor::new(Acceptor::default(), TokioIo::new(upgraded))
        .await
        .map_err(TunnelError::Handshake)?;
    // Go sends no SNI for IP addresses (IMDS at 169.254.169.254): then the
    // CONNECT target is the name the client will verify.
    let tls_host = start
        .client_hello()
        .server_name()
        .map_or_else(|| connect_host.to_owned(), normalize_host);
    let config = ctx.certs.server_config(&tls_host)?;
    let tls = start
        .into_stream(config)
        .await
        .map_err(TunnelError::Handshake)?;

    let origin = Origin::Tunnel {
        host: connect_host.to_owned(),
    };
    let service = service_fn(move |request| {
        let ctx = ctx.clone();
        let origin = origin.clone();
        async move { dispatch(ctx, origin, request).await }
    });
    http1_server()
        .serve_connection(TokioIo::new(tls), service)
        .await
        .map_err(TunnelError::Http)
}
