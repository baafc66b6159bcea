//! The value types step fields are written in: sizes (`5MiB`), durations
//! (`90s`), upload modes and process names. Leaf module: it must not import
//! the steps, the model or the engine.

use serde::{Deserialize, Serialize};

/// Sizes and durations follow the one grammar the bench and the fault
/// rules also read (`regmatrix_model::units`).
pub use regmatrix_model::units::{ByteSize, HumanDuration};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessName {
    Azurite,
    Registry,
}

/// The one upload mode; a scenario writes it as `mode` plus `chunk`.
pub use crate::client::UploadMode;

/// The `mode` word of a scenario step; with its `chunk` it becomes an
/// `UploadMode` when the step loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UploadModeWord {
    Monolithic,
    Chunked,
}
