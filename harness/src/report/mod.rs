//! Reports: the versioned model, and renderers that only read it.

pub mod markdown;
pub mod model;
pub mod table;

pub use model::{
    Cell, IdentitySummary, MatrixReport, Outcome, RunStats, ScenarioInfo, TrafficSummary,
    VersionInfo, SCHEMA_VERSION,
};

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot write report {path}: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Writes `matrix.json` and `matrix.md` into `dir`; returns their paths.
pub fn write_all(report: &MatrixReport, dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json_path = dir.join("matrix.json");
    let json = serde_json::to_string_pretty(report).unwrap_or_default() + "\n";
    std::fs::write(&json_path, json).map_err(io(&json_path))?;
    let md_path = dir.join("matrix.md");
    std::fs::write(&md_path, markdown::render(report)).map_err(io(&md_path))?;
    Ok(vec![json_path, md_path])
}
