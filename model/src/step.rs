//! What one scenario step did, as the report keeps it: the HTTP exchanges,
//! the storage traffic it caused, and the registry's own error. These are
//! copies owned by the report, so the HTTP client's error types can change
//! without changing `matrix.json`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepObservation {
    pub index: usize,
    /// In an upgrade scenario: the phase (`from`, `to`, `both`, 1-based
    /// number first: `2 to`) and the version that served the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
    /// The step's kind as the scenario file spells it (`push-blob`).
    pub kind: String,
    /// What the step did, or tried to do.
    pub summary: String,
    pub ok: bool,
    pub duration_ms: u64,
    #[serde(default)]
    pub requests: Vec<ExchangeRecord>,
    /// Requests the registry made to Blob storage during this step.
    pub storage_requests: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_error: Option<RegistryErrorRecord>,
}

/// One request the harness's client made to the registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangeRecord {
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
    pub duration_ms: u64,
}

/// An error response from the registry, verbatim: its status, its error
/// codes and messages and its `WWW-Authenticate` header are the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryErrorRecord {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub errors: Vec<RegistryErrorCode>,
    pub www_authenticate: Option<String>,
    /// The body when it was not the registry's JSON error format (first 2 KiB).
    pub raw_body: Option<String>,
}

/// One entry of the registry's JSON `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryErrorCode {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

impl std::fmt::Display for RegistryErrorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} answered {}", self.method, self.path, self.status)?;
        for e in &self.errors {
            write!(f, " {}: {}", e.code, e.message)?;
        }
        if let Some(challenge) = &self.www_authenticate {
            write!(f, " (WWW-Authenticate: {challenge})")?;
        }
        Ok(())
    }
}
