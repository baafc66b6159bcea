//! One environment: a run directory, a fresh harness CA, Azurite, the mock
//! Azure front door, and one registry version configured production-style.
//! Everything is torn down when the `Environment` drops.

mod access;
pub mod auth;
mod azurite;
mod container;
mod error;
mod fleet;
pub mod identity;
pub mod ports;
mod readiness;
mod redis;
mod registry;
mod run_dir;
mod spec;
#[cfg(test)]
mod tests;

use regmatrix_mocks::seed::Seed;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use regmatrix_mocks::azure_storage::emulator_compat::{
    AppendBlockBlobTypeHeader, AppendCreateOverBlockBlob, BlobMetadataReadAsHead,
};
use regmatrix_mocks::front_door::{FrontDoor, FrontDoorConfig, Route, Target};
use regmatrix_mocks::notifications::{NotificationRecorder, NOTIFICATIONS_HOST};
use regmatrix_mocks::pki::CertificateAuthority;

use crate::registry_config::LocalServices;
pub use crate::registry_config::{
    AzureStorage, ConfigDialect, CredentialsMode, RegistryConfig, ServicePrincipal,
    StorageCredentials, StorageDriver, Unsupported,
};
pub use access::{ClientAccess, Login};
pub use auth::{AuthSetup, TokenAuth};
pub(crate) use error::last_of;
pub use error::EnvError;
use fleet::Fleet;
pub use fleet::{ConfigCarry, Side};
pub use identity::{FederatedToken, IdentityCloud, IdentitySetup, Workload};
pub use ports::PortError;
pub use run_dir::RunDir;
pub use spec::{
    ContainerRuntime, EnvironmentSpec, RegistryRuntime, StorageBackend, StorageNames, UpgradeTo,
    UserDeployment, DEFAULT_READY_TIMEOUT, DEFAULT_REPOSITORY,
};

use crate::storage::{BlobStorageClient, StorageAccount};
use azurite::{AzuriteService, AzuriteTls};
pub use registry::ToolRun;
use registry::{RegistryLaunch, RegistryService};
use regmatrix_mocks::azure_storage::shared_key::{BlobEndpoint, PUBLIC_REALM};

/// The storage suffix scenarios run under: the public cloud's.
pub const REALM: &str = PUBLIC_REALM;
pub const CONTAINER: &str = "registry";

/// A client for the harness's own calls to the mock cloud: the CA as its only
/// root, everything through the front door.
fn harness_http(ca: &CertificateAuthority, proxy_url: &str) -> Result<reqwest::Client, EnvError> {
    let fail = |source| EnvError::HarnessHttpClient { source };
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(ca.cert_pem().as_bytes()).map_err(fail)?,
        )
        .proxy(reqwest::Proxy::all(proxy_url).map_err(fail)?)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(fail)
}

/// Makes Azurite answer the account's requests as Azure does where it
/// diverges (see `emulator_compat`); the corrections are named in the
/// traffic records and counted in the report.
/// They answer for the account's host in its own cloud (`realm`), as
/// every other route does.
fn correct_emulator(front_door: &FrontDoor, account: &StorageAccount, realm: &str) {
    let endpoint = || BlobEndpoint::new(account.clone(), realm);
    front_door.add_rewrite(AppendBlockBlobTypeHeader::new(endpoint()));
    front_door.add_rewrite(BlobMetadataReadAsHead::new(endpoint()));
    front_door.add_precheck(AppendCreateOverBlockBlob::new(endpoint()));
}

/// Crashing, restarting, starting and stopping the processes of an
/// environment, for fault and upgrade scenarios; the engine sees only this.
pub trait ProcessControl: Sync {
    fn restart_azurite(&self) -> BoxFuture<'_, Result<Duration, EnvError>>;
    fn restart_registry(&self, side: Side) -> BoxFuture<'_, Result<Duration, EnvError>>;
    /// Starts the side's registry unless it runs: `Some(time to ready)`
    /// when it started it.
    fn start_registry(&self, side: Side) -> BoxFuture<'_, Result<Option<Duration>, EnvError>>;
    /// Stops the side's registry (SIGTERM, then SIGKILL after a grace
    /// period); true when it was running.
    fn stop_registry(&self, side: Side) -> BoxFuture<'_, bool>;
    /// Runs the side's binary as a tool (`garbage-collect ...`) with its
    /// config, the server stopped meanwhile and started again after.
    fn run_registry_tool<'a>(
        &'a self,
        side: Side,
        args: &'a [String],
    ) -> BoxFuture<'a, Result<ToolRun, EnvError>>;
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl ProcessControl for Environment {
    fn restart_azurite(&self) -> BoxFuture<'_, Result<Duration, EnvError>> {
        Box::pin(async move { self.azurite.lock().await.restart().await })
    }

    fn restart_registry(&self, side: Side) -> BoxFuture<'_, Result<Duration, EnvError>> {
        Box::pin(async move { self.registries.lock().await.side(side).restart().await })
    }

    fn start_registry(&self, side: Side) -> BoxFuture<'_, Result<Option<Duration>, EnvError>> {
        Box::pin(async move { self.registries.lock().await.ensure_running(side).await })
    }

    fn stop_registry(&self, side: Side) -> BoxFuture<'_, bool> {
        Box::pin(async move { self.registries.lock().await.ensure_stopped(side).await })
    }

    fn run_registry_tool<'a>(
        &'a self,
        side: Side,
        args: &'a [String],
    ) -> BoxFuture<'a, Result<ToolRun, EnvError>> {
        Box::pin(async move { self.registries.lock().await.side(side).run_tool(args).await })
    }
}

const CA_BUNDLE: &str = "ca.pem";

pub struct Environment {
    pub ca: Arc<CertificateAuthority>,
    pub account: StorageAccount,
    pub front_door: FrontDoor,
    pub storage: BlobStorageClient,
    /// The container the registry stores into.
    pub container: String,
    pub identity: IdentityCloud,
    pub token_auth: Option<TokenAuth>,
    /// Records what the registry posts to the config's notification endpoints.
    pub notifications: Option<NotificationRecorder>,
    redis: Option<redis::RedisService>,
    // Behind locks so a scenario step can crash and restart them.
    azurite: tokio::sync::Mutex<AzuriteService>,
    registries: tokio::sync::Mutex<Fleet>,
    azurite_port: u16,
    /// Per side (`[from, to]`; one entry without an upgrade): base URL,
    /// log file and version tag, fixed for the environment's life.
    endpoints: Vec<(String, PathBuf, String)>,
    config_path: PathBuf,
    seed: Seed,
    // Last: dropped after the processes that write into it.
    run_dir: RunDir,
}

impl Environment {
    pub async fn start(spec: &EnvironmentSpec) -> Result<Self, EnvError> {
        // Check the fixed port before starting anything, so the error is the port's.
        let listen_port = match spec.registry_port {
            Some(port) => ports::requested_port(port)?,
            None => ports::free_port()?,
        };
        let mut run_dir =
            RunDir::create(&spec.label).map_err(|e| EnvError::io("create the run directory", e))?;
        if spec.keep_run_dir {
            run_dir.keep();
        }
        let dir = run_dir.path().to_path_buf();
        let ca = Arc::new(CertificateAuthority::generate("regmatrix harness CA")?);
        let ca_bundle = dir.join(CA_BUNDLE);
        ca.write_cert_pem(&ca_bundle)?;
        let names = &spec.storage_names;
        let account = match &names.account {
            Some(name) => StorageAccount {
                name: name.clone(),
                ..StorageAccount::from_seed(spec.seed.derive("storage-account"))
            },
            None => StorageAccount::from_seed(spec.seed.derive("storage-account")),
        };
        let blob_host = format!("{}.blob.{}", account.name, names.realm);
        let principal = ServicePrincipal::from_seed(spec.seed.derive("service-principal"));

        let debug_port = ports::free_port()?;
        let mut config = RegistryConfig {
            listen: ports::loopback(listen_port),
            debug_listen: ports::loopback(debug_port),
            storage: AzureStorage {
                account: account.clone(),
                container: names.container.clone(),
                realm: names.realm.clone(),
                credentials: spec.credentials.with_principal(&principal),
            },
            disable_redirect: spec.disable_redirect,
            delete_enabled: spec.delete_enabled,
            http_secret: hex::encode(spec.seed.derive("http-secret").bytes::<16>()),
            token_auth: None,
            azure_as_written: spec.azure_as_written.as_ref().map(|azure| {
                crate::registry_config::fill_placeholders(azure, &account, &principal)
            }),
            user_sections: None,
            driver: match spec.backend {
                StorageBackend::Azure => StorageDriver::Azure,
                StorageBackend::Filesystem => StorageDriver::Filesystem {
                    root: dir.join("filesystem-storage"),
                },
            },
        };
        // The user's redis and notification endpoints point at services
        // started below; their addresses are fixed now, for the render.
        let redis_port = match &spec.user_sections {
            Some(user) if user.redis => Some(ports::free_port()?),
            _ => None,
        };
        let redis_password = spec
            .user_sections
            .as_ref()
            .filter(|u| u.redis_password())
            .map(|_| hex::encode(spec.seed.derive("redis-password").bytes::<16>()));
        let wants_notifications = spec
            .user_sections
            .as_ref()
            .is_some_and(|u| !u.notification_endpoints.is_empty());
        let services = LocalServices {
            redis_addr: redis_port.map(|p| ports::loopback(p).to_string()),
            redis_password: redis_password.clone(),
            notifications_url: wants_notifications.then(NotificationRecorder::base_url),
        };
        config.user_sections = spec
            .user_sections
            .as_ref()
            .map(|user| user.filled(&services));
        // Render before starting processes: a version that cannot express the
        // configuration is answered without spending a second on them. (Token
        // auth files are written later; their paths are known now.)
        if let Some(setup) = &spec.auth {
            config.token_auth = Some(auth::planned_config(setup, &dir));
        }
        config.render(spec.dialect)?;

        // The front door starts first: Azurite itself sends requests to blob
        // host names (it validates a SAS copy source by fetching it), and those
        // must come back here, not leave the machine.
        let front_door = FrontDoor::start(FrontDoorConfig::new(ca.clone()))
            .map_err(|source| EnvError::FrontDoorStart { source })?;
        let identity =
            IdentityCloud::start(&spec.identity, principal, &front_door, &dir, spec.seed)?;
        let notifications = if wants_notifications {
            let recorder = NotificationRecorder::new();
            Route::to(NOTIFICATIONS_HOST, Target::service(recorder.clone()))
                .and_then(|route| front_door.add_route(route))
                .map_err(|source| EnvError::FrontDoorRoute {
                    pattern: NOTIFICATIONS_HOST.into(),
                    source,
                })?;
            Some(recorder)
        } else {
            None
        };
        let redis = match redis_port {
            Some(port) => {
                Some(redis::RedisService::start(&dir, port, redis_password.as_deref()).await?)
            }
            None => None,
        };
        let mut token_auth = match &spec.auth {
            Some(setup) => Some(TokenAuth::start(
                setup,
                &spec.repository,
                &front_door,
                identity.plane(),
                &dir,
                spec.seed,
            )?),
            None => None,
        };
        config.token_auth = token_auth.as_ref().map(|t| t.config.clone());
        let config_yaml = config.render(spec.dialect)?;
        let to_config_yaml = match &spec.upgrade {
            Some(UpgradeTo {
                config: ConfigCarry::PerVersion,
                dialect,
                ..
            }) => Some(config.render(*dialect)?),
            Some(_) => Some(config_yaml.clone()),
            None => None,
        };

        let azurite_leaf = ca.issue_leaf(&["127.0.0.1", &account.host(), &blob_host])?;
        let (cert, key) = azurite_leaf.write_pem_files(&dir, "azurite")?;
        let azurite_port = ports::free_port()?;
        let azurite = AzuriteService::start(
            &spec.azurite,
            &account,
            AzuriteTls {
                cert: &cert,
                key: &key,
            },
            azurite_port,
            &front_door.proxy_url(),
            &dir,
        )
        .await?;
        let azurite_url = format!("https://127.0.0.1:{azurite_port}")
            .parse()
            .map_err(|source| EnvError::AzuriteUrl { source })?;
        let blob_pattern = format!("*.blob.{}", names.realm);
        Route::to(
            &blob_pattern,
            Target::upstream(azurite_url, ca.rustls_root_store()),
        )
        .and_then(|route| front_door.add_route(route))
        .map_err(|source| EnvError::FrontDoorRoute {
            pattern: blob_pattern.clone(),
            source,
        })?;
        correct_emulator(&front_door, &account, &names.realm);

        let storage = BlobStorageClient::new(
            account.clone(),
            ports::loopback(azurite_port),
            ca.rustls_root_store(),
        )?;
        // v3 does not create its container; 2.8 does, and tolerates an existing one.
        storage
            .create_container(&names.container, azurite_port)
            .await?;

        if let (Some(auth), Some(setup)) = (token_auth.as_mut(), &spec.auth) {
            if setup.flow == auth::Flow::AcrExchange {
                let http = harness_http(&ca, &front_door.proxy_url())?;
                auth.acr_login(&http, &identity.principal).await?;
            }
        }

        // The user's variables first: the platform's and the harness's own
        // (listen addresses) come later and win.
        let mut platform_env: Vec<(String, String)> = spec
            .registry_env
            .iter()
            .map(|(name, value)| {
                let value =
                    crate::registry_config::fill_secret(value, &account, &identity.principal);
                (name.clone(), services.fill_text(&value))
            })
            .collect();
        platform_env.extend(identity.registry_env());
        // The second version is written down now and started when a phase
        // asks for it. It has its own ports, set where a fleet sets each
        // host's address (the environment), so its config file is the
        // first one's, byte for byte, when carried.
        let to = match (&spec.upgrade, &to_config_yaml) {
            (Some(upgrade), Some(yaml)) => {
                let (port, debug) = (ports::free_port()?, ports::free_port()?);
                let mut env = platform_env.clone();
                env.push((
                    "REGISTRY_HTTP_ADDR".into(),
                    ports::loopback(port).to_string(),
                ));
                env.push((
                    "REGISTRY_HTTP_DEBUG_ADDR".into(),
                    ports::loopback(debug).to_string(),
                ));
                Some(RegistryService::prepare(RegistryLaunch {
                    installed: &upgrade.registry,
                    config_yaml: yaml,
                    ca_bundle: &ca_bundle,
                    proxy_url: &front_door.proxy_url(),
                    listen_port: port,
                    debug_port: debug,
                    run_dir: &dir,
                    name: "registry-to",
                    ready_timeout: spec.ready_timeout,
                    extra_env: &env,
                    runtime: &spec.runtime,
                })?)
            }
            _ => None,
        };
        let from = RegistryService::start(RegistryLaunch {
            installed: &spec.registry,
            config_yaml: &config_yaml,
            ca_bundle: &ca_bundle,
            proxy_url: &front_door.proxy_url(),
            listen_port,
            debug_port,
            run_dir: &dir,
            name: "registry",
            ready_timeout: spec.ready_timeout,
            extra_env: &platform_env,
            runtime: &spec.runtime,
        })
        .await?;

        let endpoints = std::iter::once(&from)
            .chain(to.as_ref())
            .map(|r| {
                (
                    r.base_url.clone(),
                    r.log_path().to_path_buf(),
                    r.tag().to_string(),
                )
            })
            .collect();
        let config_path = from.config_path.clone();
        let azurite_port = azurite.port;
        Ok(Environment {
            azurite_port,
            endpoints,
            config_path,
            seed: spec.seed,
            ca,
            account,
            front_door,
            storage,
            container: names.container.clone(),
            identity,
            token_auth,
            notifications,
            redis,
            azurite: tokio::sync::Mutex::new(azurite),
            registries: tokio::sync::Mutex::new(Fleet { from, to }),
            run_dir,
        })
    }

    /// Commands the config's redis-server processed, when it has one.
    pub async fn redis_commands(&self) -> Option<u64> {
        self.redis.as_ref()?.commands_processed().await
    }

    /// The seed this environment's keys and names came from.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The first (or only) registry's base URL.
    pub fn registry_url(&self) -> &str {
        self.endpoint(Side::From).0
    }

    /// A side's base URL, log file and version tag; `To` without an
    /// upgrade is the one registry.
    pub fn endpoint(&self, side: Side) -> (&str, &std::path::Path, &str) {
        let index = match side {
            Side::From => 0,
            Side::To => self.endpoints.len().saturating_sub(1),
        };
        let (url, log, tag) = &self.endpoints[index];
        (url, log, tag)
    }

    /// Whether a second version waits to start.
    pub fn has_upgrade(&self) -> bool {
        self.endpoints.len() > 1
    }

    pub fn azurite_port(&self) -> u16 {
        self.azurite_port
    }

    pub fn registry_log_path(&self) -> PathBuf {
        self.endpoint(Side::From).1.to_path_buf()
    }

    pub fn config_path(&self) -> &std::path::Path {
        &self.config_path
    }

    pub fn run_dir(&self) -> &std::path::Path {
        self.run_dir.path()
    }

    /// The registry's and Azurite's process ids, for reading their CPU time.
    pub async fn process_ids(&self) -> (i32, i32) {
        (
            self.registries
                .lock()
                .await
                .get(Side::From)
                .pid()
                .unwrap_or_default(),
            self.azurite.lock().await.process.pid(),
        )
    }

    /// The harness CA's certificate file, for clients that trust by file.
    pub fn ca_bundle(&self) -> PathBuf {
        self.run_dir.path().join(CA_BUNDLE)
    }

    /// Stops the processes (registry first, so it does not log storage errors
    /// for Azurite going away) and removes the run directory.
    pub async fn shutdown(self) {
        let Environment {
            registries,
            azurite,
            front_door,
            run_dir,
            ..
        } = self;
        registries.into_inner().stop_all().await;
        azurite.into_inner().stop().await;
        front_door.shutdown().await;
        drop(run_dir);
    }
}
