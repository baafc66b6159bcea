//! `regmatrix soak`: one registry under a fault profile for a fixed time.
//! The soak itself and its summary are `regmatrix::soak`'s; this checks the
//! options, builds the registry, writes soak.json and prints the summary.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use regmatrix::env::{ConfigDialect, EnvironmentSpec};
use regmatrix::install::{self, Installer};
use regmatrix::progress::Progress;
use regmatrix::soak;
use regmatrix::versions::RegistryVersion;

#[derive(clap::Args)]
pub struct SoakArgs {
    /// How long, e.g. `10m`, `90s`.
    #[arg(long, value_parser = parse_duration_arg)]
    duration: Duration,
    /// storage-flaky, identity-flaky, mixed, or a file with one fault rule per line.
    #[arg(long)]
    faults: String,
    /// The registry version to soak.
    #[arg(long, default_value = "v3.1.1")]
    version: String,
    /// Clients pushing and pulling at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Seed of every probability and of the workload (printed, so a run replays).
    #[arg(long)]
    seed: Option<u64>,
    /// Where soak.json is written.
    #[arg(long, default_value = "reports/soak")]
    out: PathBuf,
}

fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    // Zero is a valid duration elsewhere; a soak of no time is a mistake.
    text.parse::<regmatrix::scenario::model::HumanDuration>()
        .ok()
        .map(|d| d.0)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?}: use a number with ms, s, m or h, e.g. 10m"))
}

pub async fn run(args: SoakArgs, progress: &Progress) -> Result<u8> {
    let seed = args.seed.unwrap_or_else(rand::random);
    // Check the profile before building anything.
    soak::profile_rules(&args.faults, seed)?;
    let version: RegistryVersion = args.version.parse()?;
    let installer = Installer::from_env()?;
    let (azurite, columns) =
        install::prepare(&installer, std::slice::from_ref(&version), None, progress).await?;
    let spec = EnvironmentSpec {
        repository: "regmatrix/soak".into(),
        disable_redirect: true,
        ..EnvironmentSpec::new(
            "soak",
            columns[0].registry.clone(),
            ConfigDialect::of(&version),
            azurite,
        )
    };
    let bar = progress.spinner(format!("soak {version} ({}, seed {seed})", args.faults));
    let options = soak::SoakOptions {
        duration: args.duration,
        concurrency: args.concurrency.max(1),
        profile: args.faults,
        seed,
    };
    let report = soak::run(&spec, &options, |ops| {
        bar.set_message(format!("{ops} operations"));
    })
    .await;
    bar.finish_and_clear();
    let report = report?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let path = args.out.join("soak.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    print!("{}", soak::render(&report));
    println!("wrote {}", path.display());
    Ok(u8::from(!report.violations.is_empty()))
}
