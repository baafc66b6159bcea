//! Arguments and helpers more than one subcommand uses: which registry
//! versions to run, reading a matrix report, `--shard`, and the stderr line
//! for cells the harness could not run. It must not run anything.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use regmatrix::report::{MatrixReport, Outcome, ShardInfo};
use regmatrix::versions::{parse_version_list, RegistryVersion, DEFAULT_VERSIONS};

#[derive(clap::Args, Clone)]
pub struct VersionArgs {
    /// Comma-separated registry tags (default: v2.8.3,v3.0.0-alpha.1,v3.0.0,v3.1.1,v3.1.2).
    #[arg(long, value_delimiter = None)]
    pub versions: Option<String>,
    /// Run this registry binary instead of building one; --versions names the
    /// tag it was built from (defaults to the tag in its `--version` line).
    #[arg(long)]
    pub registry_bin: Option<PathBuf>,
}

pub fn resolve_versions(args: &VersionArgs) -> Result<Vec<RegistryVersion>> {
    if let Some(list) = &args.versions {
        let versions = parse_version_list(list)?;
        if versions.is_empty() {
            bail!("--versions is empty");
        }
        return Ok(versions);
    }
    if let Some(bin) = &args.registry_bin {
        let installed = regmatrix::install::custom_registry(bin)?;
        let tag = installed
            .version_line
            .split_whitespace()
            .last()
            .map(|t| t.split('+').next().unwrap_or(t).to_string())
            .unwrap_or_default();
        return tag.parse::<RegistryVersion>().map(|v| vec![v]).with_context(|| {
            format!("cannot tell which version {} is from its `--version` line; pass --versions <tag>", bin.display())
        });
    }
    Ok(DEFAULT_VERSIONS
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect())
}

pub fn read_report(path: &Path) -> Result<MatrixReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a matrix report", path.display()))
}

pub fn parse_shard(text: &str) -> Result<ShardInfo, String> {
    let (index, count) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: use INDEX/COUNT, e.g. 2/4"))?;
    let index: usize = index
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: INDEX is not a number"))?;
    let count: usize = count
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: COUNT is not a number"))?;
    if count == 0 || index == 0 || index > count {
        return Err(format!("{text:?}: need 1 <= INDEX <= COUNT"));
    }
    Ok(ShardInfo { index, count })
}

/// A cell the harness could not run says why on stderr, whatever command ran it.
pub fn print_harness_errors(report: &MatrixReport) {
    for cell in report.cells.iter().filter(|c| c.outcome == Outcome::Error) {
        eprintln!(
            "regmatrix: error: {} on {}: {}",
            cell.scenario,
            cell.column(),
            cell.evidence
        );
    }
}
