//! How a blob is uploaded (layer 4, components): one PUT, or PATCHes of a
//! fixed chunk size. One type for the scenario steps and the bench, whose
//! text is `monolithic` or `chunked:5MiB`. It must not know which scenario
//! or bench row asks for it.

use std::fmt;
use std::str::FromStr;

use regmatrix_model::units::ByteSize;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum UploadMode {
    /// POST, then one PUT carrying every byte.
    Monolithic,
    /// POST, a PATCH per chunk, then a PUT that commits.
    Chunked { chunk_bytes: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad upload mode {0:?}: expected monolithic or chunked:<size>, e.g. chunked:5MiB")]
pub struct UploadModeError(pub String);

impl UploadMode {
    /// A chunked mode; `None` for a zero chunk, which could never finish.
    pub fn chunked(chunk: ByteSize) -> Option<UploadMode> {
        (chunk.0 > 0).then_some(UploadMode::Chunked {
            chunk_bytes: chunk.0,
        })
    }

    /// The word alone, as scenario descriptions have always printed it.
    pub fn word(self) -> &'static str {
        match self {
            UploadMode::Monolithic => "Monolithic",
            UploadMode::Chunked { .. } => "Chunked",
        }
    }
}

impl fmt::Display for UploadMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadMode::Monolithic => f.write_str("monolithic"),
            UploadMode::Chunked { chunk_bytes } => {
                write!(f, "chunked:{}", ByteSize(*chunk_bytes))
            }
        }
    }
}

impl FromStr for UploadMode {
    type Err = UploadModeError;

    fn from_str(text: &str) -> Result<Self, UploadModeError> {
        let text = text.trim();
        let bad = || UploadModeError(text.to_string());
        if text == "monolithic" {
            return Ok(UploadMode::Monolithic);
        }
        let chunk = text.strip_prefix("chunked:").ok_or_else(bad)?;
        let chunk = chunk.parse::<ByteSize>().map_err(|_| bad())?;
        UploadMode::chunked(chunk).ok_or_else(bad)
    }
}

impl From<UploadMode> for String {
    fn from(mode: UploadMode) -> String {
        mode.to_string()
    }
}

impl TryFrom<String> for UploadMode {
    type Error = UploadModeError;

    fn try_from(text: String) -> Result<Self, UploadModeError> {
        text.parse()
    }
}
