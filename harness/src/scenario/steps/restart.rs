//! `restart`: Azurite or the registry taken down and started again between
//! steps. It must not touch the data directory or the config.

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind, Target};
use crate::scenario::values::ProcessName;

/// Crash (SIGKILL) a process and start it again: Azurite on the same
/// data directory and port, or the registry with the same config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restart {
    pub process: ProcessName,
}

impl StepAction for Restart {
    fn kind(&self) -> StepKind {
        StepKind::Restart
    }

    fn describe(&self) -> String {
        format!("crash and restart {:?}", self.process)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let gone = restart_process(cx.target, cx.via, self.process).await?;
        Ok(format!("{} and was back in {gone:.1}s", how(self.process)))
    }
}

/// How each process is taken down (see `AzuriteService::restart`).
pub(super) fn how(process: ProcessName) -> &'static str {
    match process {
        ProcessName::Azurite => "Azurite stopped (SIGTERM)",
        ProcessName::Registry => "the registry crashed (SIGKILL)",
    }
}

/// Seconds the process was gone.
pub(super) async fn restart_process(
    target: &Target<'_>,
    via: crate::env::Side,
    process: ProcessName,
) -> Result<f64, StepError> {
    let gone = match process {
        ProcessName::Azurite => target.processes.restart_azurite().await,
        ProcessName::Registry => target.processes.restart_registry(via).await,
    }
    .map_err(|e| StepError::Harness(format!("restarting {process:?}: {e}")))?;
    Ok(gone.as_secs_f64())
}
