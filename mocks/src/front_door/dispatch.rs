//! The per-request pipeline, the same for plain and tunnelled requests: name
//! the host, open an exchange in the traffic log, pick the route, and meter
//! both bodies. A fault rule that hits answers instead of the target, or
//! shapes the target's answer (latency, bandwidth, a cut body), or lets the
//! target answer and drops that answer (ack-lost). Before an upstream gets a
//! request, the pre-checks may answer it instead.
//! It never opens a connection itself: only `forward.rs` does, and only to
//! a routed loopback upstream.

use std::sync::Arc;

use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, HOST};
use hyper::http::request::Parts;
use hyper::http::uri::{Authority, PathAndQuery};
use hyper::{Method, Request, Response, StatusCode, Uri};

use super::body::{own_response, stream, ProxyBody};
use super::fault::{swallow, FaultAction, Injection};
use super::metered::{Exchange, ExchangeHead, MeteredBody};
use super::routing::{normalize_host, ResolvedTarget};
use super::service::{Scheme, ServiceRequest};
use super::traffic::AuthScheme;
use super::ProxyContext;

/// Where a request came from.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// Straight to the proxy port: absolute-form (`GET http://169.254.169.254/...`)
    /// or origin-form with a `Host` header.
    Direct,
    /// Inside a CONNECT tunnel to `host` whose TLS the front door terminated.
    Tunnel { host: String },
}

/// The connection is to be closed without a response (an unreachable host,
/// a reset fault). hyper closes a connection whose service fails.
#[derive(Debug, thiserror::Error)]
#[error("connection closed by the front door: {0}")]
pub(crate) struct Abort(pub String);

pub(crate) async fn dispatch(
    ctx: Arc<ProxyContext>,
    origin: Origin,
    request: Request<Incoming>,
) -> Result<Response<ProxyBody>, Abort> {
    let (mut parts, body) = request.into_parts();
    let host = request_host(&parts, &origin);
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |path| path.as_str().to_owned());
    // Rewrites see the request as the client sent it; the record keeps the
    // client's auth scheme and names the rewrites.
    let auth_scheme = AuthScheme::of_request(&parts.headers, parts.uri.query());
    let asked = parts.method.clone();
    let rewrites = ctx
        .rewrites
        .apply(host.as_deref().unwrap_or_default(), &mut parts);
    let fault = ctx.faults.decide(
        host.as_deref().unwrap_or_default(),
        &parts.method,
        &path,
        &parts.headers,
    );
    // A GET the front door forwarded as HEAD gets the HEAD's headers with an
    // empty body: its Content-Length must not promise the blob's bytes. An
    // answer a fault writes itself has a body and its own length.
    let answered_as_head = asked == hyper::Method::GET
        && parts.method == hyper::Method::HEAD
        && !fault
            .as_ref()
            .is_some_and(|injection| injection.action().writes_the_answer());
    let exchange = Exchange::begin(
        ctx.traffic.clone(),
        ExchangeHead {
            host: host.clone().unwrap_or_default(),
            method: parts.method.to_string(),
            path: path.clone(),
            auth_scheme,
            rewrites,
            fault: fault.as_ref().map(|injection| injection.name().to_owned()),
        },
    );
    prepare_origin_form(&mut parts, &origin, &path);
    let body = BoxBody::new(MeteredBody::request(stream(body), exchange.clone()));
    let body = match &fault {
        Some(injection) => injection.shape_request_body(body),
        None => body,
    };
    let request = Request::from_parts(parts, body);

    let response = match fault.as_ref().map(Injection::action) {
        Some(FaultAction::Respond(canned)) => Some(canned.to_response()),
        Some(FaultAction::AzureError(error)) => Some(error.to_response()),
        Some(FaultAction::Reset) => None,
        Some(FaultAction::Stall) => {
            // Holding the request keeps its body unread, so an upload backs
            // up in the client's socket as it would against a hung server.
            let _unanswered = request;
            ctx.cancel.cancelled().await;
            None
        }
        Some(FaultAction::Blackhole) => {
            swallow(request.into_body()).await;
            ctx.cancel.cancelled().await;
            None
        }
        Some(FaultAction::AckLost(lost)) => {
            match route(&ctx, &origin, host.clone(), request, &exchange).await {
                Some(answer) => {
                    exchange.set_discarded_status(answer.status().as_u16());
                    lost.replace(answer).await
                }
                None => None,
            }
        }
        _ => {
            let response = route(&ctx, &origin, host.clone(), request, &exchange).await;
            if let Some(injection) = fault.as_ref().filter(|i| !i.delay.is_zero()) {
                tokio::time::sleep(injection.delay).await;
            }
            response
        }
    };
    let Some(response) = response else {
        // Dropping the exchange unanswered files it with status 0.
        exchange.set_status(0);
        drop(exchange);
        return Err(Abort(format!(
            "{} {}",
            host.unwrap_or_default(),
            fault.map_or_else(
                || "is unreachable".to_string(),
                |injection| format!("fault `{}`", injection.name())
            )
        )));
    };
    let mut response = response;
    if answered_as_head {
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, hyper::header::HeaderValue::from_static("0"));
    }
    exchange.set_status(response.status().as_u16());
    exchange.expect_response_bytes(
        response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok()),
    );
    let (parts, body) = response.into_parts();
    let body = match &fault {
        Some(injection) => injection.shape_response_body(body),
        None => body,
    };
    Ok(Response::from_parts(
        parts,
        BoxBody::new(MeteredBody::response(body, exchange)),
    ))
}

/// The target's answer, or `None` when the host does not answer at all.
/// A pre-check that answers for an upstream is named in `exchange`.
async fn route(
    ctx: &ProxyContext,
    origin: &Origin,
    host: Option<String>,
    request: Request<ProxyBody>,
    exchange: &Exchange,
) -> Option<Response<ProxyBody>> {
    let Some(host) = host else {
        return Some(own_response(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "front door: the request names no host (no absolute URI, no Host header)\n".into(),
        ));
    };
    let scheme = match origin {
        Origin::Direct => Scheme::Http,
        Origin::Tunnel { .. } => Scheme::Https,
    };
    if scheme == Scheme::Https && request.method() == Method::CONNECT {
        return Some(own_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "bad-request",
            "front door: CONNECT inside a tunnel is not supported\n".into(),
        ));
    }
    Some(match ctx.routes.lookup(&host) {
        Some(ResolvedTarget::Upstream(upstream)) => {
            let (parts, body) = request.into_parts();
            match ctx.prechecks.answer(&host, &parts, &upstream).await {
                Some((name, answer)) => {
                    exchange.add_rewrite(name);
                    answer
                }
                None => upstream.forward(Request::from_parts(parts, body)).await,
            }
        }
        Some(ResolvedTarget::Service(service)) => {
            service
                .handle(ServiceRequest {
                    host,
                    scheme,
                    request,
                })
                .await
        }
        Some(ResolvedTarget::Unreachable) => return None,
        None => {
            tracing::warn!(%host, "request to an unrouted host refused");
            own_response(
                StatusCode::BAD_GATEWAY,
                "unrouted",
                format!(
                    "front door: no route for host `{host}`; it is not contacted \
                     (nothing leaves loopback). Add a route for it.\n"
                ),
            )
        }
    })
}

/// The host a request is for: the absolute URI's, else the `Host` header's,
/// else the tunnel's.
fn request_host(parts: &Parts, origin: &Origin) -> Option<String> {
    if let Some(host) = parts.uri.host() {
        return Some(normalize_host(host));
    }
    let from_header = parts
        .headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<Authority>().ok())
        .map(|authority| normalize_host(authority.host()));
    match (from_header, origin) {
        (Some(host), _) => Some(host),
        (None, Origin::Tunnel { host }) => Some(host.clone()),
        (None, Origin::Direct) => None,
    }
}

/// Targets expect an origin-form URI and a `Host` header naming the
/// production host, whatever form the client used.
fn prepare_origin_form(parts: &mut Parts, origin: &Origin, path: &str) {
    if !parts.headers.contains_key(HOST) {
        let host = match (parts.uri.authority(), origin) {
            (Some(authority), _) => Some(authority.as_str().to_owned()),
            // Normalised IPv6 hosts lost their brackets; a Host header needs them.
            (None, Origin::Tunnel { host }) if host.contains(':') => Some(format!("[{host}]")),
            (None, Origin::Tunnel { host }) => Some(host.clone()),
            (None, Origin::Direct) => None,
        };
        if let Some(value) = host.and_then(|host| HeaderValue::from_str(&host).ok()) {
            parts.headers.insert(HOST, value);
        }
    }
    if parts.uri.scheme().is_some() {
        // `path` came from this very URI, so it parses; "/" is the fallback
        // only for a URI with no path at all.
        parts.uri = path
            .parse::<PathAndQuery>()
            .map(Uri::from)
            .unwrap_or_else(|_| Uri::from_static("/"));
    }
}
