//! The Kubernetes service-account token issuer of an AKS cluster with
//! workload identity: it signs the projected token kubelet writes into the
//! pod (audience `api://AzureADTokenExchange`), which Entra ID then accepts
//! as a federated client assertion.

use std::time::Duration;

use serde_json::json;

use super::access_token::unix_now;
use super::directory::{guid_from, new_guid};
use super::entra::FEDERATED_AUDIENCE;
use super::FederatedCredential;
use crate::jose::{self, EcP256Key, JoseError};
use crate::seed::Seed;

/// A namespace and service account name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub namespace: String,
    pub name: String,
}

impl ServiceAccount {
    /// The `sub` of its tokens, and the subject of its federated credential.
    pub fn subject(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }
}

pub struct ServiceAccountIssuer {
    /// The cluster's OIDC issuer URL, as AKS publishes it.
    pub issuer: String,
    key: EcP256Key,
    kid: String,
}

impl std::fmt::Debug for ServiceAccountIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountIssuer")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl ServiceAccountIssuer {
    pub fn generate() -> Result<Self, JoseError> {
        Self::from_seed(Seed::new(rand::random()))
    }

    /// The issuer `seed` makes: the same URL, key and kid on every run.
    pub fn from_seed(seed: Seed) -> Result<Self, JoseError> {
        Ok(ServiceAccountIssuer {
            issuer: format!(
                "https://eastus.oic.prod-aks.azure.com/{}/{}/",
                guid_from(seed.derive("tenant")),
                guid_from(seed.derive("cluster"))
            ),
            key: EcP256Key::from_seed(seed.derive("key"))?,
            kid: hex::encode(seed.derive("kid").bytes::<16>()),
        })
    }

    /// The federated credential an app registration needs to trust `account`.
    pub fn federated_credential(&self, account: &ServiceAccount) -> FederatedCredential {
        FederatedCredential {
            issuer: self.issuer.clone(),
            subject: account.subject(),
            audience: FEDERATED_AUDIENCE.into(),
            issuer_key: self.key.public(),
        }
    }

    /// A projected token for `account`, issued `issued_ago` before now and
    /// valid for `lifetime` from issue (so a token issued two hours ago with
    /// a one-hour lifetime is an expired one).
    pub fn token(
        &self,
        account: &ServiceAccount,
        issued_ago: Duration,
        lifetime: Duration,
    ) -> Result<String, JoseError> {
        let iat = unix_now().saturating_sub(issued_ago.as_secs());
        let claims = json!({
            "aud": [FEDERATED_AUDIENCE],
            "exp": iat + lifetime.as_secs(),
            "iat": iat,
            "nbf": iat,
            "iss": self.issuer,
            "sub": account.subject(),
            "kubernetes.io": {
                "namespace": account.namespace,
                "pod": {"name": format!("{}-0", account.name), "uid": new_guid()},
                "serviceaccount": {"name": account.name, "uid": new_guid()},
            },
        });
        let mut header = serde_json::Map::new();
        header.insert("kid".into(), self.kid.clone().into());
        jose::sign(&self.key, header, &claims)
    }
}
