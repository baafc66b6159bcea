//! When a cell may start. The longest expected cells go first (their
//! duration from a baseline or the last run, else the waits the scenario
//! states), so the run does not end on one long cell started late. Up to
//! one cell per core always runs; past that, a cell starts only while the
//! machine's measured CPU is below [`BUSY_LIMIT`], up to `--jobs`. A cell
//! that sleeps on a token lifetime or a fault window gives its place up
//! meanwhile (`pacing::idle`): it costs no CPU, and must not keep a
//! CPU-bound cell waiting.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Notify};

use crate::scenario::steps::Step;
use crate::scenario::Scenario;

/// Above this share of busy CPU, no cell past the first one per core starts.
const BUSY_LIMIT: f64 = 0.70;
/// How long one CPU reading lasts: long enough to see a cell's start-up
/// (Azurite and the registry take about a second), short enough to react.
const SAMPLE: Duration = Duration::from_millis(700);

/// Hands out the right to start a cell.
pub struct Admission {
    inner: Arc<Inner>,
    /// Held by the next cell in line while it waits: cells start in order.
    line: Mutex<()>,
}

struct Inner {
    floor: usize,
    cap: usize,
    /// Cells holding a place: started and not idle.
    running: AtomicUsize,
    freed: Notify,
}

impl Inner {
    /// Takes a place if `running` stays within `limit`.
    fn take_below(&self, limit: usize) -> bool {
        self.running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < limit).then_some(n + 1)
            })
            .is_ok()
    }

    fn give_back(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.freed.notify_waiters();
    }
}

/// A running cell's place; dropping it frees the place. While the cell is
/// idle (a `wait` step, an outage window) the place is given up and the
/// cell does not count against `--jobs` or the cores.
pub struct Admitted {
    inner: Arc<Inner>,
    held: AtomicBool,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if self.held.swap(false, Ordering::SeqCst) {
            self.inner.give_back();
        }
    }
}

impl crate::pacing::Slot for Admitted {
    fn release(&self) {
        if self.held.swap(false, Ordering::SeqCst) {
            self.inner.give_back();
        }
    }

    fn reacquire(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            // A resuming cell goes before the line and needs no CPU reading:
            // its environment is up and finishing it frees it.
            loop {
                let freed = self.inner.freed.notified();
                if self.inner.take_below(self.inner.cap) {
                    self.held.store(true, Ordering::SeqCst);
                    return;
                }
                let _ = tokio::time::timeout(SAMPLE, freed).await;
            }
        })
    }
}

impl Admission {
    /// `cap` cells at most (`--jobs`); `min(cap, cores)` start regardless of load.
    pub fn new(cap: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cap = cap.max(1);
        Admission {
            inner: Arc::new(Inner {
                floor: cores.min(cap),
                cap,
                running: AtomicUsize::new(0),
                freed: Notify::new(),
            }),
            line: Mutex::new(()),
        }
    }

    pub async fn admit(&self) -> Arc<Admitted> {
        let _turn = self.line.lock().await;
        let inner = &self.inner;
        loop {
            let freed = inner.freed.notified();
            let admitted = inner.take_below(inner.floor)
                || (inner.running.load(Ordering::SeqCst) < inner.cap
                    && busy_share(SAMPLE).await < BUSY_LIMIT
                    && inner.take_below(inner.cap));
            if admitted {
                return Arc::new(Admitted {
                    inner: inner.clone(),
                    held: AtomicBool::new(true),
                });
            }
            // A cell ending or idling, or the next reading, may let this one in.
            let _ = tokio::time::timeout(SAMPLE, freed).await;
        }
    }
}

/// The machine's busy share of CPU over `window`.
async fn busy_share(window: Duration) -> f64 {
    let Some((busy0, total0)) = crate::cpu::machine_jiffies() else {
        return 0.0;
    };
    tokio::time::sleep(window).await;
    let Some((busy1, total1)) = crate::cpu::machine_jiffies() else {
        return 0.0;
    };
    let total = total1.saturating_sub(total0);
    if total == 0 {
        return 0.0;
    }
    busy1.saturating_sub(busy0) as f64 / total as f64
}

/// How long each (scenario, column) cell is expected to take, in ms.
#[derive(Debug, Clone, Default)]
pub struct DurationHints(HashMap<(String, String), u64>);

impl DurationHints {
    /// The cells' durations in an earlier report (a baseline, the last run).
    pub fn from_report(report: &crate::report::MatrixReport) -> Self {
        DurationHints(
            report
                .cells
                .iter()
                .map(|c| ((c.scenario.clone(), c.column()), c.duration_ms))
                .collect(),
        )
    }

    /// The expected duration of `scenario` in `column`: the recorded one,
    /// else the least the scenario itself takes (its waits).
    pub fn expected_ms(&self, scenario: &Scenario, column: &str) -> u64 {
        self.0
            .get(&(scenario.id().to_string(), column.to_string()))
            .copied()
            .unwrap_or_else(|| least_duration(scenario).as_millis() as u64)
    }
}

/// What a scenario spends waiting at the least: its `wait` steps.
pub fn least_duration(scenario: &Scenario) -> Duration {
    scenario
        .steps()
        .map(|step| match step {
            Step::Wait(wait) => wait.duration.0,
            _ => Duration::ZERO,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_cells_per_core_start_and_the_cap_holds() {
        let admission = Admission::new(1);
        let first = admission.admit().await;
        // The cap is 1: a second cell waits until the first ends.
        let second = tokio::time::timeout(Duration::from_millis(1500), admission.admit()).await;
        assert!(second.is_err(), "a second cell started past --jobs 1");
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), admission.admit()).await;
        assert!(third.is_ok(), "a freed place was not handed on");
    }

    #[tokio::test]
    async fn an_idle_cell_lets_another_start_and_resumes_first() {
        use crate::pacing::Slot;
        let admission = Admission::new(1);
        let sleeper = admission.admit().await;
        sleeper.release();
        // Its place is free while it sleeps: the next cell starts.
        let other = tokio::time::timeout(Duration::from_secs(5), admission.admit())
            .await
            .expect("an idle cell kept its place");
        // Waking, it waits for a place within --jobs, then has it.
        let resumed = tokio::time::timeout(Duration::from_millis(1500), sleeper.reacquire()).await;
        assert!(resumed.is_err(), "resumed past --jobs 1");
        drop(other);
        tokio::time::timeout(Duration::from_secs(5), sleeper.reacquire())
            .await
            .expect("a freed place went to the resuming cell");
    }

    #[test]
    fn waits_are_the_least_a_scenario_takes() {
        let scenario = crate::scenario::parse_text(
            std::path::Path::new("t.toml"),
            r#"
id = "t/waits"
title = "waits"
repository = "regmatrix/waits"
[registry]
credentials = "shared-key"
[[step]]
kind = "wait"
duration = "20s"
[[step]]
kind = "wait"
duration = "1m"
[[expect]]
versions = "*"
outcome = "pass"
"#,
        )
        .unwrap();
        assert_eq!(least_duration(&scenario), Duration::from_secs(80));
        let hints = DurationHints::default();
        assert_eq!(hints.expected_ms(&scenario, "v3.1.2"), 80_000);
    }
}
