//! The identity side of one environment: a tenant with one app registration
//! (a client secret, and a federated credential trusting the cluster's
//! service-account issuer), a VM/App Service with a system-assigned and a
//! user-assigned managed identity, and the environment a workload of the
//! chosen kind gets, exactly as Azure or AKS would inject it. Also the
//! levers a scenario pulls mid-run: rotating the projected token file as
//! kubelet does, and an outage of every token endpoint.

use regmatrix_mocks::seed::Seed;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hyper::StatusCode;
use regmatrix_mocks::front_door::{
    CannedResponse, FaultAction, FaultId, FaultRule, FrontDoor, HostPattern, Route, Target,
};
use regmatrix_mocks::identity::{
    fingerprint, guid_from, AppServiceIdentity, Application, Directory, EntraId, IdentityCall,
    IdentityPlane, Imds, ManagedIdentities, ServiceAccount, ServiceAccountIssuer, APP_SERVICE_PATH,
    ENTRA_HOST, IMDS_HOST,
};
use serde::{Deserialize, Serialize};

use super::EnvError;
use crate::registry_config::ServicePrincipal;

/// Where the registry runs, as far as Azure identity is concerned: what
/// its environment carries and which identity endpoints exist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// No identity in the environment; only what the config says.
    #[default]
    None,
    /// AKS workload identity: a projected service-account token file and
    /// the four `AZURE_*` variables the webhook injects.
    WorkloadIdentity,
    /// A VM or AKS node: IMDS answers; `AZURE_CLIENT_ID` selects the
    /// user-assigned identity.
    ManagedIdentityImds,
    /// App Service: `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`, system-assigned identity.
    ManagedIdentityAppService,
    /// A service principal's secret in `AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`.
    EnvironmentSecret,
}

/// The state of the projected token file when the registry starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FederatedToken {
    #[default]
    Valid,
    /// `AZURE_FEDERATED_TOKEN_FILE` names a file that does not exist.
    Missing,
    /// The file holds a token that expired an hour ago.
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySetup {
    pub workload: Workload,
    pub federated_token: FederatedToken,
    pub token_lifetime: Duration,
}

impl Default for IdentitySetup {
    fn default() -> Self {
        IdentitySetup {
            workload: Workload::None,
            federated_token: FederatedToken::Valid,
            token_lifetime: regmatrix_mocks::identity::DEFAULT_TOKEN_LIFETIME,
        }
    }
}

/// Projected service-account tokens live an hour on AKS; kubelet rewrites
/// the file at 80% of that.
const PROJECTED_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

pub struct IdentityCloud {
    plane: Arc<IdentityPlane>,
    issuer: ServiceAccountIssuer,
    service_account: ServiceAccount,
    token_file: PathBuf,
    pub principal: ServicePrincipal,
    pub user_assigned: String,
    app_service_header: String,
    app_service_endpoint: String,
    setup: IdentitySetup,
    /// Fingerprints of the tokens written to the file, oldest first.
    written_tokens: Mutex<Vec<String>>,
}

impl IdentityCloud {
    /// Builds the tenant and routes its endpoints on `front_door`.
    pub fn start(
        setup: &IdentitySetup,
        principal: ServicePrincipal,
        front_door: &FrontDoor,
        run_dir: &Path,
        seed: Seed,
    ) -> Result<Self, EnvError> {
        let mock = |source| EnvError::IdentityMock { source };
        let issuer =
            ServiceAccountIssuer::from_seed(seed.derive("service-account-issuer")).map_err(mock)?;
        let service_account = ServiceAccount {
            namespace: "registry".into(),
            name: "distribution".into(),
        };
        let system_assigned = guid_from(seed.derive("system-assigned"));
        let user_assigned = guid_from(seed.derive("user-assigned"));
        let plane = IdentityPlane::from_seed(
            Directory {
                tenant_id: principal.tenant_id.clone(),
                applications: vec![Application {
                    client_id: principal.client_id.clone(),
                    secrets: vec![principal.secret.clone()],
                    federated_credentials: vec![issuer.federated_credential(&service_account)],
                }],
                managed_identities: ManagedIdentities {
                    system_assigned: Some(system_assigned),
                    user_assigned: vec![user_assigned.clone()],
                },
            },
            seed.derive("identity-plane"),
        )
        .map_err(mock)?;
        plane.set_token_lifetime(setup.token_lifetime);

        let route = |pattern: &str, target: Target| {
            Route::to(pattern, target)
                .and_then(|r| front_door.add_route(r))
                .map_err(|source| EnvError::FrontDoorRoute {
                    pattern: pattern.to_string(),
                    source,
                })
        };
        route(ENTRA_HOST, Target::service(EntraId::new(plane.clone())))?;
        // Without managed identity, IMDS does not answer at all, as off Azure.
        route(
            IMDS_HOST,
            if setup.workload == Workload::ManagedIdentityImds {
                Target::service(Imds::new(plane.clone()))
            } else {
                Target::Unreachable
            },
        )?;
        // App Service's endpoint is on loopback, so the registry calls the
        // front door's port directly (Go never proxies loopback).
        let app_service_header = hex::encode(seed.derive("app-service-header").bytes::<16>());
        if setup.workload == Workload::ManagedIdentityAppService {
            route(
                "127.0.0.1",
                Target::service(AppServiceIdentity::new(
                    plane.clone(),
                    app_service_header.clone(),
                )),
            )?;
        }
        let token_dir = run_dir.join("serviceaccount");
        std::fs::create_dir_all(&token_dir)
            .map_err(|e| EnvError::io("create the projected token directory", e))?;
        let cloud = IdentityCloud {
            plane,
            issuer,
            service_account,
            token_file: token_dir.join("azure-identity-token"),
            principal,
            user_assigned,
            app_service_header,
            app_service_endpoint: format!(
                "http://127.0.0.1:{}{APP_SERVICE_PATH}",
                front_door.port()
            ),
            setup: setup.clone(),
            written_tokens: Mutex::new(Vec::new()),
        };
        match setup.federated_token {
            FederatedToken::Valid => cloud.write_token(Duration::ZERO)?,
            FederatedToken::Expired => cloud.write_token(PROJECTED_TOKEN_LIFETIME * 2)?,
            FederatedToken::Missing => {}
        }
        Ok(cloud)
    }

    /// The variables the platform gives the registry process.
    pub fn registry_env(&self) -> Vec<(String, String)> {
        let p = &self.principal;
        let pairs: Vec<(&str, String)> = match self.setup.workload {
            Workload::None => vec![],
            Workload::WorkloadIdentity => vec![
                ("AZURE_CLIENT_ID", p.client_id.clone()),
                ("AZURE_TENANT_ID", p.tenant_id.clone()),
                (
                    "AZURE_FEDERATED_TOKEN_FILE",
                    self.token_file.display().to_string(),
                ),
                ("AZURE_AUTHORITY_HOST", format!("https://{ENTRA_HOST}/")),
            ],
            Workload::ManagedIdentityImds => vec![("AZURE_CLIENT_ID", self.user_assigned.clone())],
            Workload::ManagedIdentityAppService => vec![
                ("IDENTITY_ENDPOINT", self.app_service_endpoint.clone()),
                ("IDENTITY_HEADER", self.app_service_header.clone()),
            ],
            Workload::EnvironmentSecret => vec![
                ("AZURE_TENANT_ID", p.tenant_id.clone()),
                ("AZURE_CLIENT_ID", p.client_id.clone()),
                ("AZURE_CLIENT_SECRET", p.secret.clone()),
            ],
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// Writes a fresh projected token the way kubelet does: a new file
    /// renamed over the old one, so a reader never sees half a token.
    pub fn rotate_federated_token(&self) -> Result<(), EnvError> {
        self.write_token(Duration::ZERO)
    }

    fn write_token(&self, issued_ago: Duration) -> Result<(), EnvError> {
        let token = self
            .issuer
            .token(&self.service_account, issued_ago, PROJECTED_TOKEN_LIFETIME)
            .map_err(|source| EnvError::ServiceAccountToken { source })?;
        let fresh = self.token_file.with_extension("new");
        std::fs::write(&fresh, &token)
            .and_then(|()| std::fs::rename(&fresh, &self.token_file))
            .map_err(|e| EnvError::io("write the projected token file", e))?;
        self.written_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fingerprint(&token));
        Ok(())
    }

    /// `initial`, `rotated-1`, ... for a token this cloud wrote to the file.
    fn token_label(&self, fingerprint: &str) -> String {
        let written = self
            .written_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match written.iter().position(|f| f == fingerprint) {
            Some(0) => "initial token".into(),
            Some(n) => format!("rotated token {n}"),
            None => "unknown token".into(),
        }
    }

    /// Every token endpoint answers 500 until the returned faults are removed.
    pub fn begin_outage(&self, front_door: &FrontDoor) -> Vec<FaultId> {
        let tenant = &self.principal.tenant_id;
        let entra = CannedResponse::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({
                "error": "server_error",
                "error_description": "AADSTS90033: A transient error has occurred. Please try again.",
                "error_codes": [90033],
            }),
        );
        let imds = CannedResponse::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({"error": "server_error", "error_description": "Internal server error"}),
        );
        let rules = [
            (ENTRA_HOST, format!("/{tenant}/oauth2/"), entra),
            (IMDS_HOST, "/metadata/identity/".to_string(), imds.clone()),
            ("127.0.0.1", APP_SERVICE_PATH.to_string(), imds),
        ];
        rules
            .into_iter()
            .filter_map(|(host, path, response)| {
                Some(
                    front_door.add_fault(
                        FaultRule::new(
                            "identity-outage",
                            HostPattern::parse(host).ok()?,
                            FaultAction::Respond(response),
                        )
                        .path_prefix(path),
                    ),
                )
            })
            .collect()
    }

    /// Every identity call, a client assertion's grant naming which token
    /// file generation it presented (`client_assertion(rotated token 1)`).
    pub fn calls(&self) -> Vec<IdentityCall> {
        let mut calls = self.plane.calls();
        for call in &mut calls {
            if let Some(assertion) = &call.assertion {
                call.grant = format!("{}({})", call.grant, self.token_label(assertion));
            }
        }
        calls
    }

    pub fn plane(&self) -> &Arc<IdentityPlane> {
        &self.plane
    }

    pub fn workload(&self) -> Workload {
        self.setup.workload
    }
}
