//! The benchmark's "physical limit" baseline: blobs written to and read from
//! Azurite directly with Microsoft's own Rust SDK (`azure_storage_blob`),
//! with no registry in between. A registry cannot move blob bytes faster than
//! this, so its numbers are read against these.
//!
//! The SDK has no Shared Key credential, so every URL carries an account SAS
//! that this module signs with the account key. The SDK's built-in transport
//! is reqwest 0.13 with webpki roots; it is replaced by the harness's own
//! reqwest 0.12 client, which trusts the harness CA and resolves the
//! account's production host name to Azurite, as every other harness client
//! does.
//!
//! Everything streams: uploads keep at most [`UPLOAD_CONCURRENCY`] pieces in
//! flight, and a download is one GET hashed as its body arrives, so 1 GiB
//! blobs never sit in memory whole.

use std::net::SocketAddr;
use std::num::NonZero;
use std::sync::Arc;
use std::time::Duration;

use azure_core::http::{
    headers::{HeaderName, HeaderValue, Headers},
    AsyncRawResponse, Body, ClientOptions, HttpClient, Request, Transport, Url,
};
use azure_storage_blob::models::{BlobClientDownloadOptions, BlockLookupList};
use azure_storage_blob::{BlobClient, BlobClientOptions, BlockBlobClient, BlockBlobClientOptions};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::storage::StorageAccount;

/// Blocks staged at once. Each holds one piece in memory, so this bounds the
/// upload's memory to this many pieces; Azurite (one Node process) stops
/// getting faster beyond a few concurrent writers.
pub const UPLOAD_CONCURRENCY: usize = 4;

/// Block IDs per blob, and the largest block, that Azure accepts.
const MAX_BLOCKS: usize = 50_000;
const MAX_BLOCK_BYTES: usize = 4000 * 1024 * 1024;

/// The download's one range: as large as a block blob can be, so the SDK's
/// partitioned download never splits the blob. It then streams the single
/// response as it arrives instead of filling one buffer per extra range
/// (measured on Azurite: one stream was as fast as 4 or 8 parallel 8 MiB
/// ranges, with no buffering).
const WHOLE_BLOB_RANGE: usize = MAX_BLOCKS * MAX_BLOCK_BYTES;

/// The signed version whose account-SAS string-to-sign this module writes
/// (the layout of 2020-12-06 and later, with the encryption-scope field).
const SAS_VERSION: &str = "2021-12-02";

/// How long each signed URL stays valid. A fresh SAS is signed per
/// operation, so this only has to outlast one 1 GiB transfer.
const SAS_LIFETIME: time::Duration = time::Duration::hours(2);

#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    #[error("the storage account key of {account} is not valid base64: {source}")]
    AccountKey {
        account: String,
        #[source]
        source: base64::DecodeError,
    },
    #[error("cannot build the TLS configuration for direct blob access: {0}")]
    Tls(#[source] rustls::Error),
    #[error("cannot build the HTTP client for direct blob access: {0}")]
    Http(#[source] reqwest::Error),
    #[error("cannot form a blob URL for {what}: {source}")]
    BaseUrl {
        what: String,
        #[source]
        source: <Url as std::str::FromStr>::Err,
    },
    /// A container or blob name the harness itself refuses (its own words).
    #[error("cannot form a blob URL for {what}: {reason}")]
    Url { what: String, reason: String },
    #[error("cannot format the SAS expiry time: {0}")]
    SasTime(#[source] time::error::Format),
    #[error("{blob} has more than {MAX_BLOCKS} pieces, the most one block blob can hold")]
    TooManyBlocks { blob: String },
    #[error("a piece of {blob} has {len} bytes; one block holds at most {MAX_BLOCK_BYTES}")]
    PieceTooLarge { blob: String, len: usize },
    #[error("{operation} {target}: the service answered HTTP {status} {code}")]
    Service {
        operation: &'static str,
        target: String,
        status: u16,
        code: String,
    },
    #[error("{operation} {target} failed: {source}")]
    Sdk {
        operation: &'static str,
        target: String,
        // Boxed: the SDK's error is large, and every result here carries it.
        #[source]
        source: Box<azure_core::Error>,
    },
}

/// Writes and reads blobs in one account on Azurite, through the SDK.
pub struct DirectBlobClient {
    account_name: String,
    key: Vec<u8>,
    /// `https://<account>.blob.core.windows.net:<port>/`
    base: Url,
    transport: Transport,
}

impl DirectBlobClient {
    pub fn new(
        account: &StorageAccount,
        endpoint: SocketAddr,
        roots: rustls::RootCertStore,
    ) -> Result<Self, DirectError> {
        let key =
            STANDARD
                .decode(&account.key_base64)
                .map_err(|source| DirectError::AccountKey {
                    account: account.name.clone(),
                    source,
                })?;
        let tls = regmatrix_mocks::pki::client_tls(roots).map_err(DirectError::Tls)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .no_proxy()
            .resolve(&account.host(), endpoint)
            // The SDK's own client does not follow redirects either; a
            // redirect from storage is an error to report, not to chase.
            .redirect(reqwest::redirect::Policy::none())
            // A stuck emulator should fail the benchmark, not hang it.
            .connect_timeout(Duration::from_secs(20))
            .read_timeout(Duration::from_secs(120))
            .build()
            .map_err(DirectError::Http)?;
        let base_text = format!("https://{}:{}/", account.host(), endpoint.port());
        let base = Url::parse(&base_text).map_err(|source| DirectError::BaseUrl {
            what: base_text.clone(),
            source,
        })?;
        Ok(DirectBlobClient {
            account_name: account.name.clone(),
            key,
            base,
            transport: Transport::new(Arc::new(HarnessHttpClient(http))),
        })
    }

    fn client_options(&self) -> ClientOptions {
        ClientOptions {
            transport: Some(self.transport.clone()),
            ..Default::default()
        }
    }

    /// The SAS-signed URL of a container, or of a blob in it.
    fn signed_url(&self, container: &str, blob: Option<&str>) -> Result<Url, DirectError> {
        let what = match blob {
            Some(blob) => format!("{container}/{blob}"),
            None => container.to_string(),
        };
        let mut url =
            resource_url(&self.base, container, blob).map_err(|reason| DirectError::Url {
                what: what.clone(),
                reason,
            })?;
        let expiry = format_sas_time(time::OffsetDateTime::now_utc() + SAS_LIFETIME)
            .map_err(DirectError::SasTime)?;
        let sas = AccountSas::read_write_blobs(&expiry);
        url.query_pairs_mut()
            .extend_pairs(sas.query_pairs(&self.account_name, &self.key));
        Ok(url)
    }

    /// Stages each piece as a block, then commits the block list. Returns bytes written.
    pub async fn upload(
        &self,
        container: &str,
        blob: &str,
        pieces: impl Iterator<Item = Bytes> + Send,
    ) -> Result<u64, DirectError> {
        let target = format!("{container}/{blob}");
        let client = BlockBlobClient::new(
            self.signed_url(container, Some(blob))?,
            None,
            Some(BlockBlobClientOptions {
                client_options: self.client_options(),
                ..Default::default()
            }),
        )
        .map_err(|source| sdk_error("create block blob client", &target, source))?;
        let client = &client;
        let target_ref = &target;
        // Azure refuses empty blocks; an empty piece adds nothing anyway.
        let staged: Vec<([u8; 8], u64)> =
            futures_util::stream::iter(pieces.filter(|piece| !piece.is_empty()).enumerate())
                .map(|(index, piece)| async move {
                    if index >= MAX_BLOCKS {
                        return Err(DirectError::TooManyBlocks {
                            blob: target_ref.clone(),
                        });
                    }
                    if piece.len() > MAX_BLOCK_BYTES {
                        return Err(DirectError::PieceTooLarge {
                            blob: target_ref.clone(),
                            len: piece.len(),
                        });
                    }
                    let id = block_id(index);
                    let len = piece.len() as u64;
                    client
                        .stage_block(&id, len, piece.into(), None)
                        .await
                        .map_err(|source| sdk_error("Put Block", target_ref, source))?;
                    Ok((id, len))
                })
                // In order, so the block list comes out in piece order without
                // sorting; at most UPLOAD_CONCURRENCY pieces are held at once.
                .buffered(UPLOAD_CONCURRENCY)
                .try_collect()
                .await?;
        let written = staged.iter().map(|(_, len)| len).sum();
        let list = BlockLookupList {
            latest: Some(staged.iter().map(|(id, _)| id.to_vec()).collect()),
            ..Default::default()
        };
        let body = list
            .try_into()
            .map_err(|source| sdk_error("encode block list for", &target, source))?;
        client
            .commit_block_list(body, None)
            .await
            .map_err(|source| sdk_error("Put Block List", &target, source))?;
        Ok(written)
    }

    /// Downloads streaming, hashing as it goes.
    pub async fn download_digest(
        &self,
        container: &str,
        blob: &str,
    ) -> Result<(u64, String), DirectError> {
        let target = format!("{container}/{blob}");
        let client = self.blob_client(container, blob, &target)?;
        let options = BlobClientDownloadOptions {
            parallel: NonZero::new(1),
            partition_size: NonZero::new(WHOLE_BLOB_RANGE),
            ..Default::default()
        };
        let mut body = client
            .download(Some(options))
            .await
            .map_err(|source| sdk_error("Get Blob", &target, source))?
            .body;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|source| sdk_error("read body of", &target, source))?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        Ok((size, crate::digest::finish(hasher)))
    }

    fn blob_client(
        &self,
        container: &str,
        blob: &str,
        target: &str,
    ) -> Result<BlobClient, DirectError> {
        BlobClient::new(
            self.signed_url(container, Some(blob))?,
            None,
            Some(BlobClientOptions {
                client_options: self.client_options(),
                ..Default::default()
            }),
        )
        .map_err(|source| sdk_error("create blob client", target, source))
    }
}

/// A service answer becomes its status and error code only: the SDK's own
/// message for it repeats the whole XML error body.
fn sdk_error(operation: &'static str, target: &str, source: azure_core::Error) -> DirectError {
    match source.kind() {
        azure_core::error::ErrorKind::HttpResponse {
            status, error_code, ..
        } => DirectError::Service {
            operation,
            target: target.to_string(),
            status: u16::from(*status),
            code: error_code
                .clone()
                .unwrap_or_else(|| "(no error code)".to_string()),
        },
        _ => DirectError::Sdk {
            operation,
            target: target.to_string(),
            source: Box::new(source),
        },
    }
}

/// Block IDs must all have the same length within a blob; a fixed-width
/// big-endian index also keeps them unique and in piece order.
fn block_id(index: usize) -> [u8; 8] {
    (index as u64).to_be_bytes()
}

/// `base` with the container and blob name as percent-encoded path segments.
/// A `/` in a blob name stays a separator (Azure's virtual directories), and
/// a leading `/` stays too: distribution 2.8 writes names that start with one.
fn resource_url(base: &Url, container: &str, blob: Option<&str>) -> Result<Url, String> {
    if container.is_empty() {
        return Err("the container name is empty".into());
    }
    if blob == Some("") {
        return Err("the blob name is empty".into());
    }
    let mut url = base.clone();
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| format!("{base} cannot take a path"))?;
        segments.pop_if_empty().push(container);
        if let Some(blob) = blob {
            segments.extend(blob.split('/'));
        }
    }
    Ok(url)
}

/// ISO 8601 UTC to the second, the form Azure documents for `se` and `st`.
fn format_sas_time(at: time::OffsetDateTime) -> Result<String, time::error::Format> {
    at.to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
}

/// An account SAS: the fields that enter its signature, in the order of the
/// string-to-sign Microsoft documents for signed version 2020-12-06 and later
/// ("Create an account SAS"). Empty means "not given".
struct AccountSas<'a> {
    permissions: &'a str,
    services: &'a str,
    resource_types: &'a str,
    start: &'a str,
    expiry: &'a str,
    ip: &'a str,
    protocol: &'a str,
    version: &'a str,
    encryption_scope: &'a str,
}

impl<'a> AccountSas<'a> {
    /// Blob service only; service, container and object level; read, write,
    /// delete, list, add, create; HTTPS only.
    fn read_write_blobs(expiry: &'a str) -> Self {
        AccountSas {
            permissions: "rwdlac",
            services: "b",
            resource_types: "sco",
            start: "",
            expiry,
            ip: "",
            protocol: "https",
            version: SAS_VERSION,
            encryption_scope: "",
        }
    }

    fn string_to_sign(&self, account: &str) -> String {
        // Every field ends with a newline, including the last.
        [
            account,
            self.permissions,
            self.services,
            self.resource_types,
            self.start,
            self.expiry,
            self.ip,
            self.protocol,
            self.version,
            self.encryption_scope,
        ]
        .iter()
        .fold(String::new(), |mut text, field| {
            text.push_str(field);
            text.push('\n');
            text
        })
    }

    /// The SAS query parameters, `sig` included, unencoded (the URL encodes them).
    fn query_pairs(&self, account: &str, key: &[u8]) -> Vec<(&'static str, String)> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(self.string_to_sign(account).as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        let optional = [
            ("st", self.start),
            ("sip", self.ip),
            ("spr", self.protocol),
            ("ses", self.encryption_scope),
        ];
        [
            ("sv", self.version),
            ("ss", self.services),
            ("srt", self.resource_types),
            ("sp", self.permissions),
            ("se", self.expiry),
        ]
        .into_iter()
        .chain(optional.into_iter().filter(|(_, value)| !value.is_empty()))
        .map(|(name, value)| (name, value.to_string()))
        .chain(std::iter::once(("sig", signature)))
        .collect()
    }
}

/// The SDK's transport over the harness's reqwest 0.12 client (the SDK's own
/// is reqwest 0.13 and cannot take the harness CA or the host resolution).
#[derive(Debug)]
struct HarnessHttpClient(reqwest::Client);

#[async_trait::async_trait]
impl HttpClient for HarnessHttpClient {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        use azure_core::error::ErrorKind;
        let method = reqwest::Method::from_bytes(request.method().as_ref().as_bytes())
            .map_err(|e| azure_core::Error::new(ErrorKind::Other, e))?;
        let mut builder = self.0.request(method, request.url().as_str());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder = match request.body() {
            // Bytes clones share the buffer: a retry resends without a copy.
            Body::Bytes(bytes) => builder.body(bytes.clone()),
            Body::SeekableStream(stream) => {
                builder.body(reqwest::Body::wrap_stream(stream.clone()))
            }
        };
        let response = builder.send().await.map_err(|e| {
            // Connection and I/O errors are the ones the SDK's retry policy retries.
            let kind = if e.is_connect() {
                ErrorKind::Connection
            } else {
                ErrorKind::Io
            };
            azure_core::Error::new(kind, e)
        })?;
        let status = response.status().as_u16().into();
        let mut headers = Headers::new();
        for (name, value) in response.headers() {
            // Storage headers are ASCII; a header that is not is none the SDK reads.
            if let Ok(value) = value.to_str() {
                headers.insert(
                    HeaderName::from(name.as_str().to_string()),
                    HeaderValue::from(value.to_string()),
                );
            }
        }
        let body = response
            .bytes_stream()
            .map_err(|e| azure_core::Error::new(ErrorKind::Io, e));
        Ok(AsyncRawResponse::new(status, headers, Box::pin(body)))
    }
}

#[cfg(test)]
mod tests;
