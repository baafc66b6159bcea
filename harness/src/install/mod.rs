//! Bootstrapping the real components into the cache: registry binaries built
//! from their Go modules (one directory per tag) and Azurite from npm.
//! Installs are idempotent (a completed install leaves a manifest) and
//! serialised across processes by a cache lock.

mod azurite;
mod columns;
mod config_probe;
mod conformance;
mod go_module;
mod peer_tool;
mod releases;
mod tool_run;
mod vendor_conf;

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::cache::{Cache, CacheError};
use crate::toolchain::MissingTool;
use crate::versions::{BuildRecipe, RegistryVersion};

pub use azurite::{InstalledAzurite, NodeCodeCache, AZURITE_VERSION};
pub use columns::{prepare, registry_column, Column};
pub use config_probe::InstalledProbe;
pub use conformance::{InstalledConformance, CONFORMANCE_PACKAGE, CONFORMANCE_VERSION};
pub use peer_tool::{InstalledPeer, PeerTool, UnknownPeer};
pub use releases::{cached_releases, list_releases, ReleaseList};
pub use vendor_conf::{go_mod_from_vendor_conf, VendorConfError};

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    MissingTool(#[from] MissingTool),
    #[error("unknown registry version {tag:?}: the Go module proxy has no such tag ({detail})")]
    UnknownVersion { tag: String, detail: String },
    #[error("registry {tag} needs Go >= {needs} (its go.mod says so) and this machine runs {running}: install a newer Go, or let the go command fetch one (GOTOOLCHAIN=auto, or GOTOOLCHAIN=go{needs})")]
    GoTooOld {
        tag: String,
        needs: String,
        running: String,
    },
    #[error("building registry {tag} failed: {last_line} (full log: {log})")]
    Build {
        tag: String,
        last_line: String,
        log: PathBuf,
    },
    #[error("building {tool} failed: {last_line} (full log: {log})")]
    PeerBuild {
        tool: String,
        last_line: String,
        log: PathBuf,
    },
    #[error("installing azurite@{version} failed: {detail}")]
    Azurite { version: String, detail: String },
    #[error("registry binary {path} cannot report its version: {detail}")]
    VersionProbe { path: PathBuf, detail: String },
    #[error(transparent)]
    VendorConf(#[from] VendorConfError),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// A registry binary ready to run, with its own `--version` line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstalledRegistry {
    /// The tag it was built from, or `custom` for `--registry-bin`.
    pub tag: String,
    pub binary: PathBuf,
    pub version_line: String,
}

const MANIFEST: &str = "install.json";

pub struct Installer {
    cache: Cache,
}

impl Installer {
    pub fn new(cache: Cache) -> Self {
        Installer { cache }
    }

    /// The installer over the cache the environment names (see [`Cache::from_env`]).
    pub fn from_env() -> Result<Self, CacheError> {
        Cache::from_env().map(Installer::new)
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Builds `version` into the cache unless it is already there.
    pub async fn registry(
        &self,
        version: &RegistryVersion,
        progress: &ProgressBar,
    ) -> Result<InstalledRegistry, InstallError> {
        let cache = self.cache.clone();
        let version = version.clone();
        let progress = progress.clone();
        join_blocking(move || install_registry(&cache, &version, &progress)).await
    }

    /// Builds a peer client (oras, crane) into the cache unless it is there.
    pub async fn peer(
        &self,
        tool: PeerTool,
        progress: &ProgressBar,
    ) -> Result<InstalledPeer, InstallError> {
        let cache = self.cache.clone();
        let progress = progress.clone();
        join_blocking(move || peer_tool::install(&cache, tool, &progress)).await
    }

    /// Builds the OCI conformance suite into the cache unless it is there.
    pub async fn conformance(
        &self,
        progress: &ProgressBar,
    ) -> Result<InstalledConformance, InstallError> {
        let cache = self.cache.clone();
        let progress = progress.clone();
        join_blocking(move || conformance::install(&cache, &progress)).await
    }

    /// Builds the config parser probe of `version` unless it is there.
    pub async fn config_probe(
        &self,
        version: &RegistryVersion,
    ) -> Result<InstalledProbe, InstallError> {
        let cache = self.cache.clone();
        let version = version.clone();
        join_blocking(move || config_probe::install(&cache, &version)).await
    }

    pub async fn azurite(&self, progress: &ProgressBar) -> Result<InstalledAzurite, InstallError> {
        let cache = self.cache.clone();
        let progress = progress.clone();
        join_blocking(move || azurite::install(&cache, &progress)).await
    }
}

/// Describes a binary the user built; it is not copied into the cache.
pub fn custom_registry(binary: &Path) -> Result<InstalledRegistry, InstallError> {
    let binary = std::fs::canonicalize(binary).map_err(|e| InstallError::VersionProbe {
        path: binary.to_path_buf(),
        detail: e.to_string(),
    })?;
    let version_line = probe_version_line(&binary)?;
    Ok(InstalledRegistry {
        tag: "custom".into(),
        binary,
        version_line,
    })
}

async fn join_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, InstallError> + Send + 'static,
) -> Result<T, InstallError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(join) => std::panic::resume_unwind(join.into_panic()),
    }
}

fn install_registry(
    cache: &Cache,
    version: &RegistryVersion,
    progress: &ProgressBar,
) -> Result<InstalledRegistry, InstallError> {
    let dir = cache.registry_dir(version.tag());
    if let Some(done) = read_manifest::<InstalledRegistry>(&dir) {
        return Ok(done);
    }
    progress.set_message(format!("registry {version}: waiting for the cache lock"));
    let _lock = cache.lock(&format!("registry-{}", version.tag()))?;
    // Another process may have finished the build while we waited.
    if let Some(done) = read_manifest::<InstalledRegistry>(&dir) {
        return Ok(done);
    }
    let scratch = cache.scratch_dir(&format!("build-{}", version.tag()))?;
    progress.set_message(format!("registry {version}: building from its Go module"));
    let go = crate::toolchain::require("go", &format!("to build registry {version}"))?;
    let log_path = cache.log_path(&format!("build-registry-{}", version.tag()))?;
    let built = match version.recipe() {
        BuildRecipe::GoModule => go_module::build(&go, version, scratch.path(), &log_path)?,
        BuildRecipe::VendorConf => vendor_conf::build(&go, version, scratch.path(), &log_path)?,
    };
    let version_line = probe_version_line(&built)?;
    crate::cache::create_dir(&dir)?;
    let binary = dir.join("registry");
    std::fs::rename(&built, &binary).map_err(|source| CacheError::Io {
        path: binary.clone(),
        source,
    })?;
    let installed = InstalledRegistry {
        tag: version.tag().to_string(),
        binary,
        version_line,
    };
    write_manifest(&dir, &installed)?;
    Ok(installed)
}

/// Something installed into the cache whose binary must still be there.
pub(crate) trait Installed: Serialize + serde::de::DeserializeOwned {
    fn binary(&self) -> &Path;
}

impl Installed for InstalledRegistry {
    fn binary(&self) -> &Path {
        &self.binary
    }
}

pub(crate) fn read_manifest<T: Installed>(dir: &Path) -> Option<T> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
    let installed: T = serde_json::from_str(&text).ok()?;
    installed.binary().is_file().then_some(installed)
}

pub(crate) fn write_manifest<T: Installed>(dir: &Path, installed: &T) -> Result<(), CacheError> {
    let path = dir.join(MANIFEST);
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let text = serde_json::to_string_pretty(installed).unwrap_or_default();
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|source| CacheError::Io { path, source })
}

/// Runs `registry --version` and returns its first line.
pub fn probe_version_line(binary: &Path) -> Result<String, InstallError> {
    let output = std::process::Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|e| InstallError::VersionProbe {
            path: binary.to_path_buf(),
            detail: e.to_string(),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().next().unwrap_or("").trim().to_string();
    if !output.status.success() || line.is_empty() {
        return Err(InstallError::VersionProbe {
            path: binary.to_path_buf(),
            detail: format!(
                "exit {}, output {:?}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    // The first word is argv[0]; report the rest, which names module and version.
    Ok(line
        .split_once(' ')
        .map(|(_, rest)| rest.to_string())
        .unwrap_or(line))
}
