//! Running one phase: `ops` operations, `concurrency` at a time, each on
//! its own task (so hashing in one does not stall the others), timing
//! every operation and the phase as a whole. The first failure stops the
//! phase: a throughput figure over a partial run would mislead.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::stats::PhaseFigures;

/// The error type is the client's; a phase only words it, so any
/// `Display` does and this module never learns the clients' errors.
pub type OpFuture<E> = Pin<Box<dyn Future<Output = Result<u64, E>> + Send>>;

/// One operation by index: returns the bytes it moved, or why it failed.
pub type Operation<E> = Arc<dyn Fn(usize) -> OpFuture<E> + Send + Sync>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("operation {index} of {ops} failed: {reason}")]
pub struct PhaseFailed {
    pub index: usize,
    pub ops: usize,
    pub reason: String,
}

pub async fn run_phase<E: std::fmt::Display + Send + 'static>(
    ops: usize,
    concurrency: usize,
    operation: Operation<E>,
    on_done: impl Fn(u64) + Send + Sync + 'static,
) -> Result<PhaseFigures, PhaseFailed> {
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(ops)));
    let failure: Arc<Mutex<Option<PhaseFailed>>> = Arc::new(Mutex::new(None));
    let moved = Arc::new(AtomicUsize::new(0));
    let on_done = Arc::new(on_done);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.clamp(1, ops.max(1)) {
        let (next, stop, latencies, failure, moved, operation, on_done) = (
            next.clone(),
            stop.clone(),
            latencies.clone(),
            failure.clone(),
            moved.clone(),
            operation.clone(),
            on_done.clone(),
        );
        workers.spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                if index >= ops || stop.load(Ordering::SeqCst) {
                    return;
                }
                let began = Instant::now();
                match operation(index).await {
                    Ok(bytes) => {
                        super::lock(&latencies).push(began.elapsed());
                        moved.fetch_add(bytes as usize, Ordering::SeqCst);
                        on_done(bytes);
                    }
                    Err(e) => {
                        stop.store(true, Ordering::SeqCst);
                        super::lock(&failure).get_or_insert(PhaseFailed {
                            index,
                            ops,
                            reason: e.to_string(),
                        });
                        return;
                    }
                }
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        if let Err(panic) = joined {
            super::lock(&failure).get_or_insert(PhaseFailed {
                index: 0,
                ops,
                reason: format!("worker task ended abnormally: {panic}"),
            });
        }
    }
    let wall = started.elapsed();
    if let Some(failed) = super::lock(&failure).take() {
        return Err(failed);
    }
    let latencies: Vec<Duration> = super::lock(&latencies).clone();
    Ok(PhaseFigures::from_samples(
        &latencies,
        moved.load(Ordering::SeqCst) as u64,
        wall,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleeper(ms: u64) -> Operation<String> {
        Arc::new(move |_| {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(1000)
            })
        })
    }

    #[tokio::test]
    async fn workers_overlap_and_every_operation_counts() {
        let done = Arc::new(AtomicUsize::new(0));
        let seen = done.clone();
        let figures = run_phase(8, 4, sleeper(50), move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .await
        .unwrap();
        assert_eq!(figures.ops, 8);
        assert_eq!(figures.bytes, 8000);
        assert_eq!(done.load(Ordering::SeqCst), 8);
        // Four at a time: two rounds of 50 ms, not eight.
        assert!(figures.wall_s < 0.3, "{figures:?}");
        assert!(figures.p50_ms >= 50.0, "{figures:?}");
    }

    #[tokio::test]
    async fn the_first_failure_stops_the_phase_and_is_reported() {
        let operation: Operation<String> = Arc::new(|index| {
            Box::pin(async move {
                if index == 2 {
                    Err("503 ServerBusy".to_string())
                } else {
                    Ok(1)
                }
            })
        });
        let failed = run_phase(100, 1, operation, |_| {}).await.unwrap_err();
        assert_eq!(failed.index, 2);
        assert_eq!(failed.reason, "503 ServerBusy");
        assert_eq!(
            failed.to_string(),
            "operation 2 of 100 failed: 503 ServerBusy"
        );
    }
}
