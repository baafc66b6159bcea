//! Runs one scenario's steps against one running registry and records what
//! happened: every step's requests and status, the registry's error, the
//! storage traffic it caused, and the registry log lines around a failure.
//! It judges nothing about expectations (the runner does) and knows no
//! step's workings (each step's file does).

use std::time::Instant;

use regmatrix_mocks::front_door::TrafficRecord;

use super::model::{PhaseRun, Side};
use super::steps::{StepContext, StepError, StepKind};
use super::{PlanItem, Scenario};
use crate::client::ClientError;
use crate::env::EnvError;
use regmatrix_model::StepObservation;

pub use super::steps::{is_storage_host, Target};

/// Why the run stopped early.
#[derive(Debug)]
pub enum StepFailure {
    /// The registry (or the storage behind it) refused or broke an operation.
    Registry(String),
    /// The harness itself could not do its part.
    Harness(String),
    /// The registry accepted a token it must refuse.
    Security(String),
    DataLoss(String),
    NoRecovery(String),
}

impl StepFailure {
    /// The one mapping from a step's error to how the run failed; `line`
    /// is the report's one-line account of it.
    fn of(err: &StepError, line: String) -> StepFailure {
        match err {
            StepError::Client(ClientError::Setup(_) | ClientError::Protocol(_))
            | StepError::Harness(_) => StepFailure::Harness(line),
            StepError::Accepted { security: true, .. } => StepFailure::Security(line),
            StepError::Accepted { .. } | StepError::Client(_) | StepError::Unmet(_) => {
                StepFailure::Registry(line)
            }
            StepError::DataLoss(_) => StepFailure::DataLoss(line),
            StepError::NoRecovery(_) => StepFailure::NoRecovery(line),
            StepError::Tolerated(inner) => StepFailure::of(inner, line),
        }
    }
}

pub struct ScenarioRun {
    pub steps: Vec<StepObservation>,
    pub failure: Option<StepFailure>,
    pub registry_log: Vec<String>,
    pub storage_traffic: Vec<TrafficRecord>,
    /// What the scenario's storage inspections found after the failure
    /// (`step N kind: summary or error`), when they do not change the
    /// outcome (a broken `check-storage` invariant does: see `inspect_after`).
    pub post_mortem: Vec<String>,
    /// What a `conformance` step found.
    pub conformance: Option<crate::report::ConformanceSummary>,
}

pub async fn run(scenario: &Scenario, target: &Target<'_>) -> ScenarioRun {
    let mut cx = StepContext::new(target, scenario.id(), &scenario.spec.repository);
    let mut steps = Vec::new();
    let mut failure = None;
    let mut registry_log = Vec::new();
    let mut post_mortem = Vec::new();
    let mut index = 0;
    for item in scenario.plan() {
        if let Some(first) = failure.take() {
            // After a failure only what reads the container runs; it needs
            // no process, so phase entries are skipped.
            failure = Some(match item {
                PlanItem::Step { step, via, .. } if step.kind().inspects_storage() => {
                    cx.index = index;
                    cx.via = via;
                    let result = step.run(&mut cx).await;
                    inspect_after(step.kind(), index, result, first, &mut post_mortem)
                }
                _ => first,
            });
            index += 1;
            continue;
        }
        let (step, via, phase) = match item {
            PlanItem::Enter { number, run } => {
                let entered = enter_phase(target, number, run, index).await;
                steps.push(entered.observation);
                index += 1;
                if let Some((line, log)) = entered.failure {
                    failure = Some(StepFailure::Registry(line));
                    registry_log = log;
                }
                continue;
            }
            PlanItem::Step { step, via, phase } => (step, via, phase),
        };
        cx.index = index;
        cx.via = via;
        let served = target.served(via);
        let log_offset = crate::registry_log::file_len(served.registry_log);
        let step_traffic = target.traffic.len();
        let started = Instant::now();
        let result = step.run(&mut cx).await;
        let requests = target
            .clients()
            .flat_map(|client| client.exchanges().drain())
            .map(Into::into)
            .collect();
        let mut observation = StepObservation {
            index,
            phase: phase.map(|(number, run)| format!("{number} {}", run.as_str())),
            served_by: phase.map(|_| served.version.to_string()),
            kind: step.kind().as_str().to_string(),
            summary: String::new(),
            ok: result.is_ok(),
            duration_ms: started.elapsed().as_millis() as u64,
            requests,
            storage_requests: target.traffic.len().saturating_sub(step_traffic),
            error: None,
            registry_error: None,
        };
        match result {
            Ok(summary) => observation.summary = summary,
            Err(err) => {
                observation.error = Some(err.to_string());
                if let StepError::Client(ClientError::Registry(e)) = err.cause() {
                    observation.registry_error = Some(e.as_ref().into());
                }
                if matches!(err, StepError::Tolerated(_)) {
                    observation.summary = format!("{} (refused, as faults allow)", step.describe());
                } else {
                    observation.summary = step.describe();
                    let through = phase
                        .map(|(number, _)| format!(" (phase {number}, {})", served.version))
                        .unwrap_or_default();
                    let line = format!("step {} {}{through}: {}", index + 1, step.kind(), err);
                    failure = Some(StepFailure::of(&err, line));
                    crate::registry_log::settle(served.registry_log).await;
                    registry_log =
                        crate::registry_log::lines_since(served.registry_log, log_offset);
                }
            }
        }
        steps.push(observation);
        index += 1;
    }
    for id in cx.injected {
        target.front_door.remove_fault(id);
    }
    ScenarioRun {
        steps,
        failure,
        registry_log,
        storage_traffic: target.traffic.since(cx.traffic_start),
        post_mortem,
        conformance: cx.conformance.take(),
    }
}

/// Records what a storage inspection found after `first` failed. A
/// refusal that left storage corrupt is data loss whatever refused first,
/// so a broken `check-storage` invariant outranks a registry failure. A
/// `storage-object` that lacks what the scenario wanted is only evidence:
/// the refusal may be why it was never written.
fn inspect_after(
    kind: StepKind,
    index: usize,
    result: Result<String, StepError>,
    first: StepFailure,
    post_mortem: &mut Vec<String>,
) -> StepFailure {
    match (result, first) {
        (Err(err @ StepError::DataLoss(_)), StepFailure::Registry(line))
            if kind == StepKind::CheckStorage =>
        {
            StepFailure::DataLoss(format!("step {} {kind}: {err}; after {line}", index + 1))
        }
        (result, first) => {
            let found = match result {
                Ok(summary) => summary,
                Err(err) => err.to_string(),
            };
            post_mortem.push(format!("step {} {kind}: {found}", index + 1));
            first
        }
    }
}

/// A phase's start, as the report keeps it; `failure` (the line and the
/// log tail) when a process it needs would not start.
struct Entered {
    observation: StepObservation,
    failure: Option<(String, Vec<String>)>,
}

/// Starts a phase as an operator does: for one version, stop the other
/// first (an in-place upgrade or a rollback); for both, start whichever is
/// not running (a rolling update half done).
async fn enter_phase(target: &Target<'_>, number: usize, run: PhaseRun, index: usize) -> Entered {
    let started = Instant::now();
    let (stop, start): (Option<Side>, &[Side]) = match run {
        PhaseRun::From => (Some(Side::To), &[Side::From]),
        PhaseRun::To => (Some(Side::From), &[Side::To]),
        PhaseRun::Both => (None, &[Side::From, Side::To]),
    };
    let mut done = Vec::new();
    if let Some(side) = stop {
        if target.processes.stop_registry(side).await {
            done.push(format!("stopped {} (SIGTERM)", target.served(side).version));
        }
    }
    let mut failure = None;
    for side in start {
        let version = target.served(*side).version;
        match target.processes.start_registry(*side).await {
            Ok(Some(ready)) => done.push(format!(
                "started {version} on the same storage (ready in {:.1} s)",
                ready.as_secs_f64()
            )),
            Ok(None) => done.push(format!("{version} serving")),
            Err(error) => {
                let (why, log) = match error {
                    EnvError::RegistryExited {
                        status, log_tail, ..
                    } => (
                        format!(
                            "exited at start-up ({status}): {}",
                            crate::env::last_of(&log_tail)
                        ),
                        log_tail,
                    ),
                    EnvError::RegistryNeverHealthy {
                        seconds, log_tail, ..
                    } => (format!("not healthy within {seconds} s"), log_tail),
                    other => (other.to_string(), Vec::new()),
                };
                let line = format!(
                    "step {} phase {number} ({}): {version} {why}",
                    index + 1,
                    run.as_str()
                );
                failure = Some((line, log));
                break;
            }
        }
    }
    let summary = if failure.is_some() {
        format!(
            "phase {number} ({}): start {}",
            run.as_str(),
            start_names(target, start)
        )
    } else {
        format!("phase {number} ({}): {}", run.as_str(), done.join("; "))
    };
    Entered {
        observation: StepObservation {
            index,
            phase: Some(format!("{number} {}", run.as_str())),
            served_by: None,
            kind: PHASE_KIND.to_string(),
            summary,
            ok: failure.is_none(),
            duration_ms: started.elapsed().as_millis() as u64,
            requests: Vec::new(),
            storage_requests: 0,
            error: failure.as_ref().map(|(line, _)| line.clone()),
            registry_error: None,
        },
        failure,
    }
}

fn start_names(target: &Target<'_>, sides: &[Side]) -> String {
    sides
        .iter()
        .map(|s| target.served(*s).version)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The kind a phase's start has among the step observations.
pub const PHASE_KIND: &str = "phase";

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(err: StepError) -> &'static str {
        match StepFailure::of(&err, String::new()) {
            StepFailure::Registry(_) => "registry",
            StepFailure::Harness(_) => "harness",
            StepFailure::Security(_) => "security",
            StepFailure::DataLoss(_) => "data-loss",
            StepFailure::NoRecovery(_) => "no-recovery",
        }
    }

    #[test]
    fn each_error_maps_to_the_failure_it_always_did() {
        let accepted = |security| StepError::Accepted {
            message: "in".into(),
            security,
        };
        assert_eq!(outcome(accepted(true)), "security");
        assert_eq!(outcome(accepted(false)), "registry");
        assert_eq!(outcome(StepError::Unmet("x".into())), "registry");
        assert_eq!(outcome(StepError::Harness("x".into())), "harness");
        let protocol = StepError::Client(ClientError::Protocol("x".into()));
        assert_eq!(outcome(protocol), "harness");
        assert_eq!(outcome(StepError::DataLoss("x".into())), "data-loss");
        assert_eq!(outcome(StepError::NoRecovery("x".into())), "no-recovery");
    }

    #[test]
    fn a_tolerated_refusal_reads_as_the_refusal_itself() {
        let err = StepError::Tolerated(Box::new(StepError::Unmet("503 from storage".into())));
        assert_eq!(err.to_string(), "503 from storage");
        assert!(matches!(err.cause(), StepError::Unmet(_)));
    }

    #[test]
    fn corrupt_storage_found_after_a_refusal_outranks_it() {
        let mut notes = Vec::new();
        let refused = StepFailure::Registry("step 1 push-concurrently: 500".into());
        let corrupt = Err(StepError::DataLoss("link holds 2 digests".into()));
        match inspect_after(StepKind::CheckStorage, 2, corrupt, refused, &mut notes) {
            StepFailure::DataLoss(line) => assert_eq!(
                line,
                "step 3 check-storage: link holds 2 digests; after step 1 push-concurrently: 500"
            ),
            other => panic!("expected data loss, got {other:?}"),
        }
        assert!(notes.is_empty());
    }

    #[test]
    fn what_an_inspection_finds_after_a_failure_is_evidence_only() {
        let mut notes = Vec::new();
        let refused = StepFailure::Registry("first".into());
        let clean = Ok("checked 4 links".to_string());
        let kept = inspect_after(StepKind::CheckStorage, 0, clean, refused, &mut notes);
        assert!(matches!(kept, StepFailure::Registry(ref l) if l == "first"));
        let refused = StepFailure::Registry("404".into());
        let absent = Err(StepError::DataLoss("link absent".into()));
        let kept = inspect_after(StepKind::StorageObject, 3, absent, refused, &mut notes);
        assert!(matches!(kept, StepFailure::Registry(ref l) if l == "404"));
        let lost = StepFailure::DataLoss("tag gone".into());
        let missing = Err(StepError::Unmet("no manifest was pushed".into()));
        let kept = inspect_after(StepKind::StorageObject, 1, missing, lost, &mut notes);
        assert!(matches!(kept, StepFailure::DataLoss(ref l) if l == "tag gone"));
        assert_eq!(
            notes,
            [
                "step 1 check-storage: checked 4 links",
                "step 4 storage-object: link absent",
                "step 2 storage-object: no manifest was pushed"
            ]
        );
    }
}
