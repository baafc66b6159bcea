//! Which Blob service REST operation a request is, for the `op=` matcher:
//! one small classifier from the method, the query's `comp` and `restype`,
//! and the `x-ms-copy-source` and `x-ms-blob-type` headers, as the Blob
//! service's REST reference tells operations apart. It only names requests;
//! it never looks at bodies, never answers, and knows nothing of rules.

use std::fmt;
use std::str::FromStr;

use hyper::header::HeaderMap;
use hyper::Method;

/// A Blob service operation a fault rule can match with `op=`.
///
/// The "From URL" variant of an operation counts as that operation (Put
/// Block From URL is `put-block`, Put Blob From URL `put-blob`, Append Block
/// From URL `append-block`); Copy Blob and its synchronous form Copy Blob
/// From URL are both `copy-blob`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BlobOp {
    /// Put Blob of a block or page blob: `PUT`, no `comp`, `x-ms-blob-type:
    /// BlockBlob` or `PageBlob`; the one that carries a block blob's content.
    PutBlob,
    /// Put Blob with `x-ms-blob-type: AppendBlob`: creates an empty append
    /// blob (or empties one). Not `put-blob`; write `op=put-blob|create-append-blob`
    /// for every Put Blob.
    CreateAppendBlob,
    /// Append Block: `PUT ?comp=appendblock`.
    AppendBlock,
    /// Put Block: `PUT ?comp=block`.
    PutBlock,
    /// Put Block List: `PUT ?comp=blocklist`.
    PutBlockList,
    /// Copy Blob: `PUT` with `x-ms-copy-source`, no `comp`, no `x-ms-blob-type`.
    CopyBlob,
    /// Get Blob: `GET`, no `comp`, on a blob.
    GetBlob,
    /// Get Blob Properties: `HEAD`, no `comp`, on a blob.
    GetBlobProperties,
    /// Delete Blob: `DELETE`, no `comp`, on a blob.
    DeleteBlob,
    /// Get Block List: `GET ?comp=blocklist`.
    GetBlockList,
    /// List Blobs: `GET ?restype=container&comp=list`.
    ListBlobs,
    /// Create Container: `PUT ?restype=container`, no `comp`.
    CreateContainer,
    /// Delete Container: `DELETE ?restype=container`, no `comp`.
    DeleteContainer,
}

impl BlobOp {
    pub const ALL: [BlobOp; 13] = [
        Self::PutBlob,
        Self::CreateAppendBlob,
        Self::AppendBlock,
        Self::PutBlock,
        Self::PutBlockList,
        Self::CopyBlob,
        Self::GetBlob,
        Self::GetBlobProperties,
        Self::DeleteBlob,
        Self::GetBlockList,
        Self::ListBlobs,
        Self::CreateContainer,
        Self::DeleteContainer,
    ];

    /// The name in the text syntax.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PutBlob => "put-blob",
            Self::CreateAppendBlob => "create-append-blob",
            Self::AppendBlock => "append-block",
            Self::PutBlock => "put-block",
            Self::PutBlockList => "put-block-list",
            Self::CopyBlob => "copy-blob",
            Self::GetBlob => "get-blob",
            Self::GetBlobProperties => "get-blob-properties",
            Self::DeleteBlob => "delete-blob",
            Self::GetBlockList => "get-block-list",
            Self::ListBlobs => "list-blobs",
            Self::CreateContainer => "create-container",
            Self::DeleteContainer => "delete-container",
        }
    }

    /// The operation a request is, or `None` for one this does not name
    /// (Set Blob Metadata, leases, a request to another service, ...).
    /// `query` is the URI's query without the `?`.
    pub fn of_request(method: &Method, query: Option<&str>, headers: &HeaderMap) -> Option<Self> {
        let param = |name: &str| {
            query?.split('&').find_map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                key.eq_ignore_ascii_case(name)
                    .then(|| value.to_ascii_lowercase())
            })
        };
        let comp = param("comp");
        let container = param("restype").is_some_and(|restype| restype == "container");
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
        };
        let op = match (method, comp.as_deref(), container) {
            (&Method::PUT, None, true) => Self::CreateContainer,
            (&Method::DELETE, None, true) => Self::DeleteContainer,
            (&Method::GET, Some("list"), true) => Self::ListBlobs,
            (_, _, true) => return None,
            (&Method::PUT, Some("appendblock"), _) => Self::AppendBlock,
            (&Method::PUT, Some("block"), _) => Self::PutBlock,
            (&Method::PUT, Some("blocklist"), _) => Self::PutBlockList,
            (&Method::GET, Some("blocklist"), _) => Self::GetBlockList,
            (&Method::PUT, None, _) => match header("x-ms-blob-type") {
                Some(kind) if kind.eq_ignore_ascii_case("AppendBlob") => Self::CreateAppendBlob,
                Some(_) => Self::PutBlob,
                None if header("x-ms-copy-source").is_some() => Self::CopyBlob,
                None => return None,
            },
            (&Method::GET, None, _) => Self::GetBlob,
            (&Method::HEAD, None, _) => Self::GetBlobProperties,
            (&Method::DELETE, None, _) => Self::DeleteBlob,
            _ => return None,
        };
        Some(op)
    }
}

impl fmt::Display for BlobOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name no operation has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBlobOp;

impl FromStr for BlobOp {
    type Err = UnknownBlobOp;

    fn from_str(text: &str) -> Result<Self, UnknownBlobOp> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str() == text)
            .ok_or(UnknownBlobOp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: Method, query: Option<&str>, headers: &[(&'static str, &str)]) -> Option<BlobOp> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        BlobOp::of_request(&method, query, &map)
    }

    #[test]
    fn writes_are_told_apart_by_comp_and_headers() {
        let block = [("x-ms-blob-type", "BlockBlob")];
        assert_eq!(op(Method::PUT, None, &block), Some(BlobOp::PutBlob));
        assert_eq!(
            op(
                Method::PUT,
                Some("timeout=30"),
                &[("x-ms-blob-type", "PageBlob")]
            ),
            Some(BlobOp::PutBlob)
        );
        assert_eq!(
            op(Method::PUT, None, &[("x-ms-blob-type", "AppendBlob")]),
            Some(BlobOp::CreateAppendBlob)
        );
        assert_eq!(
            op(Method::PUT, Some("comp=appendblock"), &[]),
            Some(BlobOp::AppendBlock)
        );
        assert_eq!(
            op(Method::PUT, Some("blockid=QUFB&comp=block&timeout=5"), &[]),
            Some(BlobOp::PutBlock)
        );
        assert_eq!(
            op(Method::PUT, Some("comp=blocklist"), &[]),
            Some(BlobOp::PutBlockList)
        );
        let source = ("x-ms-copy-source", "https://a.blob.core.windows.net/c/b");
        assert_eq!(op(Method::PUT, None, &[source]), Some(BlobOp::CopyBlob));
        assert_eq!(
            op(Method::PUT, None, &[source, ("x-ms-requires-sync", "true")]),
            Some(BlobOp::CopyBlob)
        );
        // Put Blob From URL names its blob type: it is a Put Blob.
        assert_eq!(
            op(Method::PUT, None, &[source, block[0]]),
            Some(BlobOp::PutBlob)
        );
        // Put Block From URL is a Put Block.
        assert_eq!(
            op(Method::PUT, Some("comp=block&blockid=QUFB"), &[source]),
            Some(BlobOp::PutBlock)
        );
    }

    #[test]
    fn reads_deletes_and_container_operations() {
        assert_eq!(op(Method::GET, None, &[]), Some(BlobOp::GetBlob));
        assert_eq!(op(Method::HEAD, None, &[]), Some(BlobOp::GetBlobProperties));
        assert_eq!(op(Method::DELETE, None, &[]), Some(BlobOp::DeleteBlob));
        assert_eq!(
            op(Method::GET, Some("comp=blocklist&blocklisttype=all"), &[]),
            Some(BlobOp::GetBlockList)
        );
        assert_eq!(
            op(
                Method::GET,
                Some("restype=container&comp=list&prefix=a"),
                &[]
            ),
            Some(BlobOp::ListBlobs)
        );
        assert_eq!(
            op(Method::PUT, Some("restype=container"), &[]),
            Some(BlobOp::CreateContainer)
        );
        assert_eq!(
            op(Method::DELETE, Some("restype=container"), &[]),
            Some(BlobOp::DeleteContainer)
        );
    }

    #[test]
    fn operations_it_does_not_name_are_none() {
        // Get Container Properties, Set Blob Metadata, Lease Blob, a PUT
        // that names no blob type (Azure refuses it), a POST.
        assert_eq!(op(Method::GET, Some("restype=container"), &[]), None);
        assert_eq!(op(Method::PUT, Some("comp=metadata"), &[]), None);
        assert_eq!(op(Method::PUT, Some("comp=lease"), &[]), None);
        assert_eq!(op(Method::PUT, None, &[]), None);
        assert_eq!(op(Method::POST, None, &[]), None);
    }

    #[test]
    fn names_read_back() {
        for op in BlobOp::ALL {
            assert_eq!(op.as_str().parse::<BlobOp>(), Ok(op));
        }
        assert_eq!("put_blob".parse::<BlobOp>(), Err(UnknownBlobOp));
    }
}
