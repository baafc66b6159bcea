//! The OCI distribution-spec conformance suite, pinned, built from its Go
//! module into the cache as the peer clients are. Its module has no tags:
//! the Go proxy serves it as a pseudo-version of its main branch.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use super::peer_tool::GoTool;
use super::{InstallError, Installed};
use crate::cache::Cache;

pub const CONFORMANCE_PACKAGE: &str = "github.com/opencontainers/distribution-spec/conformance";
/// 2026-08-31: the standalone binary (`go build`, results in
/// `OCI_RESULTS_DIR`) with referrers, sha512 and the data-set variables.
pub const CONFORMANCE_VERSION: &str = "v0.0.0-20260831232431-97274622c111";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledConformance {
    pub version: String,
    pub binary: PathBuf,
}

impl Installed for InstalledConformance {
    fn binary(&self) -> &Path {
        &self.binary
    }
}

pub fn install(
    cache: &Cache,
    progress: &ProgressBar,
) -> Result<InstalledConformance, InstallError> {
    let tool = GoTool {
        name: "oci-conformance",
        package: CONFORMANCE_PACKAGE,
        version: CONFORMANCE_VERSION,
    };
    tool.install(cache, progress, |binary| InstalledConformance {
        version: CONFORMANCE_VERSION.to_string(),
        binary,
    })
}
