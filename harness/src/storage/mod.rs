//! Talking to Blob storage directly (not through a registry): creating the
//! registry's container, and reading back what a registry wrote, to prove
//! its data landed in Azure Blob storage.

pub use regmatrix_mocks::azure_storage::shared_key::{sign_request, StorageAccount};

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// With the causes (`error sending request` alone does not say whether
    /// the connection was refused, reset or timed out).
    #[error(
        "blob storage request {method} {path} failed: {}",
        regmatrix_mocks::front_door::body::error_chain(source)
    )]
    Transport {
        method: String,
        path: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("blob storage answered {status} to {method} {path}: {code}")]
    Status {
        method: String,
        path: String,
        status: u16,
        code: String,
    },
    #[error("cannot build the storage client: {0}")]
    Client(String),
}

/// A shared-key client for one account, reaching the emulator at `endpoint`
/// under the account's production host name.
#[derive(Clone)]
pub struct BlobStorageClient {
    account: StorageAccount,
    http: reqwest::Client,
}

impl BlobStorageClient {
    pub fn new(
        account: StorageAccount,
        endpoint: SocketAddr,
        roots: rustls::RootCertStore,
    ) -> Result<Self, StorageError> {
        let tls = regmatrix_mocks::pki::client_tls(roots)
            .map_err(|e| StorageError::Client(e.to_string()))?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .no_proxy()
            .resolve(&account.host(), endpoint)
            .build()
            .map_err(|e| StorageError::Client(e.to_string()))?;
        Ok(BlobStorageClient { account, http })
    }

    pub fn account(&self) -> &StorageAccount {
        &self.account
    }

    fn url(&self, path: &str, port: u16) -> String {
        format!("https://{}:{port}{path}", self.account.host())
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        port: u16,
    ) -> Result<reqwest::Response, StorageError> {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let headers = [
            ("x-ms-date", date.as_str()),
            ("x-ms-version", "2021-12-02"),
            ("Content-Length", "0"),
        ];
        let authorization = sign_request(&self.account, method.as_str(), path_and_query, &headers);
        let mut request = self
            .http
            .request(method.clone(), self.url(path_and_query, port))
            .header("Authorization", authorization);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
            .send()
            .await
            .map_err(|source| StorageError::Transport {
                method: method.to_string(),
                path: path_and_query.to_string(),
                source,
            })
    }

    /// A GET that storage answered with success; anything else is the error.
    async fn get_ok(&self, path: &str, port: u16) -> Result<reqwest::Response, StorageError> {
        let response = self.send(reqwest::Method::GET, path, port).await?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            return Err(status_error("GET", path, status, &response));
        }
        Ok(response)
    }

    /// Creates `container`; an existing one is fine.
    pub async fn create_container(&self, container: &str, port: u16) -> Result<(), StorageError> {
        let path = format!("/{container}?restype=container");
        let response = self.send(reqwest::Method::PUT, &path, port).await?;
        match response.status().as_u16() {
            201 | 409 => Ok(()),
            status => Err(status_error("PUT", &path, status, &response)),
        }
    }

    /// Every blob name in `container` (following continuation markers).
    pub async fn list_blob_names(
        &self,
        container: &str,
        port: u16,
    ) -> Result<Vec<String>, StorageError> {
        let mut names = Vec::new();
        let mut marker = String::new();
        loop {
            let mut path = format!("/{container}?comp=list&restype=container");
            if !marker.is_empty() {
                path.push_str(&format!("&marker={marker}"));
            }
            let response = self.get_ok(&path, port).await?;
            let body = String::from_utf8_lossy(&read_body(response, &path).await?).into_owned();
            names.extend(xml_values(&body, "Name"));
            marker = xml_values(&body, "NextMarker")
                .into_iter()
                .next()
                .unwrap_or_default();
            if marker.is_empty() {
                return Ok(names);
            }
        }
    }

    /// Deletes one blob; one that is already gone is fine.
    pub async fn delete_blob(
        &self,
        container: &str,
        blob: &str,
        port: u16,
    ) -> Result<(), StorageError> {
        let path = format!("/{container}/{}", encode_blob_name(blob));
        let response = self.send(reqwest::Method::DELETE, &path, port).await?;
        match response.status().as_u16() {
            202 | 404 => Ok(()),
            status => Err(status_error("DELETE", &path, status, &response)),
        }
    }

    /// Deletes every blob in `container` and returns how many there were
    /// (the bench empties the store between rows, so Azurite's data
    /// directory holds one row's blobs at a time).
    pub async fn delete_all(&self, container: &str, port: u16) -> Result<usize, StorageError> {
        let names = self.list_blob_names(container, port).await?;
        for name in &names {
            self.delete_blob(container, name, port).await?;
        }
        Ok(names.len())
    }

    /// One object as Blob storage holds it: Get Blob Properties for its
    /// type and size, and its bytes when there are at most `content_limit`
    /// of them; `None` when there is no such blob.
    pub async fn blob_object(
        &self,
        container: &str,
        blob: &str,
        port: u16,
        content_limit: u64,
    ) -> Result<Option<StoredObject>, StorageError> {
        let path = format!("/{container}/{}", encode_blob_name(blob));
        let head = self.send(reqwest::Method::HEAD, &path, port).await?;
        match head.status().as_u16() {
            404 => return Ok(None),
            status if !(200..300).contains(&status) => {
                return Err(status_error("HEAD", &path, status, &head))
            }
            _ => {}
        }
        let header = |name: &str| {
            head.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let blob_type = header("x-ms-blob-type");
        let size: u64 = header("content-length").parse().unwrap_or_default();
        let content = if size <= content_limit {
            let response = self.get_ok(&path, port).await?;
            Some(String::from_utf8_lossy(&read_body(response, &path).await?).into_owned())
        } else {
            None
        };
        Ok(Some(StoredObject {
            blob_type,
            size,
            content,
        }))
    }

    /// Reads a blob and returns its size and `sha256:` digest, streaming.
    pub async fn blob_digest(
        &self,
        container: &str,
        blob: &str,
        port: u16,
    ) -> Result<(u64, String), StorageError> {
        let path = format!("/{container}/{}", encode_blob_name(blob));
        let response = self.get_ok(&path, port).await?;
        crate::digest::hash_body(response)
            .await
            .map_err(|source| StorageError::Transport {
                method: "GET".into(),
                path,
                source,
            })
    }
}

fn status_error(
    method: &str,
    path: &str,
    status: u16,
    response: &reqwest::Response,
) -> StorageError {
    let code = response
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("(no x-ms-error-code)")
        .to_string();
    StorageError::Status {
        method: method.into(),
        path: path.into(),
        status,
        code,
    }
}

/// The text of every `<tag>...</tag>` element (List Blobs XML; names here are
/// registry paths, which need no entity decoding beyond the basic five).
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(value, _)| value))
        .map(|v| {
            v.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

/// Percent-encodes a blob name for a URL path, keeping `/` (a leading `/`
/// stays: 2.8's driver writes names that start with one).
/// A GET response's whole body.
async fn read_body(response: reqwest::Response, path: &str) -> Result<bytes::Bytes, StorageError> {
    response
        .bytes()
        .await
        .map_err(|source| StorageError::Transport {
            method: "GET".into(),
            path: path.to_string(),
            source,
        })
}

/// A blob as storage reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// `x-ms-blob-type`: `BlockBlob`, `AppendBlob` or `PageBlob`.
    pub blob_type: String,
    pub size: u64,
    /// The bytes as text, when small enough to read.
    pub content: Option<String>,
}

fn encode_blob_name(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
