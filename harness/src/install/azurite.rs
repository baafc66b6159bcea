//! Installing the Azurite emulator from npm into the cache, pinned, with a
//! V8 code cache for its modules (see `node/code_cache.js`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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
    /// Compiled modules for a faster start; `None` runs Azurite as npm
    /// installed it (the cache could not be written here).
    pub code_cache: Option<NodeCodeCache>,
    /// What this install did to the code cache, if anything.
    pub notice: Option<CodeCacheNotice>,
}

/// Writing the code cache is worth a line of progress; failing to, a
/// warning (Azurite still runs, each start compiling its modules).
#[derive(Debug, Clone)]
pub enum CodeCacheNotice {
    Written { seconds: f64 },
    NotWritten { reason: String },
}

impl std::fmt::Display for CodeCacheNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodeCacheNotice::Written { seconds } => write!(
                f,
                "azurite {AZURITE_VERSION}: module code cache written in {seconds:.1} s"
            ),
            CodeCacheNotice::NotWritten { reason } => write!(
                f,
                "regmatrix: warning: azurite {AZURITE_VERSION} starts without a code cache \
                 (each start compiles its modules): {reason}"
            ),
        }
    }
}

impl CodeCacheNotice {
    /// Progress lines go through `progress`; a warning is printed even
    /// under `--quiet`.
    pub fn report(&self, progress: &crate::progress::Progress) {
        match self {
            CodeCacheNotice::Written { .. } => progress.println(&self.to_string()),
            CodeCacheNotice::NotWritten { .. } => eprintln!("{self}"),
        }
    }
}

/// The preload script and the directory of compiled modules it reads.
#[derive(Debug, Clone)]
pub struct NodeCodeCache {
    pub preload: PathBuf,
    pub dir: PathBuf,
}

impl NodeCodeCache {
    /// Node arguments and environment that make a process compile from the
    /// cache (`produce`: write it at exit instead). A tokio command is made
    /// from the std one (`tokio::process::Command::from`).
    pub fn apply(&self, command: &mut Command, produce: bool) {
        command
            .arg("--require")
            .arg(&self.preload)
            .env("REGMATRIX_NODE_CODE_CACHE", &self.dir);
        if produce {
            command.env("REGMATRIX_NODE_CODE_CACHE_PRODUCE", "1");
        }
    }
}

const PRELOAD: &str = include_str!("node/code_cache.js");
/// What else decides the modules a start loads besides the preload: the
/// environment Azurite is started with (the stamp covers it, so a change to
/// it writes the cache again). Azurite runs with the environment its
/// `--disableTelemetry` run would have. Its telemetry library's
/// diagnostic-channel hooks stay on although they cost start-up CPU: with
/// them off (APPLICATION_INSIGHTS_NO_DIAGNOSTIC_CHANNEL=1) the container
/// backend's equivalence test failed 3 of 7 runs, the front door closing the
/// harness's first List Blobs without a TLS close_notify, and passed 5 of 5
/// with them on; the emulator must run as it ships.
const PRODUCE_ENVIRONMENT: &str = "PATH HOME";

pub fn install(cache: &Cache, progress: &ProgressBar) -> Result<InstalledAzurite, InstallError> {
    let node = toolchain::require("node", "to run the Azurite storage emulator")?;
    let dir = cache.azurite_dir(AZURITE_VERSION);
    let blob_script = dir.join("node_modules/azurite/dist/src/blob/main.js");
    let marker = dir.join("install.complete");
    let installed = |(code_cache, notice)| InstalledAzurite {
        version: AZURITE_VERSION.to_string(),
        node: node.clone(),
        blob_script: blob_script.clone(),
        code_cache,
        notice,
    };
    // One `node --version` per install, read by every check below.
    let stamp = code_cache_stamp(&node);
    let stamp = stamp.as_deref();
    if marker.is_file() && blob_script.is_file() {
        if let Some(ready) = code_cache_ready(&dir, stamp) {
            return Ok(installed((Some(ready), None)));
        }
    }
    let npm = toolchain::require("npm", "to install the Azurite storage emulator")?;
    progress.set_message(format!(
        "azurite {AZURITE_VERSION}: waiting for the cache lock"
    ));
    let _lock = cache.lock("azurite")?;
    if marker.is_file() && blob_script.is_file() {
        let code_cache = prepare_code_cache(cache, &node, &blob_script, &dir, stamp, progress);
        return Ok(installed(code_cache));
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
    let code_cache = prepare_code_cache(cache, &node, &blob_script, &dir, stamp, progress);
    Ok(installed(code_cache))
}

/// The code cache's marker names the preload's content and the Node it was
/// written by, so a changed preload or a new Node writes it again.
fn code_cache_stamp(node: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let version = Command::new(node).arg("--version").output().ok()?;
    let mut hasher = Sha256::new();
    hasher.update(PRELOAD.as_bytes());
    hasher.update(PRODUCE_ENVIRONMENT.as_bytes());
    let digest = hasher.finalize();
    Some(format!(
        "{} {}",
        String::from_utf8_lossy(&version.stdout).trim(),
        &hex::encode(digest)[..16]
    ))
}

fn code_cache_paths(dir: &Path) -> (NodeCodeCache, PathBuf) {
    let root = dir.join("regmatrix-code-cache");
    let cache = NodeCodeCache {
        preload: root.join("code_cache.js"),
        dir: root.join("modules"),
    };
    (cache, root.join("complete"))
}

fn code_cache_ready(dir: &Path, stamp: Option<&str>) -> Option<NodeCodeCache> {
    let (cache, marker) = code_cache_paths(dir);
    (std::fs::read_to_string(marker).ok()? == stamp? && cache.preload.is_file()).then_some(cache)
}

/// Starts Azurite once with the preload in produce mode and stops it once it
/// listens: the modules a start loads are then compiled and written. A
/// failure here only costs speed, so it is a warning and Azurite runs as
/// npm installed it.
fn prepare_code_cache(
    cache: &Cache,
    node: &Path,
    blob_script: &Path,
    dir: &Path,
    stamp: Option<&str>,
    progress: &ProgressBar,
) -> (Option<NodeCodeCache>, Option<CodeCacheNotice>) {
    let (code_cache, marker) = code_cache_paths(dir);
    // Another process may have written it while this one waited for the lock.
    if let Some(ready) = code_cache_ready(dir, stamp) {
        return (Some(ready), None);
    }
    let Some(stamp) = stamp else {
        let reason = "`node --version` did not answer".to_string();
        return (None, Some(CodeCacheNotice::NotWritten { reason }));
    };
    progress.set_message(format!(
        "azurite {AZURITE_VERSION}: compiling its modules once"
    ));
    let started = Instant::now();
    match produce_code_cache(cache, node, blob_script, &code_cache, &marker, stamp) {
        Ok(()) => (
            Some(code_cache),
            Some(CodeCacheNotice::Written {
                seconds: started.elapsed().as_secs_f64(),
            }),
        ),
        Err(reason) => (None, Some(CodeCacheNotice::NotWritten { reason })),
    }
}

fn produce_code_cache(
    cache: &Cache,
    node: &Path,
    blob_script: &Path,
    code_cache: &NodeCodeCache,
    marker: &Path,
    stamp: &str,
) -> Result<(), String> {
    let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
    let root = marker.parent().ok_or("no cache directory")?;
    let _ = std::fs::remove_file(marker);
    std::fs::create_dir_all(root).map_err(|e| io("create the code cache directory", e))?;
    std::fs::write(&code_cache.preload, PRELOAD).map_err(|e| io("write the preload", e))?;
    let scratch = cache
        .scratch_dir("azurite-code-cache")
        .map_err(|e| e.to_string())?;
    let log_path = scratch.path().join("azurite.log");
    let log = std::fs::File::create(&log_path).map_err(|e| io("create the log", e))?;
    let mut command = Command::new(node);
    command.env_clear();
    code_cache.apply(&mut command, true);
    command
        .arg(blob_script)
        .args(["--blobHost", "127.0.0.1", "--blobPort", "0"])
        .args(["--disableTelemetry", "--silent", "--location"])
        .arg(scratch.path().join("data"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch.path())
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().map_err(|e| io("share the log", e))?)
        .stderr(log);
    let outcome = super::tool_run::run_until_logged(
        command,
        &log_path,
        "successfully listens on",
        Duration::from_secs(60),
    )
    .map_err(|e| io("run azurite", e))?;
    if !outcome.status.success() {
        return Err(format!(
            "azurite exited with {}: {}",
            outcome.status,
            outcome.last_line()
        ));
    }
    if !code_cache.dir.is_dir() {
        return Err(format!("azurite wrote no cache: {}", outcome.last_line()));
    }
    std::fs::write(marker, stamp).map_err(|e| io("write the marker", e))
}
