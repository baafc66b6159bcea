//! `regmatrix matrix`: runs scenarios x versions, writes the matrix and,
//! against a baseline, the diff. Running and judging are `regmatrix::runner`'s;
//! this only checks the options, prints and picks the exit code.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use regmatrix::install::{self, Installer};
use regmatrix::progress::Progress;
use regmatrix::report::{self, ShardInfo};
use regmatrix::runner::{self, RunOptions};
use regmatrix::scenario;
use regmatrix::versions::{default_upgrade_paths, parse_upgrade_list, RegistryVersion};

use super::shared::{
    parse_shard, print_harness_errors, read_report, resolve_versions, BackendArgs, VersionArgs,
};

#[derive(clap::Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    versions: VersionArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Scenario ids to run: a glob, or several separated by commas (`storage/*,auth/jwks-*`).
    #[arg(long, default_value = "*")]
    scenarios: String,
    /// Upgrade paths for the upgrade scenarios, `FROM:TO[,FROM:TO...]`, or
    /// `none` (default: every pair of the versions run, older to newer,
    /// and each adjacent pair back, a rollback).
    #[arg(long)]
    upgrades: Option<String>,
    /// Directory of scenario files (default: ./scenarios).
    #[arg(long)]
    scenario_dir: Option<PathBuf>,
    /// Where matrix.json and matrix.md are written.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Cells running at most at once. One per core always runs; past that,
    /// a cell starts only while the machine's CPU is under 70% busy (cells
    /// that sleep on token lifetimes or fault windows leave it idle).
    #[arg(long, default_value_t = 6)]
    jobs: usize,
    /// Seconds a registry may take to turn healthy.
    #[arg(long, default_value_t = 30)]
    ready_timeout: u64,
    /// Run the registry on this loopback port (one job at a time then).
    #[arg(long)]
    registry_port: Option<u16>,
    /// Keep each cell's run directory (configs, logs) for inspection.
    #[arg(long)]
    keep: bool,
    /// Compare with a previous matrix.json: exit 1 only for regressions
    /// and `security` outcomes.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Run one shard of the matrix, `INDEX/COUNT` (1-based), for CI runners.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<ShardInfo>,
    /// Run each cell N times; cells whose outcomes differ are `flaky`.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Seed of every cell's keys, names and blobs (each cell records it, so
    /// `--seed N --scenarios ID --versions TAG` runs one cell again).
    #[arg(long, default_value_t = regmatrix_mocks::seed::Seed::default().value())]
    seed: u64,
}

pub async fn run(args: MatrixArgs, progress: &Progress) -> Result<u8> {
    if args.jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    // Read the baseline first: a bad path should not cost a run.
    let baseline = args.baseline.as_deref().map(read_report).transpose()?;
    let dir = args
        .scenario_dir
        .unwrap_or_else(runner::default_scenario_dir);
    let scenarios = scenario::discover(&dir, &args.scenarios)?;
    let chosen = resolve_versions(&args.versions, progress).await?;
    let tags = chosen.versions;
    let upgrades = match args.upgrades.as_deref().map(str::trim) {
        Some("none") => Vec::new(),
        Some(list) => {
            let paths = parse_upgrade_list(list)?;
            if paths.is_empty() {
                bail!("--upgrades is empty: name FROM:TO pairs, or `none`");
            }
            if args.versions.registry_bin.is_some() {
                bail!("--upgrades needs two built versions; --registry-bin brings one binary");
            }
            paths
        }
        None => default_upgrade_paths(&tags),
    };
    // Upgrade scenarios run only on paths; without any, say so up front.
    let upgrade_scenarios = scenarios.iter().filter(|s| s.is_upgrade()).count();
    if upgrade_scenarios > 0 && upgrades.is_empty() {
        progress.println(&format!(
            "note: {upgrade_scenarios} upgrade scenario(s) skipped: no upgrade path (run two versions or pass --upgrades FROM:TO)"
        ));
    }
    let options = RunOptions {
        // A fixed port can serve one registry at a time.
        jobs: if args.registry_port.is_some() {
            1
        } else {
            args.jobs
        },
        ready_timeout: Duration::from_secs(args.ready_timeout),
        registry_port: args.registry_port,
        keep_run_dirs: args.keep,
        shard: args.shard,
        repeat: args.repeat,
        seed: regmatrix_mocks::seed::Seed::new(args.seed),
        runtime: Default::default(),
        hints: duration_hints(baseline.as_ref(), &args.out),
        tools: Default::default(),
        keep_with: Some(args.out.clone()),
    };
    if let Some(port) = args.registry_port {
        regmatrix::env::ports::requested_port(port)?;
    }
    let installer = Installer::from_env()?;
    // Versions only paths name are installed too, but are no column.
    let mut needed = tags.clone();
    for (from, to) in &upgrades {
        for version in [from, to] {
            if !needed.contains(version) {
                needed.push(version.clone());
            }
        }
    }
    // Before any build: a missing engine or image is one line, at once.
    let options = RunOptions {
        runtime: args
            .backend
            .runtime(&needed, args.versions.registry_bin.as_deref(), progress)
            .await?,
        ..options
    };
    let (azurite, installed) = install::prepare(
        &installer,
        &needed,
        args.versions.registry_bin.as_deref(),
        progress,
    )
    .await?;
    let options = RunOptions {
        tools: step_tools(&installer, &scenarios, progress).await?,
        ..options
    };
    let column_of = |version: &RegistryVersion| {
        installed
            .iter()
            .find(|c| &c.version == version)
            .cloned()
            .with_context(|| format!("{version} was not installed"))
    };
    let columns = tags.iter().map(column_of).collect::<Result<Vec<_>>>()?;
    let paths = upgrades
        .iter()
        .map(|(from, to)| Ok((column_of(from)?, column_of(to)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut report =
        runner::run_matrix(&azurite, &columns, &paths, &scenarios, &options, progress).await;
    report.version_set = chosen.set;
    print!("{}", report::table::render(&report));
    for path in report::write_all(&report, &args.out)? {
        println!("wrote {}", path.display());
    }
    print_harness_errors(&report);
    let Some(baseline) = baseline else {
        return Ok(report.exit_code() as u8);
    };
    let diff = report::diff::ReportDiff::between(&baseline, &report);
    let text = diff.render_markdown();
    print!("{text}");
    let diff_path = args.out.join("diff.md");
    std::fs::write(&diff_path, &text)
        .with_context(|| format!("cannot write {}", diff_path.display()))?;
    println!("wrote {}", diff_path.display());
    // A harness error outranks whatever the diff says.
    if report.exit_code() == 2 {
        return Ok(2);
    }
    Ok(diff.exit_code(&report) as u8)
}

/// Cell durations to schedule by: the baseline's, else the last run's
/// report in `out` (if there is a readable one), else none.
fn duration_hints(
    baseline: Option<&regmatrix::report::MatrixReport>,
    out: &std::path::Path,
) -> runner::DurationHints {
    match baseline {
        Some(report) => runner::DurationHints::from_report(report),
        None => std::fs::read_to_string(out.join("matrix.json"))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .map(|report| runner::DurationHints::from_report(&report))
            .unwrap_or_default(),
    }
}

/// Builds the programs the chosen scenarios' steps run (the OCI
/// conformance suite), and only those.
pub async fn step_tools(
    installer: &Installer,
    scenarios: &[regmatrix::scenario::Scenario],
    progress: &Progress,
) -> Result<regmatrix::scenario::steps::StepTools> {
    use regmatrix::scenario::steps::{StepKind, StepTools};
    let needs_suite = scenarios
        .iter()
        .any(|s| s.steps().any(|step| step.kind() == StepKind::Conformance));
    if !needs_suite {
        return Ok(StepTools::default());
    }
    let started = std::time::Instant::now();
    let bar = progress.spinner(format!(
        "OCI conformance suite {}",
        regmatrix::install::CONFORMANCE_VERSION
    ));
    let suite = installer.conformance(&bar).await;
    bar.finish_and_clear();
    let suite = suite?;
    progress.println(&format!(
        "OCI conformance suite {} ({:.1}s)",
        suite.version,
        started.elapsed().as_secs_f64()
    ));
    Ok(StepTools {
        conformance: Some(suite),
    })
}
