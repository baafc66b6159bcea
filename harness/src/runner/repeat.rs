//! `--repeat`: one cell from several runs of it, `flaky` when their
//! outcomes differ, every run kept. It runs nothing.

use super::evidence::times;
use super::lane::{harness_error_cell, Lane};
use crate::report::{Cell, Observation, Outcome};
use crate::scenario::Scenario;

/// One cell from repeated runs: the first run's cell when every outcome
/// agrees, else `flaky` with the outcomes counted; every run is kept.
pub(super) fn combine_runs(mut runs: Vec<Cell>, scenario: &Scenario, column: &Lane) -> Cell {
    if runs.len() <= 1 {
        return runs
            .pop()
            .unwrap_or_else(|| harness_error_cell(scenario, column, "no run recorded".into()));
    }
    let observations: Vec<Observation> = runs
        .iter()
        .map(|c| Observation {
            outcome: c.outcome,
            evidence: c.evidence.clone(),
            duration_ms: c.duration_ms,
        })
        .collect();
    let first = runs[0].outcome;
    let agree = runs.iter().all(|c| c.outcome == first);
    // Report the most telling run: the first that did not pass.
    let index = runs
        .iter()
        .position(|c| c.outcome != Outcome::Pass)
        .unwrap_or(0);
    let mut cell = runs.swap_remove(index);
    if !agree {
        let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for o in &observations {
            *counts.entry(o.outcome.as_str()).or_default() += 1;
        }
        let tally = times(counts.iter());
        cell.evidence = format!(
            "flaky over {} runs ({}); run {}: {}",
            observations.len(),
            tally.join(", "),
            index + 1,
            cell.evidence
        );
        cell.outcome = Outcome::Flaky;
    }
    cell.duration_ms = observations.iter().map(|o| o.duration_ms).sum();
    cell.observations = observations;
    cell
}
