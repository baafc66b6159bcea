//! The per-user cache of built registries and installed Azurite, and the
//! file locks that make two processes installing the same thing safe.

use std::fs::File;
use std::path::{Path, PathBuf};

pub const CACHE_ENV: &str = "REGMATRIX_CACHE";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot find a cache directory: set {CACHE_ENV} or HOME")]
    NoHome,
    #[error("cache I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// `$REGMATRIX_CACHE`, else `$XDG_CACHE_HOME/regmatrix`, else `~/.cache/regmatrix`.
    pub fn from_env() -> Result<Self, CacheError> {
        let root = if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|d| !d.is_empty()) {
            PathBuf::from(dir)
        } else if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            PathBuf::from(dir).join("regmatrix")
        } else {
            let home = std::env::var_os("HOME").ok_or(CacheError::NoHome)?;
            PathBuf::from(home).join(".cache").join("regmatrix")
        };
        Ok(Cache { root })
    }

    pub fn at(root: impl Into<PathBuf>) -> Self {
        Cache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn registry_dir(&self, tag: &str) -> PathBuf {
        self.root.join("registry").join(tag)
    }

    /// A peer client (oras, crane) built from its Go module.
    pub fn tool_dir(&self, name: &str, version: &str) -> PathBuf {
        self.root.join("tools").join(format!("{name}-{version}"))
    }

    pub fn azurite_dir(&self, version: &str) -> PathBuf {
        self.root.join("azurite").join(version)
    }

    /// Where an install step keeps its log, kept after failures so the user can read it.
    pub fn log_path(&self, name: &str) -> Result<PathBuf, CacheError> {
        let dir = self.root.join("logs");
        create_dir(&dir)?;
        Ok(dir.join(format!("{name}.log")))
    }

    /// A scratch directory inside the cache (same filesystem, so results can be renamed into place).
    pub fn scratch_dir(&self, label: &str) -> Result<tempfile::TempDir, CacheError> {
        let parent = self.root.join("tmp");
        create_dir(&parent)?;
        tempfile::Builder::new()
            .prefix(&format!("{label}-"))
            .tempdir_in(&parent)
            .map_err(|source| CacheError::Io {
                path: parent,
                source,
            })
    }

    /// Takes an exclusive lock named `name`, blocking until it is free. The
    /// lock is released when the returned guard drops (or the process dies).
    pub fn lock(&self, name: &str) -> Result<CacheLock, CacheError> {
        let dir = self.root.join("locks");
        create_dir(&dir)?;
        let path = dir.join(format!("{}.lock", name.replace('/', "_")));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| CacheError::Io {
                path: path.clone(),
                source,
            })?;
        file.lock()
            .map_err(|source| CacheError::Io { path, source })?;
        Ok(CacheLock { _file: file })
    }
}

/// Held while installing; dropping the file releases the lock.
pub struct CacheLock {
    _file: File,
}

pub fn create_dir(path: &Path) -> Result<(), CacheError> {
    std::fs::create_dir_all(path).map_err(|source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    })
}
