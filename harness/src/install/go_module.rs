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
    if let Some((needs, running)) = go_too_old(log) {
        return InstallError::GoTooOld {
            tag: version.tag().to_string(),
            needs,
            running,
        };
    }
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

/// The go command's refusal of a module that declares a newer Go than the
/// one running (`go: ...@v3.1.2 requires go >= 1.26.0 (running go 1.25.3;
/// GOTOOLCHAIN=local)`): (needed, running).
fn go_too_old(log: &str) -> Option<(String, String)> {
    let line = log.lines().find(|l| l.contains("requires go >= "))?;
    let needs = line
        .split("requires go >= ")
        .nth(1)?
        .split([' ', ')', ';'])
        .next()?
        .to_string();
    let running = line
        .split("running go ")
        .nth(1)
        .and_then(|r| r.split([' ', ')', ';']).next())
        .map_or_else(|| "an older Go".to_string(), |v| format!("go {v}"));
    Some((needs, running))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_go_too_old_for_the_tag_is_named_with_both_versions() {
        let log = "go: downloading github.com/distribution/distribution/v3 v3.1.2\n\
                   go: github.com/distribution/distribution/v3@v3.1.2 requires go >= 1.26.0 \
                   (running go 1.25.3; GOTOOLCHAIN=local)\n";
        let error = classify_failure(
            &"v3.1.2".parse().unwrap(),
            log,
            String::new(),
            PathBuf::from("build.log"),
        );
        assert_eq!(
            error.to_string(),
            "registry v3.1.2 needs Go >= 1.26.0 (its go.mod says so) and this machine runs go 1.25.3: \
             install a newer Go, or let the go command fetch one (GOTOOLCHAIN=auto, or GOTOOLCHAIN=go1.26.0)"
        );
    }
}
