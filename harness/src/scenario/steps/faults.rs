//! `inject-fault` and `clear-faults`: rules at the front door between the
//! registry and the cloud. They must only remove rules this run added.

use regmatrix_mocks::front_door::FaultRule;
use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};

/// Add a fault rule at the front door, written in its text syntax
/// (`host=*.blob.core.windows.net method=PUT action=status:503 schedule=first:3`)
/// and parsed once, when the scenario loads.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "InjectFaultFields")]
pub struct InjectFault {
    /// The rule as the scenario wrote it, for descriptions and reports.
    pub text: String,
    /// A `prob:` term without `seed:` draws its seed here, at load, so every
    /// cell that runs the scenario meets the same draws.
    pub rule: FaultRule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InjectFaultFields {
    rule: String,
}

impl TryFrom<InjectFaultFields> for InjectFault {
    type Error = regmatrix_mocks::front_door::FaultParseError;

    fn try_from(fields: InjectFaultFields) -> Result<Self, Self::Error> {
        Ok(InjectFault {
            rule: fields.rule.parse()?,
            text: fields.rule,
        })
    }
}

impl StepAction for InjectFault {
    fn kind(&self) -> StepKind {
        StepKind::InjectFault
    }

    fn describe(&self) -> String {
        format!("add fault {}", self.text)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let id = cx.target.front_door.add_fault(self.rule.clone());
        cx.injected.push(id);
        Ok(format!("fault rule added: {}", self.text))
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
