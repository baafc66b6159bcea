//! The registry's `config.yml` as a typed model, rendered in the dialect of
//! each version: the azure driver's keys differ between 2.8, the 3.0.0
//! pre-releases and 3.0.0+, and the harness must never write a key a version
//! would misread.

use std::net::SocketAddr;

use serde_yaml::{Mapping, Value};

use crate::storage::StorageAccount;
use crate::versions::ConfigDialect;

/// An app registration's credentials as a registry config writes them.
#[derive(Clone, PartialEq, Eq)]
pub struct ServicePrincipal {
    pub tenant_id: String,
    pub client_id: String,
    pub secret: String,
}

impl std::fmt::Debug for ServicePrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServicePrincipal")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ServicePrincipal {
    /// A fresh tenant, client id and secret, shaped as Entra ID's.
    pub fn generate() -> Self {
        ServicePrincipal {
            tenant_id: regmatrix_mocks::identity::new_guid(),
            client_id: regmatrix_mocks::identity::new_guid(),
            secret: format!("rmx~{}", hex::encode(rand::random::<[u8; 16]>())),
        }
    }
}

/// Which credential a scenario's config asks for; the environment fills in
/// the principal it created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialsMode {
    #[default]
    SharedKey,
    ClientSecret,
    DefaultCredentials,
    /// `default_credentials` plus the client id, tenant id and secret fields.
    DefaultCredentialsDocumented,
}

impl CredentialsMode {
    pub fn with_principal(self, principal: &ServicePrincipal) -> StorageCredentials {
        match self {
            CredentialsMode::SharedKey => StorageCredentials::SharedKey,
            CredentialsMode::ClientSecret => StorageCredentials::ClientSecret(principal.clone()),
            CredentialsMode::DefaultCredentials => {
                StorageCredentials::DefaultCredentials { documented: None }
            }
            CredentialsMode::DefaultCredentialsDocumented => {
                StorageCredentials::DefaultCredentials {
                    documented: Some(principal.clone()),
                }
            }
        }
    }
}

/// How the registry authenticates to Blob storage, as its config says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageCredentials {
    /// `accountkey` (and, on 3.0.0+, `credentials.type: shared_key`).
    SharedKey,
    /// `credentials.type: client_secret` with the principal's ids and secret.
    ClientSecret(ServicePrincipal),
    /// `credentials.type: default_credentials`: the Azure SDK's credential
    /// chain, fed by the environment. `documented` also writes the
    /// `clientid`/`tenantid`/`secret` fields the 3.0.0 docs ask for.
    DefaultCredentials {
        documented: Option<ServicePrincipal>,
    },
}

impl StorageCredentials {
    pub fn name(&self) -> &'static str {
        match self {
            StorageCredentials::SharedKey => "shared-key",
            StorageCredentials::ClientSecret(_) => "client-secret",
            StorageCredentials::DefaultCredentials { documented: None } => "default-credentials",
            StorageCredentials::DefaultCredentials {
                documented: Some(_),
            } => "default-credentials-documented",
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

#[derive(Debug, Clone)]
pub struct RegistryConfig {
    pub listen: SocketAddr,
    pub debug_listen: SocketAddr,
    pub storage: AzureStorage,
    /// `storage.redirect.disable`: when false, blob GETs redirect to a SAS URL.
    pub disable_redirect: bool,
    pub http_secret: String,
    pub token_auth: Option<TokenAuthConfig>,
    /// A user's `storage.azure` section, rendered as is instead of from
    /// `storage` (which then only names the account for the environment).
    pub azure_as_written: Option<Mapping>,
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
                map([("token", Value::Mapping(token_auth(auth, dialect)?))]),
            );
        }
        Ok(serde_yaml::to_string(&root).unwrap_or_default())
    }

    fn azure_parameters(&self, dialect: ConfigDialect) -> Result<Mapping, Unsupported> {
        let s = &self.storage;
        let mut azure = Mapping::new();
        azure.insert("accountname".into(), s.account.name.clone().into());
        azure.insert("container".into(), s.container.clone().into());
        azure.insert("realm".into(), s.realm.clone().into());
        // Token credentials never come with the account key: a version that
        // falls back to shared key must fail for lack of it, visibly.
        match (&s.credentials, dialect) {
            (StorageCredentials::SharedKey, ConfigDialect::V2 | ConfigDialect::V3PreRelease) => {
                azure.insert("accountkey".into(), s.account.key_base64.clone().into());
            }
            (StorageCredentials::SharedKey, ConfigDialect::V3) => {
                azure.insert("accountkey".into(), s.account.key_base64.clone().into());
                azure.insert("credentials".into(), map([("type", "shared_key".into())]));
            }
            (other, ConfigDialect::V2) => {
                return Err(Unsupported(format!(
                    "{}: registry 2.8's azure driver authenticates with accountname/accountkey only; it has no credentials block and no Entra ID token support",
                    other.name()
                )));
            }
            (StorageCredentials::ClientSecret(principal), _) => {
                azure.insert(
                    "credentials".into(),
                    credentials_block("client_secret", Some(principal)),
                );
            }
            (StorageCredentials::DefaultCredentials { documented }, _) => {
                azure.insert(
                    "credentials".into(),
                    credentials_block("default_credentials", documented.as_ref()),
                );
            }
        }
        Ok(azure)
    }
}

/// `auth.token` in a version's dialect: 2.8 trusts `rootcertbundle` only;
/// `jwks` arrived with 3.0.0-alpha.1 and `signingalgorithms` with 3.0.0.
fn token_auth(auth: &TokenAuthConfig, dialect: ConfigDialect) -> Result<Mapping, Unsupported> {
    let mut token = Mapping::new();
    token.insert("realm".into(), auth.realm.clone().into());
    token.insert("service".into(), auth.service.clone().into());
    token.insert("issuer".into(), auth.issuer.clone().into());
    if let Some(bundle) = &auth.rootcertbundle {
        token.insert("rootcertbundle".into(), bundle.display().to_string().into());
    }
    match (&auth.jwks, dialect) {
        // Given both, 2.8 gets what it can read: the bundle, from which it
        // derives the libtrust key IDs a JWKS would list for 3.x.
        (Some(_), ConfigDialect::V2) if auth.rootcertbundle.is_some() => {}
        (Some(_), ConfigDialect::V2) => {
            return Err(Unsupported(
                "auth.token.jwks: registry 2.8 has no jwks option; it trusts the certificates in rootcertbundle only".into(),
            ));
        }
        (Some(jwks), _) => {
            token.insert("jwks".into(), jwks.display().to_string().into());
        }
        (None, _) => {}
    }
    if let Some(algorithms) = &auth.signing_algorithms {
        if dialect != ConfigDialect::V3 {
            return Err(Unsupported(
                "auth.token.signingalgorithms: only registry 3.0.0 and later can restrict signing algorithms".into(),
            ));
        }
        token.insert(
            "signingalgorithms".into(),
            Value::Sequence(algorithms.iter().map(|a| a.clone().into()).collect()),
        );
    }
    Ok(token)
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
            Value::String(s) => Value::String(match s.as_str() {
                "{{accountkey}}" => account.key_base64.clone(),
                "{{clientid}}" => principal.client_id.clone(),
                "{{tenantid}}" => principal.tenant_id.clone(),
                "{{secret}}" => principal.secret.clone(),
                other => other.to_string(),
            }),
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

fn credentials_block(kind: &str, principal: Option<&ServicePrincipal>) -> Value {
    let mut block = Mapping::new();
    block.insert("type".into(), kind.into());
    if let Some(p) = principal {
        block.insert("clientid".into(), p.client_id.clone().into());
        block.insert("tenantid".into(), p.tenant_id.clone().into());
        block.insert("secret".into(), p.secret.clone().into());
    }
    Value::Mapping(block)
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
mod tests;
