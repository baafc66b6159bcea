//! Copies of the client's evidence into the report's own records, so
//! `matrix.json` keeps its shape when the HTTP client's types change.

use regmatrix_model::{ExchangeRecord, RegistryErrorCode, RegistryErrorRecord};

use crate::client::{Exchange, RegistryError};

impl From<Exchange> for ExchangeRecord {
    fn from(e: Exchange) -> Self {
        ExchangeRecord {
            method: e.method,
            path: e.path,
            status: e.status,
            duration_ms: e.duration_ms,
        }
    }
}

impl From<&RegistryError> for RegistryErrorRecord {
    fn from(e: &RegistryError) -> Self {
        RegistryErrorRecord {
            method: e.method.clone(),
            path: e.path.clone(),
            status: e.status,
            errors: e
                .errors
                .iter()
                .map(|entry| RegistryErrorCode {
                    code: entry.code.clone(),
                    message: entry.message.clone(),
                })
                .collect(),
            www_authenticate: e.www_authenticate.clone(),
            raw_body: e.raw_body.clone(),
        }
    }
}
