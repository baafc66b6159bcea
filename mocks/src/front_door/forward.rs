//! Forwarding to a real server on loopback (Azurite, a token server): the
//! request leaves with its method, path, query, end-to-end headers and its
//! original `Host` (Azurite names the account after it), and both bodies
//! stream through without being collected. No decompression, no redirects:
//! the client sees what the upstream said.

use std::net::IpAddr;
use std::time::Duration;

use hyper::header::HOST;
use hyper::http::Extensions;
use hyper::{Request, Response, StatusCode, Uri, Version};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::RootCertStore;
use url::{Position, Url};

use super::body::{error_chain, own_response, stream, ProxyBody};
use super::error::RouteError;
use super::headers;

/// Loopback connects either succeed at once or never will.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Below Node's default 5 s keep-alive timeout, so the pool drops an idle
/// connection to Azurite before Azurite closes it under a request.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(3);

/// One upstream server and the connection pool to it.
pub(crate) struct Upstream {
    base: Url,
    /// `https://127.0.0.1:10000` plus the base path without its trailing `/`.
    prefix: String,
    client: Client<HttpsConnector<HttpConnector>, ProxyBody>,
}

impl Upstream {
    pub(crate) fn new(base: Url, tls_roots: RootCertStore) -> Result<Self, RouteError> {
        let invalid = || RouteError::InvalidUpstream {
            base: base.to_string(),
        };
        if !matches!(base.scheme(), "http" | "https")
            || base.query().is_some()
            || base.fragment().is_some()
        {
            return Err(invalid());
        }
        let loopback = match base.host().ok_or_else(invalid)? {
            url::Host::Ipv4(ip) => IpAddr::V4(ip).is_loopback(),
            url::Host::Ipv6(ip) => IpAddr::V6(ip).is_loopback(),
            url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        };
        if !loopback {
            return Err(RouteError::NotLoopback {
                base: base.to_string(),
            });
        }
        let prefix = format!(
            "{}{}",
            &base[..Position::AfterPort],
            base.path().trim_end_matches('/')
        );

        let tls = crate::pki::client_tls(tls_roots).map_err(|source| RouteError::Tls {
            base: base.to_string(),
            source,
        })?;
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        Ok(Self {
            base,
            prefix,
            client,
        })
    }

    /// Sends `request` (origin-form URI, `Host` already set) upstream and
    /// returns the upstream's response, or a 502 written by the front door
    /// when the upstream cannot be reached.
    pub(crate) async fn forward(&self, request: Request<ProxyBody>) -> Response<ProxyBody> {
        let (mut parts, body) = request.into_parts();
        let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
        let host = parts
            .headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned();
        parts.uri = match format!("{}{path}", self.prefix).parse::<Uri>() {
            Ok(uri) => uri,
            Err(error) => {
                return own_response(
                    StatusCode::BAD_REQUEST,
                    "bad-request",
                    format!("front door: cannot forward path `{path}`: {error}\n"),
                )
            }
        };
        parts.version = Version::HTTP_11;
        // Extensions belong to the client connection (upgrade handles and
        // the like), not to the upstream request.
        parts.extensions = Extensions::new();
        headers::for_upstream(&mut parts.headers);

        match self.client.request(Request::from_parts(parts, body)).await {
            Ok(response) => {
                let (mut parts, body) = response.into_parts();
                headers::strip_hop_by_hop(&mut parts.headers);
                Response::from_parts(parts, stream(body))
            }
            Err(error) => {
                tracing::warn!(upstream = %self.base, %host, error = %error_chain(&error), "upstream request failed");
                own_response(
                    StatusCode::BAD_GATEWAY,
                    "upstream-error",
                    format!(
                        "front door: upstream {} for host `{host}` failed: {}\n",
                        self.base,
                        error_chain(&error)
                    ),
                )
            }
        }
    }
}
