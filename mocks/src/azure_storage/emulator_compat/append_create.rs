//! The pre-check for AppendBlob Create over a blob of another type (the
//! divergence is described in `emulator_compat`): before the request reaches
//! Azurite, a HEAD of the same URL reads the existing blob's type, and a
//! block or page blob gets Azure's 409 InvalidBlobType.
//!
//! It must never write, and never answer a request it cannot judge: another
//! account, a credential the HEAD cannot carry, or a HEAD that does not
//! answer 200 all leave the request to Azurite. The HEAD carries the
//! request's own credential and conditions, so it succeeds only where the
//! request itself would get past them; a request that Azure would refuse
//! for its credential or a condition is still refused by Azurite, not
//! answered 409 here. Reading and forwarding are two steps, not one atomic
//! step as on Azure: a write by another client in between gets Azurite's
//! behaviour.

use hyper::header::{HeaderValue, AUTHORIZATION, HOST};
use hyper::http::request::Parts;
use hyper::{Method, Request, StatusCode};

#[cfg(test)]
use super::super::shared_key::PUBLIC_REALM;
use super::super::shared_key::{sign_headers, BlobEndpoint, StorageAccount};
use super::names_a_blob;
use crate::front_door::{AuthScheme, AzureError, PrecheckFuture, Probe, RequestPrecheck};

/// What the HEAD copies from the request, besides its credential: the date
/// and version a Shared Key signature covers, and the conditions, so the
/// HEAD fails where the request would fail them.
const CARRIED: [&str; 9] = [
    "date",
    "x-ms-date",
    "x-ms-version",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "x-ms-if-tags",
    "x-ms-lease-id",
];

/// Answers AppendBlob Create for one account with 409 InvalidBlobType when
/// the blob exists and is not an append blob.
pub struct AppendCreateOverBlockBlob {
    account: StorageAccount,
    host: String,
}

/// How the HEAD is authorised, from the request's own credential.
enum Credential {
    /// A Shared Key signature covers the method, so the HEAD is signed anew
    /// with the account's key.
    SharedKey,
    /// A bearer token is not bound to the method: the same header serves.
    Bearer(HeaderValue),
    /// A SAS travels in the query, which the HEAD keeps.
    Sas,
}

impl AppendCreateOverBlockBlob {
    pub fn new(endpoint: BlobEndpoint) -> Self {
        AppendCreateOverBlockBlob {
            account: endpoint.account,
            host: endpoint.host,
        }
    }

    /// The Get Blob Properties to send before `request`, or `None` when
    /// `request` is not an AppendBlob Create this check can judge.
    fn properties_request(&self, host: &str, request: &Parts) -> Option<Request<()>> {
        if request.method != Method::PUT || host != self.host || !is_append_blob_create(request) {
            return None;
        }
        let credential = self.credential(request)?;
        let path_and_query = request.uri.path_and_query()?.as_str();
        let mut head = Request::head(request.uri.clone()).body(()).ok()?;
        if let Some(value) = request.headers.get(HOST) {
            head.headers_mut().insert(HOST, value.clone());
        }
        for name in CARRIED {
            if let Some(value) = request.headers.get(name) {
                head.headers_mut().insert(name, value.clone());
            }
        }
        let authorization = match credential {
            Credential::SharedKey => {
                let value = sign_headers(&self.account, "HEAD", path_and_query, head.headers());
                Some(HeaderValue::from_str(&value).ok()?)
            }
            Credential::Bearer(value) => Some(value),
            Credential::Sas => None,
        };
        if let Some(value) = authorization {
            head.headers_mut().insert(AUTHORIZATION, value);
        }
        Some(head)
    }

    fn credential(&self, request: &Parts) -> Option<Credential> {
        let authorization = request.headers.get(AUTHORIZATION);
        match AuthScheme::of_request(&request.headers, request.uri.query()) {
            AuthScheme::SharedKey => {
                // Only this account's key can sign the HEAD; a signature by
                // another account is Azurite's to refuse.
                let text = authorization?.to_str().ok()?;
                let (_, rest) = text.split_once(' ')?;
                rest.starts_with(&format!("{}:", self.account.name))
                    .then_some(Credential::SharedKey)
            }
            AuthScheme::Bearer => authorization.cloned().map(Credential::Bearer),
            AuthScheme::Sas => Some(Credential::Sas),
            AuthScheme::Basic | AuthScheme::Other | AuthScheme::None => None,
        }
    }
}

/// `PUT <blob>` with `x-ms-blob-type: AppendBlob` and no `comp=`: Append
/// Block, Seal and the rest carry a `comp` and act on the blob in place.
fn is_append_blob_create(request: &Parts) -> bool {
    let append = request
        .headers
        .get("x-ms-blob-type")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"AppendBlob"));
    let has_comp = request.uri.query().is_some_and(|query| {
        query.split('&').any(|pair| {
            pair.split('=')
                .next()
                .is_some_and(|key| key.eq_ignore_ascii_case("comp"))
        })
    });
    append && !has_comp && names_a_blob(request.uri.path())
}

impl RequestPrecheck for AppendCreateOverBlockBlob {
    fn name(&self) -> &'static str {
        "azurite-append-create-over-block-blob"
    }

    fn check<'a>(
        &'a self,
        host: &'a str,
        request: &'a Parts,
        upstream: Probe<'a>,
    ) -> PrecheckFuture<'a> {
        Box::pin(async move {
            let properties = self.properties_request(host, request)?;
            let existing = upstream.send(properties).await;
            if existing.status() != StatusCode::OK {
                return None;
            }
            let blob_type = existing.headers().get("x-ms-blob-type")?;
            if blob_type.as_bytes().eq_ignore_ascii_case(b"AppendBlob") {
                return None;
            }
            // Azurite names its own API version; Azure names the request's.
            let version = request
                .headers
                .get("x-ms-version")
                .or_else(|| existing.headers().get("x-ms-version"));
            Some(AzureError::invalid_blob_type().to_response_in_version(version))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure_storage::shared_key::sign_request;

    const HOST_NAME: &str = "acct.blob.core.windows.net";

    fn account() -> StorageAccount {
        StorageAccount {
            name: "acct".into(),
            key_base64: "a2V5a2V5a2V5".into(),
        }
    }

    fn create(uri: &str, authorization: Option<&str>) -> Parts {
        let mut builder = hyper::Request::put(uri)
            .header("host", HOST_NAME)
            .header("content-length", "0")
            .header("x-ms-blob-type", "AppendBlob")
            .header("x-ms-date", "Sat, 28 Nov 2026 12:00:00 GMT")
            .header("x-ms-version", "2023-11-03")
            .header("if-match", "\"0x1\"");
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_shared_key_create_is_read_first_with_a_head_signed_anew() {
        let check = AppendCreateOverBlockBlob::new(BlobEndpoint::new(account(), PUBLIC_REALM));
        let request = create("/c/docker/x/link?timeout=30", Some("SharedKey acct:sig"));
        let head = check.properties_request(HOST_NAME, &request).unwrap();
        assert_eq!(head.method(), Method::HEAD);
        assert_eq!(head.uri(), "/c/docker/x/link?timeout=30");
        let expected = sign_request(
            &account(),
            "HEAD",
            "/c/docker/x/link?timeout=30",
            &[
                ("host", HOST_NAME),
                ("x-ms-date", "Sat, 28 Nov 2026 12:00:00 GMT"),
                ("x-ms-version", "2023-11-03"),
                ("if-match", "\"0x1\""),
            ],
        );
        assert_eq!(head.headers()["authorization"], expected.as_str());
        assert_eq!(head.headers()["host"], HOST_NAME);
        assert_eq!(head.headers()["if-match"], "\"0x1\"");
        for gone in ["x-ms-blob-type", "content-length"] {
            assert!(!head.headers().contains_key(gone), "{gone}");
        }
    }

    #[test]
    fn bearer_and_sas_creates_lend_the_head_their_own_credential() {
        let check = AppendCreateOverBlockBlob::new(BlobEndpoint::new(account(), PUBLIC_REALM));
        let bearer = create("/c/blob", Some("Bearer token"));
        let head = check.properties_request(HOST_NAME, &bearer).unwrap();
        assert_eq!(head.headers()["authorization"], "Bearer token");

        let sas = create("/c/blob?sv=2023-11-03&sp=rcw&sig=abc", None);
        let head = check.properties_request(HOST_NAME, &sas).unwrap();
        assert_eq!(head.uri(), "/c/blob?sv=2023-11-03&sp=rcw&sig=abc");
        assert!(!head.headers().contains_key("authorization"));
    }

    #[test]
    fn requests_it_cannot_judge_are_left_alone() {
        let check = AppendCreateOverBlockBlob::new(BlobEndpoint::new(account(), PUBLIC_REALM));
        let signed = Some("SharedKey acct:sig");
        for (host, uri, authorization) in [
            (HOST_NAME, "/c/blob?comp=appendblock", signed),
            (HOST_NAME, "/c/blob?comp=seal", signed),
            (HOST_NAME, "/c?restype=container", signed),
            (HOST_NAME, "/c/blob", Some("SharedKey other:sig")),
            (HOST_NAME, "/c/blob", Some("Basic dXNlcjpwYXNz")),
            (HOST_NAME, "/c/blob", None),
            ("other.blob.core.windows.net", "/c/blob", signed),
        ] {
            let request = create(uri, authorization);
            assert!(
                check.properties_request(host, &request).is_none(),
                "{host} {uri} {authorization:?}"
            );
        }
        let mut block = create("/c/blob", signed);
        block
            .headers
            .insert("x-ms-blob-type", HeaderValue::from_static("BlockBlob"));
        assert!(check.properties_request(HOST_NAME, &block).is_none());
        let mut read = create("/c/blob", signed);
        read.method = Method::GET;
        assert!(check.properties_request(HOST_NAME, &read).is_none());
    }
}
