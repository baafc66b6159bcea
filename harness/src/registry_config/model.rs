//! The registry's `config.yml` as a typed model and its rendering; what
//! differs between versions is asked of [`ConfigDialect`], never decided
//! here. It must not start processes or read files.

use std::net::SocketAddr;

use serde_yaml::{Mapping, Value};

use super::credentials::{ServicePrincipal, StorageCredentials};
use super::dialect::ConfigDialect;
use super::sections::{map, TokenAuthConfig, Unsupported};
use crate::storage::StorageAccount;

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
    /// `storage.delete.enabled`: when false, the registry refuses deletes
    /// of blobs and manifests (and, from 3.1.1, of tags).
    pub delete_enabled: bool,
    pub http_secret: String,
    pub token_auth: Option<TokenAuthConfig>,
    /// A user's `storage.azure` section, rendered as is instead of from
    /// `storage` (which then only names the account for the environment).
    pub azure_as_written: Option<Mapping>,
    /// The user's other sections, placeholders filled (upgrade-check).
    pub user_sections: Option<Mapping>,
    pub driver: StorageDriver,
}

/// Which storage driver the registry writes through. The filesystem driver
/// exists for benchmarks: the same binary without Azure in the path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StorageDriver {
    #[default]
    Azure,
    Filesystem {
        root: std::path::PathBuf,
    },
}

impl RegistryConfig {
    pub fn render(&self, dialect: ConfigDialect) -> Result<String, Unsupported> {
        let mut storage = Mapping::new();
        match &self.driver {
            StorageDriver::Filesystem { root } => {
                storage.insert(
                    "filesystem".into(),
                    map([("rootdirectory", root.display().to_string().into())]),
                );
            }
            StorageDriver::Azure => {
                let azure = match &self.azure_as_written {
                    Some(written) => written.clone(),
                    None => self.azure_parameters(dialect)?,
                };
                storage.insert("azure".into(), Value::Mapping(azure));
            }
        }
        storage.insert(
            "delete".into(),
            map([("enabled", self.delete_enabled.into())]),
        );
        storage.insert(
            "redirect".into(),
            map([("disable", self.disable_redirect.into())]),
        );
        // Upload purging walks the whole container at start-up; it only adds noise here.
        storage.insert(
            "maintenance".into(),
            map([("uploadpurging", map([("enabled", false.into())]))]),
        );
        let mut root = map([
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
        if let (Some(auth), Value::Mapping(root)) = (&self.token_auth, &mut root) {
            root.insert(
                "auth".into(),
                map([("token", Value::Mapping(dialect.token_auth(auth)?))]),
            );
        }
        if let (Some(user), Value::Mapping(root)) = (&self.user_sections, &mut root) {
            super::merge_into(root, user);
        }
        Ok(serde_yaml::to_string(&root).unwrap_or_default())
    }

    fn azure_parameters(&self, dialect: ConfigDialect) -> Result<Mapping, Unsupported> {
        let s = &self.storage;
        let mut azure = Mapping::new();
        azure.insert("accountname".into(), s.account.name.clone().into());
        azure.insert("container".into(), s.container.clone().into());
        azure.insert("realm".into(), s.realm.clone().into());
        dialect.write_credentials(&s.credentials, &s.account, &mut azure)?;
        Ok(azure)
    }
}

/// One secret placeholder (`{{accountkey}}`, `{{clientid}}`,
/// `{{tenantid}}`, `{{secret}}`) replaced by the mock account's or
/// principal's value; any other text unchanged.
pub fn fill_secret(text: &str, account: &StorageAccount, principal: &ServicePrincipal) -> String {
    match text {
        "{{accountkey}}" => account.key_base64.clone(),
        "{{clientid}}" => principal.client_id.clone(),
        "{{tenantid}}" => principal.tenant_id.clone(),
        "{{secret}}" => principal.secret.clone(),
        other => other.to_string(),
    }
}

/// The user's azure section with its secret placeholders replaced by the
/// mock account's key and the mock principal's ids and secret.
pub fn fill_placeholders(
    azure: &Mapping,
    account: &StorageAccount,
    principal: &ServicePrincipal,
) -> Mapping {
    fn fill(value: &Value, account: &StorageAccount, principal: &ServicePrincipal) -> Value {
        match value {
            Value::String(s) => Value::String(fill_secret(s, account, principal)),
            Value::Mapping(m) => Value::Mapping(
                m.iter()
                    .map(|(k, v)| (k.clone(), fill(v, account, principal)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    azure
        .iter()
        .map(|(k, v)| (k.clone(), fill(v, account, principal)))
        .collect()
}
