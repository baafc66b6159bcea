//! Installing the Azurite emulator from npm into the cache, pinned.

use std::path::PathBuf;
use std::process::Command;

use indicatif::ProgressBar;

use super::{tool_run, InstallError};
use crate::cache::{Cache, CacheError};
use crate::toolchain;

/// 3.35.0 is the newest release whose engines field accepts Node 20 (3.36
/// needs Node 21, 3.37 Node 22); this machine class ships Node 20.
pub const AZURITE_VERSION: &str = "3.35.0";

#[derive(Debug, Clone)]
pub struct InstalledAzurite {
    pub version: String,
    pub node: PathBuf,
    /// The blob service's entry script, run with `node` (no shell wrapper, so the
    /// process group holds exactly Node).
    pub blob_script: PathBuf,
}

pub fn install(cache: &Cache, progress: &ProgressBar) -> Result<InstalledAzurite, InstallError> {
    let node = toolchain::require("node", "to run the Azurite storage emulator")?;
    let dir = cache.azurite_dir(AZURITE_VERSION);
    let blob_script = dir.join("node_modules/azurite/dist/src/blob/main.js");
    let marker = dir.join("install.complete");
    let installed = || InstalledAzurite {
        version: AZURITE_VERSION.to_string(),
        node: node.clone(),
        blob_script: blob_script.clone(),
    };
    if marker.is_file() && blob_script.is_file() {
        return Ok(installed());
    }
    let npm = toolchain::require("npm", "to install the Azurite storage emulator")?;
    progress.set_message(format!(
        "azurite {AZURITE_VERSION}: waiting for the cache lock"
    ));
    let _lock = cache.lock("azurite")?;
    if marker.is_file() && blob_script.is_file() {
        return Ok(installed());
    }
    progress.set_message(format!("azurite {AZURITE_VERSION}: npm install"));
    crate::cache::create_dir(&dir)?;
    let log_path = cache.log_path(&format!("install-azurite-{AZURITE_VERSION}"))?;
    let mut command = Command::new(npm);
    command
        .arg("install")
        .arg("--prefix")
        .arg(&dir)
        .args([
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        .arg(format!("azurite@{AZURITE_VERSION}"));
    let outcome = tool_run::run(command, &log_path).map_err(|e| InstallError::Azurite {
        version: AZURITE_VERSION.into(),
        detail: e.to_string(),
    })?;
    if !outcome.status.success() || !blob_script.is_file() {
        return Err(InstallError::Azurite {
            version: AZURITE_VERSION.into(),
            detail: format!("{} (log: {})", outcome.last_line(), log_path.display()),
        });
    }
    std::fs::write(&marker, AZURITE_VERSION).map_err(|source| CacheError::Io {
        path: marker,
        source,
    })?;
    Ok(installed())
}
