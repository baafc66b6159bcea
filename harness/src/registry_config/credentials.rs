//! How the registry authenticates to Blob storage: the mode a scenario asks
//! for, the principal the environment creates, and the credentials a config
//! writes. Data only; it must not render YAML or know versions.

use regmatrix_mocks::identity::guid_from;
use regmatrix_mocks::seed::Seed;

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
        Self::from_seed(Seed::new(rand::random()))
    }

    /// The principal `seed` makes: the same ids and secret on every run.
    pub fn from_seed(seed: Seed) -> Self {
        ServicePrincipal {
            tenant_id: guid_from(seed.derive("tenant")),
            client_id: guid_from(seed.derive("client")),
            secret: format!("rmx~{}", hex::encode(seed.derive("secret").bytes::<16>())),
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
