//! The per-run temporary directory (certificates, configs, logs, Azurite's
//! data). Removed on drop and on a terminating signal.

use std::path::{Path, PathBuf};

use crate::cleanup;

pub struct RunDir {
    path: PathBuf,
    keep: bool,
}

impl RunDir {
    pub fn create(label: &str) -> std::io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("regmatrix-{label}-"))
            .tempdir()?;
        let path = dir.keep();
        cleanup::register_directory(&path);
        Ok(RunDir { path, keep: false })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the directory after the run (for debugging with `--keep`).
    pub fn keep(&mut self) {
        self.keep = true;
        cleanup::forget_directory(&self.path);
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.keep {
            // Asked for with --keep: the operator needs to know where it is.
            eprintln!("kept run directory {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
            cleanup::forget_directory(&self.path);
        }
    }
}
