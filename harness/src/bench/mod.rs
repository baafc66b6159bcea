//! `regmatrix bench`: blob throughput through each registry version on
//! Azurite, measured side by side with its references in one run, so every
//! figure can be read as a ratio: the limit (Azurite direct with the Azure
//! SDK, raw loopback TCP), the same binary on its filesystem driver, and
//! the peer clients oras and crane on the same registry.

pub mod azure_direct;
pub mod blobs;
pub mod clients;
pub mod loopback;
pub mod peers;
pub mod plan;
pub mod render;
pub mod report;
pub mod resources;
pub mod run;
pub mod stats;
pub mod workload;

pub use plan::{BenchPlan, PlanError, UploadMode};
pub use report::{BenchPath, BenchReport};
pub use run::{run, BenchError, BenchOptions, BenchSetup};

/// A lock whose holder panicked still guards plain data (samples, digests):
/// the bench reads on rather than failing a run.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
