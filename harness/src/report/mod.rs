//! Reports: renderers (Markdown, HTML, JUnit, the terminal table) and
//! comparisons (diff, merge) over the versioned model of the
//! `regmatrix-model` crate. They only read the model; nothing here runs a
//! registry or reaches back into the engine. Every renderer reads a cell
//! through `Cell::reading` (its label and tone) and lays matrices out with
//! `grid` (versions, then upgrade paths).

pub mod diff;
pub mod grid;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod table;

#[cfg(test)]
pub(crate) mod fixtures;

pub use regmatrix_model::{
    reading, Cell, ConformanceCategory, ConformanceSummary, ExchangeRecord, FaultSummary,
    IdentitySummary, MatrixReport, Observation, Outcome, Reading, RegistryErrorCode,
    RegistryErrorRecord, RunStats, ScenarioInfo, ShardInfo, StepObservation, Tone, TrafficSummary,
    UpgradePath, VersionInfo, VersionSetInfo, PATH_SEPARATOR, SCHEMA_VERSION,
};

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot write report {path}: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Writes `matrix.json`, `matrix.md`, `matrix.html` and `junit.xml` into
/// `dir`; returns their paths.
pub fn write_all(report: &MatrixReport, dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json_path = dir.join("matrix.json");
    let json = serde_json::to_string_pretty(report).unwrap_or_default() + "\n";
    std::fs::write(&json_path, json).map_err(io(&json_path))?;
    let mut written = vec![json_path];
    for (name, text) in [
        ("matrix.md", markdown::render(report)),
        ("matrix.html", html::render(report)),
        ("junit.xml", junit::render(report)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}
