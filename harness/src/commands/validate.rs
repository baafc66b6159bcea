//! `regmatrix validate`: loads every scenario file and lists what loaded.
//! It must not run any scenario.

use std::path::PathBuf;

use anyhow::Result;

use regmatrix::progress::Progress;
use regmatrix::{runner, scenario};

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// Directory of scenario files (default: ./scenarios).
    #[arg(long)]
    scenario_dir: Option<PathBuf>,
}

pub async fn run(args: ValidateArgs, _progress: &Progress) -> Result<u8> {
    let dir = args
        .scenario_dir
        .unwrap_or_else(runner::default_scenario_dir);
    let scenarios = scenario::discover(&dir, "*")?;
    for s in &scenarios {
        println!("ok {} ({})", s.id(), s.file.display());
    }
    Ok(0)
}
