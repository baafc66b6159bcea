//! What a registry did in one cell, and how bad each outcome is. Every
//! renderer and every comparison (diff, upgrade-check, exit codes) reads
//! severity and alarms from here, never from a table of its own.

use serde::{Deserialize, Serialize};

/// What a registry did in one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The registry accepted a token it must refuse (an attack, an expired
    /// or foreign token). Listed first in every report.
    Security,
    /// The scenario's operations succeeded.
    Pass,
    /// The registry refused them.
    Fail,
    /// The version cannot express the scenario.
    Unsupported,
    /// The harness could not run it.
    Error,
    /// Repeated runs (`--repeat`) disagreed; every observation is kept.
    Flaky,
    /// The registry acknowledged data (2xx) it then could not return intact.
    /// Listed first in every report, with the fault seed.
    DataLoss,
    /// After the faults stopped, the registry did not serve again within the
    /// scenario's bound.
    NoRecovery,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Security => "security",
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unsupported => "unsupported",
            Outcome::Error => "error",
            Outcome::Flaky => "flaky",
            Outcome::DataLoss => "data-loss",
            Outcome::NoRecovery => "no-recovery",
        }
    }

    /// How bad an outcome is; a rise between two runs is a regression.
    pub fn severity(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Unsupported => 1,
            Outcome::Flaky => 2,
            Outcome::Fail => 3,
            Outcome::Error => 4,
            Outcome::NoRecovery => 5,
            Outcome::Security => 6,
            Outcome::DataLoss => 7,
        }
    }

    /// Outcomes that fail a run even when expected, and lead every report.
    pub fn is_alarm(self) -> bool {
        matches!(self, Outcome::Security | Outcome::DataLoss)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
