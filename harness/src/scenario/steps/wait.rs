//! `wait`: lets time pass (token lifetimes, refresh windows). It must not
//! poll or probe anything meanwhile.

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::scenario::values::HumanDuration;

/// Let time pass (token lifetimes, refresh windows).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait {
    pub duration: HumanDuration,
}

impl StepAction for Wait {
    fn kind(&self) -> StepKind {
        StepKind::Wait
    }

    fn describe(&self) -> String {
        format!("wait {:?}", self.duration.0)
    }

    async fn run(&self, _cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let duration = self.duration.0;
        // Nothing runs meanwhile: the scheduler may use the place.
        crate::pacing::idle(tokio::time::sleep(duration)).await;
        Ok(format!("waited {:.0}s", duration.as_secs_f64()))
    }
}
