//! What an environment is asked to start: the registry (and for an
//! upgrade the second version), the storage names, the identity the
//! platform gives the process, token auth and the knobs callers set. It is
//! data only; starting it is `Environment::start`'s.

use std::time::Duration;

use regmatrix_mocks::seed::Seed;

use super::{
    AuthSetup, ConfigCarry, ConfigDialect, CredentialsMode, IdentitySetup, CONTAINER, REALM,
};
use crate::docker::image::RegistryImage;
use crate::install::{InstalledAzurite, InstalledRegistry};

/// The storage account, container and realm a user's own config names
/// (`upgrade-check`); scenarios use a random account, `registry`, and
/// `core.windows.net`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageNames {
    pub account: Option<String>,
    pub container: String,
    pub realm: String,
}

impl Default for StorageNames {
    fn default() -> Self {
        StorageNames {
            account: None,
            container: CONTAINER.into(),
            realm: REALM.into(),
        }
    }
}

/// A user's own deployment, for `upgrade-check`: the `storage.azure`
/// section as written (after the user's environment overrides it) and the
/// `REGISTRY_*` variables the registry process gets. Secrets in both are
/// placeholders (`{{accountkey}}`, `{{clientid}}`, `{{tenantid}}`,
/// `{{secret}}`) that the environment fills with the mock account's and
/// principal's values, so the user's secrets are never used.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDeployment {
    pub names: StorageNames,
    pub azure: serde_yaml::Mapping,
    pub env: Vec<(String, String)>,
    /// The config's other sections, rendered too.
    pub sections: crate::registry_config::UserSections,
}

/// Where the registry stores blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageBackend {
    #[default]
    Azure,
    Filesystem,
}

/// How the registry runs.
#[derive(Debug, Clone, Default)]
pub enum RegistryRuntime {
    /// The binary built from the version's Go module, as a child process.
    #[default]
    Process,
    /// The version's image as a container (`--backend container`).
    Container(ContainerRuntime),
}

/// The container backend's images and mount.
#[derive(Debug, Clone, Default)]
pub struct ContainerRuntime {
    /// The image of each version tag, resolved on the engine before the run.
    pub images: std::collections::BTreeMap<String, RegistryImage>,
    /// Where the deployment mounts the config; `None`: where each image
    /// reads it.
    pub mount_config_at: Option<String>,
}

impl ContainerRuntime {
    pub fn image(&self, tag: &str) -> Result<RegistryImage, super::EnvError> {
        self.images
            .get(tag)
            .cloned()
            .ok_or_else(|| super::EnvError::Container {
                tag: tag.to_string(),
                detail: "no image was resolved for this version".into(),
            })
    }
}

/// The second version of an upgrade: it starts, when the scenario says,
/// on the storage, identity plane and token server of the first.
#[derive(Clone)]
pub struct UpgradeTo {
    pub registry: InstalledRegistry,
    pub dialect: ConfigDialect,
    pub config: ConfigCarry,
}

/// What to start.
#[derive(Clone)]
pub struct EnvironmentSpec {
    pub label: String,
    pub registry: InstalledRegistry,
    pub dialect: ConfigDialect,
    /// An upgrade's second version; `registry` is then the first.
    pub upgrade: Option<UpgradeTo>,
    pub azurite: InstalledAzurite,
    pub credentials: CredentialsMode,
    pub identity: IdentitySetup,
    /// Token authentication, when the scenario has an `[auth]` section.
    pub auth: Option<AuthSetup>,
    /// The repository the scenario pushes to (token users get rights on it).
    pub repository: String,
    pub disable_redirect: bool,
    /// `storage.delete.enabled` (true unless a scenario says `delete = false`).
    pub delete_enabled: bool,
    pub storage_names: StorageNames,
    /// The user's azure section as written; replaces the rendered one.
    pub azure_as_written: Option<serde_yaml::Mapping>,
    /// The user's `REGISTRY_*` variables for every registry process, with
    /// secret placeholders; the harness's own variables win over them.
    pub registry_env: Vec<(String, String)>,
    /// The user's other sections (upgrade-check): rendered into the config,
    /// with a redis-server and a notification recorder started when they
    /// name one.
    pub user_sections: Option<crate::registry_config::UserSections>,
    /// Azure (the default) or, for benchmarks, the filesystem driver in
    /// the run directory.
    pub backend: StorageBackend,
    /// The registry as a process (default) or a container.
    pub runtime: RegistryRuntime,
    /// A fixed registry port (debugging); `None` picks a free one.
    pub registry_port: Option<u16>,
    pub ready_timeout: Duration,
    pub keep_run_dir: bool,
    /// The cell's seed: keys, account, principal and secrets derive from it.
    /// The TLS keys of the harness CA stay random: no registry decision
    /// depends on them.
    pub seed: Seed,
}

impl EnvironmentSpec {
    /// The spec every caller starts from: what only the caller knows (a
    /// label for the run directory, the registry and its config dialect,
    /// Azurite), and for the rest a plain environment: shared key, no
    /// workload identity, no token auth, redirects on, the scenario storage
    /// names, Azure storage, a free port, 30 s to turn healthy, the run
    /// directory removed afterwards. Callers change the fields they differ
    /// in with struct update syntax.
    pub fn new(
        label: impl Into<String>,
        registry: InstalledRegistry,
        dialect: ConfigDialect,
        azurite: InstalledAzurite,
    ) -> Self {
        EnvironmentSpec {
            label: label.into(),
            registry,
            dialect,
            upgrade: None,
            azurite,
            credentials: CredentialsMode::default(),
            identity: IdentitySetup::default(),
            auth: None,
            repository: DEFAULT_REPOSITORY.into(),
            disable_redirect: false,
            delete_enabled: true,
            storage_names: StorageNames::default(),
            azure_as_written: None,
            registry_env: Vec::new(),
            user_sections: None,
            backend: StorageBackend::default(),
            runtime: RegistryRuntime::default(),
            registry_port: None,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            keep_run_dir: false,
            seed: Seed::default(),
        }
    }
}

/// The repository token users get rights on when the caller names none.
pub const DEFAULT_REPOSITORY: &str = "regmatrix/test";
/// Long enough for a cold Go binary on a busy runner, short enough to fail a
/// wedged registry quickly.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);
