//! Building a v3 registry with `go install <module>/cmd/registry@<tag>`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{tool_run, InstallError};
use crate::versions::RegistryVersion;

pub(super) const MODULE: &str = "github.com/distribution/distribution/v3";

pub fn build(
    go: &Path,
    version: &RegistryVersion,
    scratch: &Path,
    log_path: &Path,
) -> Result<PathBuf, InstallError> {
    let bin_dir = scratch.join("bin");
    let mut command = Command::new(go);
    command
        .arg("install")
        // As upstream's release builds do, so `--version` names the tag, not `+unknown`.
        .arg(format!(
            "-ldflags=-X {MODULE}/version.version={}",
            version.tag()
        ))
        .arg(format!("{MODULE}/cmd/registry@{}", version.tag()))
        .env("GOBIN", &bin_dir)
        .env("CGO_ENABLED", "0")
        .env("GOFLAGS", "-mod=mod -buildvcs=false");
    let outcome = tool_run::run(command, log_path).map_err(|e| InstallError::Build {
        tag: version.tag().to_string(),
        last_line: e.to_string(),
        log: log_path.to_path_buf(),
    })?;
    if !outcome.status.success() {
        return Err(classify_failure(
            version,
            &outcome.log,
            outcome.last_line(),
            log_path.to_path_buf(),
        ));
    }
    Ok(bin_dir.join("registry"))
}

/// Tells "this tag does not exist" apart from "this tag does not build".
pub(super) fn classify_failure(
    version: &RegistryVersion,
    log: &str,
    last_line: String,
    log_path: PathBuf,
) -> InstallError {
    // The public proxy says "unknown revision"/"invalid version"; a mirror that
    // serves only known versions answers 403 "not available".
    let unknown = [
        "unknown revision",
        "invalid version",
        "no matching versions",
        "not found: ",
        "module version is not available",
    ];
    if unknown.iter().any(|needle| log.contains(needle)) {
        InstallError::UnknownVersion {
            tag: version.tag().to_string(),
            detail: last_line,
        }
    } else {
        InstallError::Build {
            tag: version.tag().to_string(),
            last_line,
            log: log_path,
        }
    }
}
