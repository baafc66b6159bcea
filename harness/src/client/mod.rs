//! A typed client for the OCI distribution API, as docker and oras use it:
//! blob uploads (monolithic, chunked, cross-repo mount), manifests, tags,
//! catalog, delete, and the Bearer challenge flow. It keeps the registry's
//! own error codes and `WWW-Authenticate` values intact: they are evidence.
//! Split by concern: `auth` (challenges and tokens), `blobs` (reads and
//! mounts), `uploads`, `manifests`, `listing`.

pub mod auth;
mod blobs;
mod error;
mod listing;
mod manifests;
mod upload_mode;
mod uploads;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use auth::{Challenge, Credentials};
pub use blobs::{BlobHead, BlobRead, RangeRead};
pub use error::{ClientError, RegistryError, RegistryErrorEntry};
pub use listing::{next_link, Listing};
pub use manifests::{
    image_manifest, manifest_references, ManifestDescriptor, ManifestExtras, ManifestHead,
    Referrer, ReferrersList, OCI_INDEX, OCI_MANIFEST,
};
pub use upload_mode::{UploadMode, UploadModeError};
pub use uploads::UploadProgress;

/// One HTTP exchange the client made, for the observation log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
    pub duration_ms: u64,
}

#[derive(Clone, Default)]
pub struct ExchangeLog(Arc<Mutex<Vec<Exchange>>>);

impl ExchangeLog {
    fn push(&self, exchange: Exchange) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(exchange);
    }

    /// Takes the exchanges recorded so far.
    pub fn drain(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[derive(Clone)]
pub struct ClientConfig {
    /// `http://127.0.0.1:PORT` of the registry.
    pub base_url: String,
    /// The forward proxy for every non-loopback host (blob redirects, token realms).
    pub proxy_url: Option<String>,
    /// Roots trusted for HTTPS (the harness CA).
    pub roots: rustls::RootCertStore,
    pub credentials: Option<Credentials>,
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct RegistryClient {
    base_url: String,
    http: reqwest::Client,
    auth: auth::Authenticator,
    log: ExchangeLog,
}

impl RegistryClient {
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let tls = regmatrix_mocks::pki::client_tls(config.roots)
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::limited(5));
        builder = match &config.proxy_url {
            Some(proxy) => builder.proxy(
                reqwest::Proxy::all(proxy)
                    .map_err(|e| ClientError::Setup(e.to_string()))?
                    .no_proxy(reqwest::NoProxy::from_string("127.0.0.1,localhost,::1")),
            ),
            None => builder.no_proxy(),
        };
        let http = builder
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(RegistryClient {
            base_url: config.base_url.trim_end_matches('/').to_string(),
            auth: auth::Authenticator::new(http.clone(), config.credentials),
            http,
            log: ExchangeLog::default(),
        })
    }

    pub fn exchanges(&self) -> &ExchangeLog {
        &self.log
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Resolves a `Location` header, which may be relative to the registry.
    fn resolve_location(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            self.url(location)
        }
    }

    /// Sends a request built by `build` (called again for a retry after a
    /// Bearer challenge, so streaming bodies are regenerated), recording it.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        build: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let mut retried = false;
        loop {
            let mut request = build(self.http.request(method.clone(), url));
            if let Some(token) = self.auth.token_for(url) {
                request = request.bearer_auth(token);
            } else if let Some(basic) = self.auth.basic() {
                request = request.basic_auth(&basic.username, Some(&basic.password));
            }
            let started = Instant::now();
            let result = request.send().await;
            let path = path_of(url);
            self.log.push(Exchange {
                method: method.to_string(),
                path: path.clone(),
                status: result.as_ref().ok().map(|r| r.status().as_u16()),
                duration_ms: started.elapsed().as_millis() as u64,
            });
            let response = result.map_err(|source| ClientError::Transport {
                method: method.to_string(),
                path,
                source,
            })?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && !retried {
                if let Some(challenge) = auth::bearer_challenge(&response) {
                    self.auth.fetch_token(url, &challenge).await?;
                    retried = true;
                    continue;
                }
            }
            return Ok(response);
        }
    }

    /// `GET /v2/`: the API version check.
    pub async fn ping(&self) -> Result<u16, ClientError> {
        let url = self.url("/v2/");
        let response = self.send(reqwest::Method::GET, &url, |r| r).await?;
        let status = response.status().as_u16();
        error::expect_status(response, "GET", &url, &[200]).await?;
        Ok(status)
    }
}

/// A response header as text, when present and readable.
fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `Content-Length` from the header itself: a HEAD has no body, so the
/// body's size hint says nothing.
fn content_length(response: &reqwest::Response) -> Option<u64> {
    header(response, reqwest::header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse().ok())
}

/// A whole response body; a connection lost while reading it is a
/// transport error of the `method` to `url`.
async fn read_body(
    response: reqwest::Response,
    method: &str,
    url: &str,
) -> Result<bytes::Bytes, ClientError> {
    response
        .bytes()
        .await
        .map_err(|source| ClientError::Transport {
            method: method.into(),
            path: path_of(url),
            source,
        })
}

fn path_of(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or_else(|| "/".into()),
        None => url.to_string(),
    }
}
