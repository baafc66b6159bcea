//! The registry processes of one environment on one storage account: the
//! version under test, or for an upgrade the `from` and the `to` version,
//! each its own process with its own port, log and (unless the config is
//! carried) config. Starting and stopping them in an upgrade's order is
//! the caller's; this keeps which side runs.

use std::time::Duration;

use serde::Deserialize;

use super::registry::RegistryService;
use super::EnvError;

/// Which of an upgrade's two versions; a single-version environment has
/// only `From`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    From,
    To,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::From => "from",
            Side::To => "to",
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the `to` version gets its config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigCarry {
    /// Rendered once for `from` and used unchanged, as an operator carries
    /// a config file across an upgrade.
    #[default]
    Carried,
    /// Rendered for each version in its own dialect (an operator who
    /// migrated the config with the binary).
    PerVersion,
}

pub(crate) struct Fleet {
    pub from: RegistryService,
    pub to: Option<RegistryService>,
}

impl Fleet {
    /// The side's service; `To` in a single-version environment is `From`.
    pub fn side(&mut self, side: Side) -> &mut RegistryService {
        match (side, self.to.as_mut()) {
            (Side::To, Some(to)) => to,
            _ => &mut self.from,
        }
    }

    pub fn get(&self, side: Side) -> &RegistryService {
        match (side, self.to.as_ref()) {
            (Side::To, Some(to)) => to,
            _ => &self.from,
        }
    }

    pub async fn ensure_running(&mut self, side: Side) -> Result<Option<Duration>, EnvError> {
        self.side(side).ensure_running().await
    }

    pub async fn ensure_stopped(&mut self, side: Side) -> bool {
        self.side(side).ensure_stopped().await
    }

    /// Stops every process, `to` first (it started last).
    pub async fn stop_all(mut self) {
        if let Some(to) = self.to.as_mut() {
            to.ensure_stopped_now().await;
        }
        self.from.ensure_stopped_now().await;
    }
}
