//! `regmatrix report`: compares, joins and re-renders reports already
//! written. It must not run anything; diffing, merging and rendering are the
//! library's.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use regmatrix::bench::{self, BenchReport};
use regmatrix::progress::Progress;
use regmatrix::report;

use super::shared::read_report;

#[derive(clap::Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// What changed from BASELINE to CURRENT: regressions, fixes, new and
    /// removed cells. Exit 1 for regressions and `security` outcomes.
    Diff { baseline: PathBuf, current: PathBuf },
    /// Join shard reports into one matrix (JSON and Markdown) in --out.
    Merge {
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        #[arg(long, default_value = "reports")]
        out: PathBuf,
    },
    /// Render bench.md and bench.html again from a bench.json (a CI
    /// artifact, or after a renderer change) into --out.
    Bench {
        json: PathBuf,
        #[arg(long, default_value = "reports/bench")]
        out: PathBuf,
    },
}

pub async fn run(args: ReportArgs, _progress: &Progress) -> Result<u8> {
    match args.command {
        ReportCommand::Diff { baseline, current } => {
            let (baseline, current) = (read_report(&baseline)?, read_report(&current)?);
            let diff = report::diff::ReportDiff::between(&baseline, &current);
            print!("{}", diff.render_markdown());
            Ok(diff.exit_code(&current) as u8)
        }
        ReportCommand::Merge { reports, out } => {
            let mut loaded = Vec::new();
            for path in &reports {
                loaded.push((path.display().to_string(), read_report(path)?));
            }
            let merged = report::merge::merge(loaded)?;
            print!("{}", report::table::render(&merged));
            for path in report::write_all(&merged, &out)? {
                println!("wrote {}", path.display());
            }
            Ok(merged.exit_code() as u8)
        }
        ReportCommand::Bench { json, out } => {
            let text = std::fs::read_to_string(&json)
                .with_context(|| format!("cannot read {}", json.display()))?;
            let report: BenchReport = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a bench report", json.display()))?;
            for path in bench::render::write_all(&report, &out)? {
                println!("wrote {}", path.display());
            }
            Ok(0)
        }
    }
}
