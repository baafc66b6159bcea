//! The identity plane of the mock Azure cloud: Entra ID (served as
//! `login.microsoftonline.com`), managed identity (IMDS at `169.254.169.254`
//! and the App Service style endpoint) and the Kubernetes service-account
//! token issuer whose tokens Entra ID accepts as federated credentials.
//!
//! Every endpoint is a front-door [`Service`](crate::front_door::Service)
//! over one shared [`IdentityPlane`]: the directory it answers from, the key
//! it signs access tokens with, and the log of every call it answered, which
//! a report quotes ("3 client_assertion grants, 200").

mod access_token;
mod directory;
mod entra;
mod kubernetes;
mod managed;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use access_token::AccessTokenClaims;
pub use directory::{
    guid_from, new_guid, Application, Directory, FederatedCredential, ManagedIdentities,
};
pub use entra::{EntraId, ENTRA_HOST, FEDERATED_AUDIENCE};
pub use kubernetes::{ServiceAccount, ServiceAccountIssuer};
pub use managed::{AppServiceIdentity, Imds, APP_SERVICE_PATH, IMDS_HOST};

use crate::jose::{EcP256Key, JoseError};
use crate::seed::Seed;

/// Which endpoint answered a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    InstanceDiscovery,
    OpenIdConfiguration,
    Keys,
    /// `/{tenant}/oauth2/v2.0/token`.
    EntraToken,
    Imds,
    AppService,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::InstanceDiscovery => "instance-discovery",
            Endpoint::OpenIdConfiguration => "openid-configuration",
            Endpoint::Keys => "keys",
            Endpoint::EntraToken => "entra-token",
            Endpoint::Imds => "imds",
            Endpoint::AppService => "app-service",
        }
    }
}

/// One call an identity endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityCall {
    pub endpoint: Endpoint,
    /// `client_secret`, `client_assertion`, `managed_identity`, `probe`, or empty for metadata.
    pub grant: String,
    /// The client id the caller named (or the managed identity chosen).
    pub client_id: String,
    pub status: u16,
    /// `AADSTS7000215` or the IMDS error text, when refused.
    pub error: Option<String>,
    /// For a client assertion: [`fingerprint`] of the token presented, so a
    /// report can tell an old projected token from a rotated one.
    pub assertion: Option<String>,
    /// Since the identity plane started.
    pub at_ms: u64,
}

/// Shared state of every identity endpoint.
pub struct IdentityPlane {
    directory: Directory,
    signing_key: EcP256Key,
    signing_kid: String,
    token_lifetime: Mutex<Duration>,
    calls: Mutex<Vec<IdentityCall>>,
    started: Instant,
}

impl std::fmt::Debug for IdentityPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityPlane")
            .field("tenant", &self.directory.tenant_id)
            .finish_non_exhaustive()
    }
}

/// A short, stable name for a token: the first 12 hex digits of its SHA-256.
pub fn fingerprint(token: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(token.trim().as_bytes())[..6])
}

/// The lifetime real Entra ID gives storage tokens by default (60-90 min);
/// scenarios shorten it to force refreshes.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

impl IdentityPlane {
    pub fn new(directory: Directory) -> Result<Arc<Self>, JoseError> {
        Self::from_seed(directory, Seed::new(rand::random()))
    }

    /// The plane whose token-signing key and kid `seed` makes.
    pub fn from_seed(directory: Directory, seed: Seed) -> Result<Arc<Self>, JoseError> {
        Ok(Arc::new(IdentityPlane {
            directory,
            signing_key: EcP256Key::from_seed(seed.derive("entra-signing-key"))?,
            signing_kid: format!(
                "regmatrix-entra-{}",
                hex::encode(seed.derive("entra-kid").bytes::<4>())
            ),
            token_lifetime: Mutex::new(DEFAULT_TOKEN_LIFETIME),
            calls: Mutex::new(Vec::new()),
            started: Instant::now(),
        }))
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn tenant_id(&self) -> &str {
        &self.directory.tenant_id
    }

    /// How long access tokens issued from now on are valid.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        *self
            .token_lifetime
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = lifetime;
    }

    pub fn token_lifetime(&self) -> Duration {
        *self
            .token_lifetime
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Every call answered so far, in order.
    pub fn calls(&self) -> Vec<IdentityCall> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(
        &self,
        endpoint: Endpoint,
        grant: &str,
        client_id: &str,
        status: u16,
        error: Option<String>,
    ) {
        self.record_call(IdentityCall {
            endpoint,
            grant: grant.to_string(),
            client_id: client_id.to_string(),
            status,
            error,
            assertion: None,
            at_ms: 0,
        });
    }

    fn record_call(&self, mut call: IdentityCall) {
        call.at_ms = self.started.elapsed().as_millis() as u64;
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
    }
}
