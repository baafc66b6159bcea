//! The proxy port: accepts client connections and serves the proxy protocol
//! on each (CONNECT, absolute-form requests, and origin-form requests with a
//! `Host` header for mocks clients reach without a proxy).

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper::Method;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use super::body::error_chain;
use super::connect::open_tunnel;
use super::dispatch::{dispatch, Origin};
use super::http1_server::http1_server;
use super::ProxyContext;

/// After a failed accept (out of file descriptors, usually) wait a moment
/// instead of spinning on the same error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

pub(crate) async fn accept_loop(ctx: Arc<ProxyContext>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                let connection_ctx = ctx.clone();
                ctx.spawn(serve_client(connection_ctx, stream));
            }
            Err(error) => {
                tracing::warn!(%error, "front door accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

async fn serve_client(ctx: Arc<ProxyContext>, stream: TcpStream) {
    // Small requests (token calls, HEADs) should not wait for Nagle.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    let service = service_fn(move |request| {
        let ctx = ctx.clone();
        async move {
            if request.method() == Method::CONNECT {
                Ok(open_tunnel(&ctx, request))
            } else {
                dispatch(ctx, Origin::Direct, request).await
            }
        }
    });
    let served = http1_server()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
    if let Err(error) = served {
        tracing::debug!(error = %error_chain(&error), "proxy client connection ended with an error");
    }
}
