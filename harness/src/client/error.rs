//! The client's errors. A registry's refusal keeps its status, its error
//! codes and messages, and its `WWW-Authenticate` header verbatim.

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot set up the registry client: {0}")]
    Setup(String),
    #[error("{method} {path}: {source}")]
    Transport {
        method: String,
        path: String,
        #[source]
        source: reqwest::Error,
    },
    /// Boxed: the registry's evidence is large and errors travel by value.
    #[error(transparent)]
    Registry(Box<RegistryError>),
    #[error("digest mismatch for {what}: expected {expected}, got {actual} over {bytes} bytes")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
        bytes: u64,
    },
    #[error("token request to {realm} failed: {detail}")]
    Token { realm: String, detail: String },
    #[error("protocol violation: {0}")]
    Protocol(String),
}

impl From<RegistryError> for ClientError {
    fn from(e: RegistryError) -> Self {
        ClientError::Registry(Box::new(e))
    }
}

/// An error response from the registry.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "{method} {} answered {status}{}",
    readable_path(path),
    summary(errors, www_authenticate)
)]
pub struct RegistryError {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub errors: Vec<RegistryErrorEntry>,
    pub www_authenticate: Option<String>,
    /// The body when it was not the registry's JSON error format (first 2 KiB).
    pub raw_body: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RegistryErrorEntry {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// The path as evidence reads it: an upload's `_state` (an opaque, signed
/// blob of a few hundred characters) is elided; the record keeps it whole.
fn readable_path(path: &str) -> String {
    let Some((route, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let query: Vec<&str> = query
        .split('&')
        .map(|pair| {
            if pair.starts_with("_state=") {
                "_state=…"
            } else {
                pair
            }
        })
        .collect();
    format!("{route}?{}", query.join("&"))
}

fn summary(errors: &[RegistryErrorEntry], www_authenticate: &Option<String>) -> String {
    let mut out = String::new();
    for e in errors {
        out.push_str(&format!(" {}: {}", e.code, e.message));
    }
    if let Some(challenge) = www_authenticate {
        out.push_str(&format!(" (WWW-Authenticate: {challenge})"));
    }
    out
}

#[derive(Deserialize)]
struct ErrorBody {
    errors: Vec<RegistryErrorEntry>,
}

/// Returns the response if its status is one of `wanted`, else the registry's error.
pub(crate) async fn expect_status(
    response: reqwest::Response,
    method: &str,
    url: &str,
    wanted: &[u16],
) -> Result<reqwest::Response, ClientError> {
    let status = response.status().as_u16();
    if wanted.contains(&status) {
        return Ok(response);
    }
    let www_authenticate = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.text().await.unwrap_or_default();
    let (errors, raw_body) = match serde_json::from_str::<ErrorBody>(&body) {
        Ok(parsed) => (parsed.errors, None),
        Err(_) if body.is_empty() => (Vec::new(), None),
        Err(_) => (Vec::new(), Some(body.chars().take(2048).collect())),
    };
    Err(RegistryError {
        method: method.to_string(),
        path: super::path_of(url),
        status,
        errors,
        www_authenticate,
        raw_body,
    }
    .into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_upload_state_is_elided_and_the_digest_kept() {
        let path = "/v2/r/blobs/uploads/u?_state=abc%3D&digest=sha256:00";
        assert_eq!(
            super::readable_path(path),
            "/v2/r/blobs/uploads/u?_state=…&digest=sha256:00"
        );
        assert_eq!(super::readable_path("/v2/r/tags/list"), "/v2/r/tags/list");
    }
}
