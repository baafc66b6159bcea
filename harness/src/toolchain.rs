//! Finding the external tools the harness builds and runs things with.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("`{tool}` was not found on PATH; it is needed {purpose} (install it and retry)")]
pub struct MissingTool {
    pub tool: String,
    pub purpose: String,
}

/// Resolves `tool` on PATH, or says what it was needed for.
pub fn require(tool: &str, purpose: &str) -> Result<PathBuf, MissingTool> {
    find_on_path(tool).ok_or_else(|| MissingTool {
        tool: tool.to_string(),
        purpose: purpose.to_string(),
    })
}

fn find_on_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
