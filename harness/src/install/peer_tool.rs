//! Peer registry clients for the bench (oras, crane), built with
//! `go install <module>/cmd/<tool>@<version>` into the cache, one directory
//! per tool and version, as the registries are.

use std::path::{Path, PathBuf};
use std::process::Command;

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use super::{read_manifest, tool_run, write_manifest, InstallError, Installed};
use crate::cache::{Cache, CacheError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerTool {
    Oras,
    Crane,
}

impl PeerTool {
    pub const ALL: [PeerTool; 2] = [PeerTool::Oras, PeerTool::Crane];

    pub fn name(self) -> &'static str {
        match self {
            PeerTool::Oras => "oras",
            PeerTool::Crane => "crane",
        }
    }

    /// The package `go install` builds, and the release it builds: pinned,
    /// so two bench runs compare with the same peer.
    fn package(self) -> (&'static str, &'static str) {
        match self {
            PeerTool::Oras => ("oras.land/oras/cmd/oras", "v1.3.6"),
            PeerTool::Crane => (
                "github.com/google/go-containerregistry/cmd/crane",
                "v0.22.1",
            ),
        }
    }

    pub fn version(self) -> &'static str {
        self.package().1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown peer client {0:?}: expected oras or crane")]
pub struct UnknownPeer(pub String);

impl std::str::FromStr for PeerTool {
    type Err = UnknownPeer;

    fn from_str(text: &str) -> Result<Self, UnknownPeer> {
        match text.trim() {
            "oras" => Ok(PeerTool::Oras),
            "crane" => Ok(PeerTool::Crane),
            other => Err(UnknownPeer(other.to_string())),
        }
    }
}

impl PeerTool {
    /// `--peers`: comma-separated tools, each once, or `none` for no peer.
    pub fn parse_list(text: &str) -> Result<Vec<PeerTool>, UnknownPeer> {
        if text.trim() == "none" {
            return Ok(Vec::new());
        }
        let mut tools = Vec::new();
        for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let tool: PeerTool = name.parse()?;
            if !tools.contains(&tool) {
                tools.push(tool);
            }
        }
        Ok(tools)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledPeer {
    pub tool: PeerTool,
    pub version: String,
    pub binary: PathBuf,
}

impl Installed for InstalledPeer {
    fn binary(&self) -> &Path {
        &self.binary
    }
}

pub fn install(
    cache: &Cache,
    tool: PeerTool,
    progress: &ProgressBar,
) -> Result<InstalledPeer, InstallError> {
    let (package, version) = tool.package();
    let go_tool = GoTool {
        name: tool.name(),
        package,
        version,
    };
    go_tool.install(cache, progress, |binary| InstalledPeer {
        tool,
        version: version.to_string(),
        binary,
    })
}

/// A Go program built with `go install <package>@<version>` into
/// `<cache>/tools/<name>/<version>/`, with a manifest saying what it is.
pub(crate) struct GoTool {
    pub name: &'static str,
    pub package: &'static str,
    pub version: &'static str,
}

impl GoTool {
    /// Builds the tool unless the cache has it (another process may be
    /// building it: the cache lock serialises them), and returns what
    /// `installed` makes of its binary.
    pub fn install<T: Installed>(
        &self,
        cache: &Cache,
        progress: &ProgressBar,
        installed: impl FnOnce(PathBuf) -> T,
    ) -> Result<T, InstallError> {
        let GoTool {
            name,
            package,
            version,
        } = *self;
        let dir = cache.tool_dir(name, version);
        if let Some(done) = read_manifest::<T>(&dir) {
            return Ok(done);
        }
        progress.set_message(format!("{name} {version}: waiting for the cache lock"));
        let _lock = cache.lock(&format!("tool-{name}-{version}"))?;
        if let Some(done) = read_manifest::<T>(&dir) {
            return Ok(done);
        }
        progress.set_message(format!("{name} {version}: building from its Go module"));
        let go = crate::toolchain::require("go", &format!("to build {name}"))?;
        let scratch = cache.scratch_dir(&format!("build-{name}"))?;
        let log_path = cache.log_path(&format!("build-{name}-{version}"))?;
        let bin_dir = scratch.path().join("bin");
        let mut command = Command::new(go);
        command
            .arg("install")
            .arg(format!("{package}@{version}"))
            .env("GOBIN", &bin_dir)
            .env("CGO_ENABLED", "0")
            .env("GOFLAGS", "-mod=mod -buildvcs=false");
        let failed = |last_line: String| InstallError::PeerBuild {
            tool: format!("{name}@{version}"),
            last_line,
            log: log_path.clone(),
        };
        let outcome = tool_run::run(command, &log_path).map_err(|e| failed(e.to_string()))?;
        if !outcome.status.success() {
            return Err(failed(outcome.last_line()));
        }
        crate::cache::create_dir(&dir)?;
        // `go install` names the binary after the package's last element.
        let built_name = package.rsplit('/').next().unwrap_or(name);
        let binary = dir.join(name);
        std::fs::rename(bin_dir.join(built_name), &binary).map_err(|source| CacheError::Io {
            path: binary.clone(),
            source,
        })?;
        let done = installed(binary);
        write_manifest(&dir, &done)?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_parse_once_each_or_none() {
        assert_eq!(
            PeerTool::parse_list("crane, oras,crane").unwrap(),
            [PeerTool::Crane, PeerTool::Oras]
        );
        assert!(PeerTool::parse_list(" none ").unwrap().is_empty());
        assert_eq!(
            PeerTool::parse_list("oras,docker").unwrap_err().to_string(),
            "unknown peer client \"docker\": expected oras or crane"
        );
    }
}
