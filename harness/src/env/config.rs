//! The registry's `config.yml` as a typed model, rendered in the dialect of
//! each version: the azure driver's keys differ between 2.8, the 3.0.0
//! pre-releases and 3.0.0+, and the harness must never write a key a version
//! would misread.

use std::net::SocketAddr;

use serde_yaml::{Mapping, Value};

use crate::storage::StorageAccount;
use crate::versions::ConfigDialect;

/// How the registry authenticates to Blob storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageCredentials {
    SharedKey,
}

impl StorageCredentials {
    pub fn name(&self) -> &'static str {
        match self {
            StorageCredentials::SharedKey => "shared-key",
        }
    }
}

/// Why a version cannot express a configuration.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Unsupported(pub String);

#[derive(Debug, Clone)]
pub struct AzureStorage {
    pub account: StorageAccount,
    pub container: String,
    /// Production-style: the driver builds `https://<account>.blob.<realm>`.
    pub realm: String,
    pub credentials: StorageCredentials,
}

#[derive(Debug, Clone)]
pub struct RegistryConfig {
    pub listen: SocketAddr,
    pub debug_listen: SocketAddr,
    pub storage: AzureStorage,
    /// `storage.redirect.disable`: when false, blob GETs redirect to a SAS URL.
    pub disable_redirect: bool,
    pub http_secret: String,
}

impl RegistryConfig {
    pub fn render(&self, dialect: ConfigDialect) -> Result<String, Unsupported> {
        let mut storage = Mapping::new();
        storage.insert(
            "azure".into(),
            Value::Mapping(self.azure_parameters(dialect)?),
        );
        storage.insert("delete".into(), map([("enabled", true.into())]));
        storage.insert(
            "redirect".into(),
            map([("disable", self.disable_redirect.into())]),
        );
        // Upload purging walks the whole container at start-up; it only adds noise here.
        storage.insert(
            "maintenance".into(),
            map([("uploadpurging", map([("enabled", false.into())]))]),
        );
        let root = map([
            ("version", "0.1".into()),
            (
                "log",
                map([
                    ("level", "info".into()),
                    ("formatter", "text".into()),
                    ("accesslog", map([("disabled", false.into())])),
                ]),
            ),
            ("storage", Value::Mapping(storage)),
            (
                "http",
                map([
                    ("addr", self.listen.to_string().into()),
                    ("secret", self.http_secret.clone().into()),
                    (
                        "debug",
                        map([("addr", self.debug_listen.to_string().into())]),
                    ),
                ]),
            ),
        ]);
        Ok(serde_yaml::to_string(&root).unwrap_or_default())
    }

    fn azure_parameters(&self, dialect: ConfigDialect) -> Result<Mapping, Unsupported> {
        let s = &self.storage;
        let mut azure = Mapping::new();
        azure.insert("accountname".into(), s.account.name.clone().into());
        azure.insert("container".into(), s.container.clone().into());
        azure.insert("realm".into(), s.realm.clone().into());
        match (&s.credentials, dialect) {
            (StorageCredentials::SharedKey, ConfigDialect::V2 | ConfigDialect::V3PreRelease) => {
                azure.insert("accountkey".into(), s.account.key_base64.clone().into());
            }
            (StorageCredentials::SharedKey, ConfigDialect::V3) => {
                azure.insert("accountkey".into(), s.account.key_base64.clone().into());
                azure.insert("credentials".into(), map([("type", "shared_key".into())]));
            }
        }
        Ok(azure)
    }
}

fn map<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Mapping(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RegistryConfig {
        RegistryConfig {
            listen: "127.0.0.1:5000".parse().unwrap(),
            debug_listen: "127.0.0.1:5001".parse().unwrap(),
            storage: AzureStorage {
                account: StorageAccount {
                    name: "acct".into(),
                    key_base64: "a2V5".into(),
                },
                container: "registry".into(),
                realm: "core.windows.net".into(),
                credentials: StorageCredentials::SharedKey,
            },
            disable_redirect: false,
            http_secret: "s".into(),
        }
    }

    fn azure(yaml: &str) -> Value {
        let doc: Value = serde_yaml::from_str(yaml).unwrap();
        doc["storage"]["azure"].clone()
    }

    #[test]
    fn shared_key_spelling_per_dialect() {
        let v2 = azure(&config().render(ConfigDialect::V2).unwrap());
        assert_eq!(v2["accountkey"], Value::from("a2V5"));
        assert!(
            v2.get("credentials").is_none(),
            "2.8 has no credentials block"
        );
        let pre = azure(&config().render(ConfigDialect::V3PreRelease).unwrap());
        assert!(pre.get("credentials").is_none());
        let v3 = azure(&config().render(ConfigDialect::V3).unwrap());
        assert_eq!(v3["credentials"]["type"], Value::from("shared_key"));
        assert_eq!(v3["realm"], Value::from("core.windows.net"));
        assert!(
            v3.get("serviceurl").is_none(),
            "production-style: no service URL"
        );
    }

    #[test]
    fn listens_and_debug_address_are_rendered() {
        let doc: Value =
            serde_yaml::from_str(&config().render(ConfigDialect::V3).unwrap()).unwrap();
        assert_eq!(doc["http"]["addr"], Value::from("127.0.0.1:5000"));
        assert_eq!(doc["http"]["debug"]["addr"], Value::from("127.0.0.1:5001"));
    }
}
