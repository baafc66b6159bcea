//! Where Azurite answers differently from Azure, and the front door makes a
//! request mean to Azurite what it means to Azure, or answers it as Azure
//! would. Each correction (a rewrite, or a pre-check that answers) names the
//! divergence it corrects; the traffic log records every corrected request.
//!
//! Append Block with `x-ms-blob-type: AppendBlob`: the 2.8 registry's storage
//! SDK (azure-sdk-for-go v16 `storage`, API 2016-05-31) sends that header on
//! `PUT ?comp=appendblock`. Azure ignores it and appends. Azurite 3.35's
//! dispatcher scores AppendBlob_Create and AppendBlob_AppendBlock equal for
//! such a request (one required parameter each) and picks Create, which
//! replaces the blob with an empty one (dist/src/blob/generated/middleware/
//! dispatch.middleware.js). Removing the header selects Append Block; the
//! request is re-signed because `x-ms-*` headers are part of the Shared Key
//! signature.

//!
//! Get Blob Metadata (`GET <blob>?comp=metadata`): Azure answers with the
//! metadata headers and no body. Azurite 3.35 has no such operation for a
//! blob and dispatches the request as Get Blob, sending every byte. Azurite
//! itself sends that request to validate a SAS-signed copy source (BlobHandler
//! `validateCopySource`, through axios, which buffers the body and turns it
//! into a string): 3.0.0-alpha.1 signs the source of the copy that commits
//! every upload, so each commit made Azurite read the whole blob back, and a
//! source over 512 MiB failed with 500 ("Cannot create a string longer than
//! 0x1fffffe8 characters"). Forwarding it as HEAD gives Azure's answer: the
//! status and metadata headers, no body. Only SAS-authorised requests are
//! rewritten: a Shared Key signature covers the method.
//!
//! AppendBlob Create (`PUT <blob>` with `x-ms-blob-type: AppendBlob` and no
//! `comp=`) over an existing block blob: Azure refuses it with 409
//! `InvalidBlobType`, "The blob type is invalid for this operation". The Put
//! Blob documentation does not say so; distribution#4871
//! (https://github.com/distribution/distribution/pull/4871) reports it from
//! Azure, where v3.0.0 to v3.1.1 create their PutContent append blob over a
//! block blob an earlier version wrote. A page blob is taken to be refused
//! the same way. Azurite 3.35 checks no type when it creates a blob
//! (`createBlob` in LokiBlobMetadataStore): it replaces the block blob with
//! an empty append blob and answers 201, so on Azurite those versions never
//! met the failure. No rewrite can turn the request into a refusal, because
//! the answer depends on what is stored. So a pre-check reads the blob's
//! type with a HEAD and answers Azure's 409 itself (`append_create.rs`).
//! An AppendBlob Create over an append blob, and a block blob's Put Blob
//! over any blob, replace the blob on Azure as on Azurite and pass
//! untouched.

mod append_create;

use hyper::http::request::Parts;

#[cfg(test)]
use super::shared_key::PUBLIC_REALM;
use super::shared_key::{sign_headers, BlobEndpoint, StorageAccount};
use crate::front_door::RequestRewrite;

pub use append_create::AppendCreateOverBlockBlob;

/// Whether an origin-form path names a blob: a container and a name after
/// it, where a container's own path has none.
fn names_a_blob(path: &str) -> bool {
    path.trim_start_matches('/')
        .split_once('/')
        .is_some_and(|(_, name)| !name.is_empty())
}

/// Re-signs Append Block requests for one account without `x-ms-blob-type`.
pub struct AppendBlockBlobTypeHeader {
    account: StorageAccount,
    host: String,
}

impl AppendBlockBlobTypeHeader {
    pub fn new(endpoint: BlobEndpoint) -> Self {
        AppendBlockBlobTypeHeader {
            account: endpoint.account,
            host: endpoint.host,
        }
    }
}

impl RequestRewrite for AppendBlockBlobTypeHeader {
    fn name(&self) -> &'static str {
        "azurite-append-block-blob-type"
    }

    fn rewrite(&self, host: &str, parts: &mut Parts) -> bool {
        let is_append_block = parts.method == hyper::Method::PUT
            && parts.uri.query().is_some_and(|q| {
                q.split('&')
                    .any(|p| p.eq_ignore_ascii_case("comp=appendblock"))
            });
        let signed_shared_key = parts
            .headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(&format!("SharedKey {}:", self.account.name)));
        if !is_append_block
            || !signed_shared_key
            || host != self.host
            || !parts.headers.contains_key("x-ms-blob-type")
        {
            return false;
        }
        parts.headers.remove("x-ms-blob-type");
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let authorization =
            sign_headers(&self.account, parts.method.as_str(), path, &parts.headers);
        match hyper::header::HeaderValue::from_str(&authorization) {
            Ok(value) => {
                parts.headers.insert(hyper::header::AUTHORIZATION, value);
                true
            }
            Err(_) => false,
        }
    }
}

/// Forwards `GET <blob>?comp=metadata` under a SAS as HEAD.
pub struct BlobMetadataReadAsHead {
    host: String,
}

impl BlobMetadataReadAsHead {
    pub fn new(endpoint: BlobEndpoint) -> Self {
        BlobMetadataReadAsHead {
            host: endpoint.host,
        }
    }
}

impl RequestRewrite for BlobMetadataReadAsHead {
    fn name(&self) -> &'static str {
        "azurite-get-blob-metadata"
    }

    fn rewrite(&self, host: &str, parts: &mut Parts) -> bool {
        let query = parts.uri.query().unwrap_or_default();
        let has = |pair: &str| query.split('&').any(|p| p.eq_ignore_ascii_case(pair));
        // A container's metadata (`restype=container`) Azurite does serve.
        let is_blob = names_a_blob(parts.uri.path());
        let sas = query.split('&').any(|p| p.starts_with("sig="));
        if parts.method != hyper::Method::GET
            || host != self.host
            || !has("comp=metadata")
            || has("restype=container")
            || !is_blob
            || !sas
            || parts.headers.contains_key(hyper::header::AUTHORIZATION)
        {
            return false;
        }
        parts.method = hyper::Method::HEAD;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure_storage::shared_key::sign_request;

    fn account() -> StorageAccount {
        StorageAccount {
            name: "acct".into(),
            key_base64: "a2V5a2V5a2V5".into(),
        }
    }

    fn request(query: &str) -> Parts {
        let (parts, ()) = hyper::Request::put(format!("/c/blob?{query}"))
            .header("content-length", "4")
            .header("x-ms-blob-type", "AppendBlob")
            .header("x-ms-date", "Sat, 28 Nov 2026 12:00:00 GMT")
            .header("x-ms-version", "2016-05-31")
            .header("authorization", "SharedKey acct:original")
            .body(())
            .unwrap()
            .into_parts();
        parts
    }

    #[test]
    fn append_block_loses_the_blob_type_and_is_signed_again() {
        let rewrite = AppendBlockBlobTypeHeader::new(BlobEndpoint::new(account(), PUBLIC_REALM));
        let mut parts = request("comp=appendblock");
        assert!(rewrite.rewrite("acct.blob.core.windows.net", &mut parts));
        assert!(!parts.headers.contains_key("x-ms-blob-type"));
        let expected = sign_request(
            &account(),
            "PUT",
            "/c/blob?comp=appendblock",
            &[
                ("content-length", "4"),
                ("x-ms-date", "Sat, 28 Nov 2026 12:00:00 GMT"),
                ("x-ms-version", "2016-05-31"),
            ],
        );
        assert_eq!(parts.headers["authorization"], expected.as_str());
    }

    #[test]
    fn a_correction_answers_for_the_account_in_its_own_cloud() {
        let gov =
            AppendBlockBlobTypeHeader::new(BlobEndpoint::new(account(), "core.usgovcloudapi.net"));
        let mut there = request("comp=appendblock");
        assert!(gov.rewrite("acct.blob.core.usgovcloudapi.net", &mut there));
        assert!(!there.headers.contains_key("x-ms-blob-type"));
        let mut public = request("comp=appendblock");
        assert!(!gov.rewrite("acct.blob.core.windows.net", &mut public));
        assert!(public.headers.contains_key("x-ms-blob-type"));
        let china =
            AppendBlockBlobTypeHeader::new(BlobEndpoint::new(account(), "core.chinacloudapi.cn"));
        let mut there = request("comp=appendblock");
        assert!(china.rewrite("acct.blob.core.chinacloudapi.cn", &mut there));
        assert!(!there.headers.contains_key("x-ms-blob-type"));
        let mut gov_request = request("comp=appendblock");
        assert!(!china.rewrite("acct.blob.core.usgovcloudapi.net", &mut gov_request));
    }

    fn get(uri: &str, authorization: Option<&str>) -> Parts {
        let mut builder = hyper::Request::get(uri);
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn sas_blob_metadata_reads_go_as_head_and_nothing_else_does() {
        let rewrite = BlobMetadataReadAsHead::new(BlobEndpoint::new(account(), PUBLIC_REALM));
        let host = "acct.blob.core.windows.net";
        let mut validation = get("/c/docker/_uploads/u/data?se=x&sig=abc&comp=metadata", None);
        assert!(rewrite.rewrite(host, &mut validation));
        assert_eq!(validation.method, hyper::Method::HEAD);
        for (uri, authorization) in [
            ("/c/blob?sig=abc", None),
            ("/c?restype=container&comp=metadata&sig=abc", None),
            ("/c/blob?comp=metadata", Some("SharedKey acct:x")),
            ("/c/blob?comp=metadata", Some("Bearer t")),
        ] {
            let mut other = get(uri, authorization);
            assert!(!rewrite.rewrite(host, &mut other), "{uri}");
            assert_eq!(other.method, hyper::Method::GET);
        }
        let mut elsewhere = get("/c/blob?comp=metadata&sig=abc", None);
        assert!(!rewrite.rewrite("other.blob.core.windows.net", &mut elsewhere));
    }

    #[test]
    fn other_requests_and_other_accounts_are_untouched() {
        let rewrite = AppendBlockBlobTypeHeader::new(BlobEndpoint::new(account(), PUBLIC_REALM));
        let mut create = request("timeout=30");
        assert!(!rewrite.rewrite("acct.blob.core.windows.net", &mut create));
        assert!(create.headers.contains_key("x-ms-blob-type"));
        let mut elsewhere = request("comp=appendblock");
        assert!(!rewrite.rewrite("other.blob.core.windows.net", &mut elsewhere));
        assert_eq!(
            elsewhere.headers["authorization"],
            "SharedKey acct:original"
        );
    }
}
