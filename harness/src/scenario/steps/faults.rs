//! `inject-fault` and `clear-faults`: rules at the front door between the
//! registry and the cloud. They must only remove rules this run added.

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};

/// Add a fault rule at the front door, in its text syntax
/// (`host=*.blob.core.windows.net method=PUT action=status:503 schedule=first:3`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectFault {
    pub rule: String,
}

impl StepAction for InjectFault {
    fn kind(&self) -> StepKind {
        StepKind::InjectFault
    }

    fn validate(&self, _cx: &mut LoadContext) -> Result<(), String> {
        self.rule
            .parse::<regmatrix_mocks::front_door::FaultRule>()
            .map(drop)
            .map_err(|e| format!("fault rule: {e}"))
    }

    fn describe(&self) -> String {
        format!("add fault {}", self.rule)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let rule = &self.rule;
        match cx.target.front_door.add_fault_text(rule) {
            Ok(id) => {
                cx.injected.push(id);
                Ok(format!("fault rule added: {rule}"))
            }
            Err(e) => Err(StepError::Harness(format!("fault rule {rule:?}: {e}"))),
        }
    }
}

/// Remove every fault rule this scenario added.
// No `deny_unknown_fields`: keys on this field-less kind were always
// ignored, and rejecting them now would turn away files that load today.
#[derive(Debug, Clone, Deserialize)]
pub struct ClearFaults {}

impl StepAction for ClearFaults {
    fn kind(&self) -> StepKind {
        StepKind::ClearFaults
    }

    fn describe(&self) -> String {
        "remove the scenario's faults".into()
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let front_door = cx.target.front_door;
        let removed = cx
            .injected
            .drain(..)
            .filter(|id| front_door.remove_fault(*id))
            .count();
        Ok(format!("{removed} fault rules removed"))
    }
}
