//! The pieces of `config.yml` that both the whole model and each
//! version's dialect speak of: the `auth.token` section, the refusal of a
//! setting a version cannot express, and the YAML mapping helper. A leaf of
//! this module, so the model and the dialects do not import each other.

use serde_yaml::Value;

/// Why a version cannot express a configuration.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Unsupported(pub String);

/// `auth.token`: the registry verifies bearer tokens from a token server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAuthConfig {
    pub realm: String,
    pub service: String,
    pub issuer: String,
    pub rootcertbundle: Option<std::path::PathBuf>,
    pub jwks: Option<std::path::PathBuf>,
    pub signing_algorithms: Option<Vec<String>>,
}

pub(super) fn map<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Mapping(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}
