//! regmatrix: runs real CNCF distribution registries on Azurite behind a
//! mock Azure cloud, replays scenarios across versions, and reports a
//! compatibility matrix.
//!
//! Data flows one way: `scenario` -> `env` (environment) -> registry ->
//! storage/identity -> observations (`scenario::engine`) -> `report`.
//! `runner` wires those together for the CLI.

pub mod bench;
pub mod cache;
pub mod cleanup;
pub mod client;
pub mod cpu;
pub mod digest;
pub mod docker;
pub mod env;
pub mod inspect;
pub mod install;
pub mod kid;
pub mod migrate;
pub mod pacing;
pub mod payload;
pub mod process;
pub mod progress;
pub mod registry_config;
pub mod registry_log;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod self_usage;
pub mod soak;
pub mod storage;
pub mod toolchain;
pub mod upgrade;
pub mod versions;
