//! upgrade-check's in-place run: the phases your config goes through (it
//! writes on `--from`, `--to` reads and writes on that storage, then the
//! rollback) and what a failed phase means in the operator's words. It runs
//! nothing.

use super::{unspanned, MIB};
use crate::scenario::model::{ByteSize, Phase, PhaseRun, PhaseStep, Step, UploadMode};
use crate::scenario::steps::{ListTags, PullBlobs, PullManifest, PushBlob, PushManifest};

/// The in-place run's phases: your config writes on `from`; `to` starts on
/// that storage with the same file, reads everything back and writes; then
/// (a rollback) `from` again reads what both wrote and writes.
pub(super) fn in_place_phases(rollback: bool) -> Vec<Phase> {
    let push = |blob: &str| {
        Step::PushBlob(PushBlob {
            blob: blob.into(),
            size: ByteSize(MIB),
            mode: UploadMode::Monolithic,
            may_fail: false,
        })
    };
    let manifest = |tag: &str, layers: &[&str]| {
        Step::PushManifest(PushManifest::tagged(
            tag,
            layers.iter().map(ToString::to_string).collect(),
        ))
    };
    let pull = |tag: &str| Step::PullManifest(PullManifest { tag: tag.into() });
    let blobs = |names: &[&str]| {
        Step::PullBlobs(PullBlobs {
            blobs: names.iter().map(ToString::to_string).collect(),
        })
    };
    let tags = |names: &[&str]| {
        Step::ListTags(ListTags {
            expect: names.iter().map(ToString::to_string).collect(),
            page_size: None,
            last: None,
        })
    };
    let phase = |run, steps: Vec<Step>| Phase {
        run,
        steps: steps
            .into_iter()
            .map(|step| unspanned(PhaseStep { via: None, step }))
            .collect(),
    };
    let mut phases = vec![
        phase(
            PhaseRun::From,
            vec![push("before"), manifest("before", &["before"])],
        ),
        phase(
            PhaseRun::To,
            vec![
                pull("before"),
                blobs(&["before"]),
                push("after"),
                manifest("after", &["before", "after"]),
                tags(&["after", "before"]),
            ],
        ),
    ];
    if rollback {
        phases.push(phase(
            PhaseRun::From,
            vec![
                pull("before"),
                pull("after"),
                blobs(&["before", "after"]),
                push("back"),
                manifest("back", &["back"]),
                tags(&["after", "back", "before"]),
            ],
        ));
    }
    phases
}

/// What a failed in-place cell's phase meant to the operator.
pub fn in_place_phase_meaning(phase: &str, from: &str, to: &str) -> String {
    match phase.split_whitespace().next() {
        Some("1") => format!("phase 1: {from} writing with your config"),
        Some("2") => format!("phase 2: {to} started in place on what {from} wrote"),
        Some("3") => format!("phase 3: the rollback, {from} started again on what {to} wrote"),
        _ => format!("phase {phase}"),
    }
}
