//! regmatrix's machine-readable results, as `matrix.json` holds them:
//! outcomes, cells, step observations and the matrix report.
//!
//! This crate is the bottom of the report side: it depends on serde alone and
//! knows nothing of scenarios, environments, registries or renderers. The
//! engine fills it, renderers and comparisons only read it, so a peer tool
//! can read a matrix with this crate and nothing else. `SCHEMA_VERSION`
//! changes whenever a field changes meaning or goes away; adding fields does
//! not. `reading` says how a cell reads to a person (`refused`, `accepted`)
//! and the tone that colours it; every renderer reads cells through it.
//! `units` holds the one text grammar for sizes and durations, which
//! the scenario files, the CLI flags and the fault rules all read.

mod matrix;
mod outcome;
pub mod reading;
mod step;
pub mod units;

pub use matrix::{
    Cell, ConformanceCategory, ConformanceSummary, FaultSummary, IdentitySummary, MatrixReport,
    Observation, RunStats, ScenarioInfo, ShardInfo, TrafficSummary, UpgradePath, VersionInfo,
    VersionSetInfo, PATH_SEPARATOR, SCHEMA_VERSION,
};
pub use outcome::Outcome;
pub use reading::{Reading, Tone};
pub use step::{ExchangeRecord, RegistryErrorCode, RegistryErrorRecord, StepObservation};
