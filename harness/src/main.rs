//! The `regmatrix` command line. Errors end here as one line and exit code 2.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use regmatrix::cache::Cache;
use regmatrix::install::{self, Installer};
use regmatrix::progress::Progress;
use regmatrix::report;
use regmatrix::runner::{self, RunOptions};
use regmatrix::scenario;
use regmatrix::versions::{parse_version_list, RegistryVersion, DEFAULT_VERSIONS};

#[derive(Parser)]
#[command(
    name = "regmatrix",
    version,
    about = "What breaks when you upgrade Docker Registry (CNCF distribution) on Azure Blob storage"
)]
struct Cli {
    /// No progress bars; plain lines suited to CI logs.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct VersionArgs {
    /// Comma-separated registry tags (default: v2.8.3,v3.0.0-alpha.1,v3.0.0,v3.1.1).
    #[arg(long, value_delimiter = None)]
    versions: Option<String>,
    /// Run this registry binary instead of building one; --versions names the
    /// tag it was built from (defaults to the tag in its `--version` line).
    #[arg(long)]
    registry_bin: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Build registry binaries and install Azurite into the cache.
    Install {
        #[command(flatten)]
        versions: VersionArgs,
    },
    /// Run scenarios x versions and write the compatibility matrix.
    Matrix {
        #[command(flatten)]
        versions: VersionArgs,
        /// Scenario ids to run: a glob, or several separated by commas (`storage/*,auth/jwks-*`).
        #[arg(long, default_value = "*")]
        scenarios: String,
        /// Directory of scenario files (default: ./scenarios).
        #[arg(long)]
        scenario_dir: Option<PathBuf>,
        /// Where matrix.json and matrix.md are written.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// Environments running at once.
        #[arg(long, default_value_t = 2)]
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
        shard: Option<report::ShardInfo>,
        /// Run each cell N times; cells whose outcomes differ are `flaky`.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
    /// Run your own registry config on the version you run and the one you
    /// move to, against the mock cloud, with the scenarios that apply to it.
    UpgradeCheck {
        /// Your registry config.yml (its storage.azure and auth.token sections
        /// are used; secrets are replaced by mock ones and never printed).
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// How the registry gets its Azure identity: none, workload-identity,
        /// managed-identity-imds, managed-identity-app-service, environment-secret.
        #[arg(long, default_value = "none", value_parser = parse_workload)]
        workload: regmatrix::env::Workload,
        /// The kid form your token server writes: libtrust, thumbprint, arbitrary or x5c.
        #[arg(long, default_value = "libtrust")]
        token_kid: String,
        /// A token your server issued: its kid form replaces --token-kid.
        #[arg(long)]
        token: Option<PathBuf>,
        /// Directory of scenario files (default: ./scenarios).
        #[arg(long)]
        scenario_dir: Option<PathBuf>,
    },
    /// One registry under a fault profile for a fixed time, then the
    /// invariants: operations done, faults injected by kind, violations (0 to pass).
    Soak {
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
    },
    /// Blob throughput through each registry version on Azurite, side by
    /// side with Azurite direct, loopback TCP, the filesystem driver and the
    /// peer clients oras and crane; writes bench.json, bench.md and bench.html.
    Bench {
        #[command(flatten)]
        versions: VersionArgs,
        /// Blob sizes (binary units).
        #[arg(long, default_value = "1MiB,16MiB,128MiB,1GiB")]
        sizes: String,
        /// Upload modes: monolithic, chunked:<chunk size>.
        #[arg(long, default_value = "monolithic,chunked:5MiB,chunked:32MiB")]
        modes: String,
        /// Operations in flight at once.
        #[arg(long, default_value = "1,4,16")]
        concurrency: String,
        /// What to measure: limit (Azurite direct), shared-key, oauth, filesystem.
        #[arg(long, default_value = "limit,shared-key,oauth,filesystem")]
        paths: String,
        /// Peer clients to compare with: oras, crane, or none.
        #[arg(long, default_value = "oras,crane")]
        peers: String,
        /// Bytes each row aims to move each way (more operations for small blobs).
        #[arg(long, default_value = "128MiB")]
        row_bytes: String,
        /// Skip rows with more bytes than this in flight (size x concurrency).
        #[arg(long, default_value = "1GiB")]
        max_inflight: String,
        /// Operations per row at most.
        #[arg(long, default_value_t = 32)]
        max_ops: usize,
        /// Serve blob GETs from the registry instead of redirecting to Azurite.
        #[arg(long)]
        no_redirect: bool,
        /// Seconds a registry may take to turn healthy.
        #[arg(long, default_value_t = 30)]
        ready_timeout: u64,
        /// Where bench.json, bench.md and bench.html are written.
        #[arg(long, default_value = "reports/bench")]
        out: PathBuf,
        /// Keep each environment's run directory (configs, registry and Azurite logs).
        #[arg(long)]
        keep: bool,
    },
    /// Compare and combine matrix reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Check scenario files without running them.
    Validate {
        /// Directory of scenario files (default: ./scenarios).
        #[arg(long)]
        scenario_dir: Option<PathBuf>,
    },
    /// JWKS tools for the `auth.token.jwks` option of 3.x.
    Jwks {
        #[command(subcommand)]
        command: JwksCommand,
    },
    /// Registry token tools.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
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

/// Help and version go to stdout as clap writes them; any other parse error
/// is bad input: one line, exit 2, like every other error.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return ExitCode::from(
            if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                2
            } else {
                0
            },
        );
    }
    let rendered = error.render().to_string();
    // The message is the first paragraph (clap continues a list of missing
    // arguments on indented lines); usage and tips follow a blank line.
    let line = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string();
    eprintln!("regmatrix: error: {line} (see `regmatrix --help`)");
    ExitCode::from(2)
}

/// A cell the harness could not run says why on stderr, whatever command ran it.
fn print_harness_errors(report: &report::MatrixReport) {
    for cell in report
        .cells
        .iter()
        .filter(|c| c.outcome == report::Outcome::Error)
    {
        eprintln!(
            "regmatrix: error: {} on {}: {}",
            cell.scenario, cell.version, cell.evidence
        );
    }
}

fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    regmatrix::scenario::model::parse_duration(text)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?}: use a number with ms, s, m or h, e.g. 10m"))
}

fn parse_workload(text: &str) -> Result<regmatrix::env::Workload, String> {
    serde_yaml::from_str(text).map_err(|_| {
        format!("{text:?}: use none, workload-identity, managed-identity-imds, managed-identity-app-service or environment-secret")
    })
}

fn parse_shard(text: &str) -> Result<report::ShardInfo, String> {
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
    Ok(report::ShardInfo { index, count })
}

fn read_report(path: &std::path::Path) -> Result<report::MatrixReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a matrix report", path.display()))
}

#[derive(Subcommand)]
enum JwksCommand {
    /// Write a JWKS for the keys of PEM certificates (a 2.8 rootcertbundle)
    /// whose kids match what your token server puts in its tokens.
    FromCert {
        /// PEM files with CERTIFICATE or PUBLIC KEY blocks.
        #[arg(required = true)]
        pems: Vec<PathBuf>,
        /// The kid form your token server writes.
        #[arg(long, value_enum, default_value = "both")]
        kid: regmatrix::migrate::KidForm,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Decode a token's header and claims (no verification) and say, from the
    /// matrix, which registry versions accept that shape and why.
    Inspect {
        /// The token itself, or a file holding it.
        token: String,
        /// The matrix report to answer from.
        #[arg(long, default_value = "reports/matrix.json")]
        matrix: PathBuf,
    },
}

fn main() -> ExitCode {
    regmatrix::cleanup::install_signal_handlers();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("regmatrix: error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(run(cli));
    drop(runtime);
    // Whatever is still registered (an error path that skipped a shutdown) goes now.
    regmatrix::cleanup::terminate_all();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("regmatrix: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<u8> {
    let progress =
        Progress::new(cli.quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match cli.command {
        Command::Install { versions } => {
            let versions = resolve_versions(&versions)?;
            let installer = Installer::new(Cache::from_env()?);
            let (azurite, columns) =
                install::prepare(&installer, &versions, None, &progress).await?;
            println!(
                "azurite {} ({})",
                azurite.version,
                azurite.blob_script.display()
            );
            for c in columns {
                println!(
                    "{}: {} ({})",
                    c.version,
                    c.registry.version_line,
                    c.registry.binary.display()
                );
            }
            Ok(0)
        }
        Command::Matrix {
            versions,
            scenarios,
            scenario_dir,
            out,
            jobs,
            ready_timeout,
            registry_port,
            keep,
            baseline,
            shard,
            repeat,
        } => {
            if jobs == 0 {
                bail!("--jobs must be at least 1");
            }
            if repeat == 0 {
                bail!("--repeat must be at least 1");
            }
            // Read the baseline first: a bad path should not cost a run.
            let baseline = baseline.as_deref().map(read_report).transpose()?;
            let dir = scenario_dir.unwrap_or_else(runner::default_scenario_dir);
            let scenarios = scenario::discover(&dir, &scenarios)?;
            let tags = resolve_versions(&versions)?;
            let options = RunOptions {
                // A fixed port can serve one registry at a time.
                jobs: if registry_port.is_some() { 1 } else { jobs },
                ready_timeout: Duration::from_secs(ready_timeout),
                registry_port,
                keep_run_dirs: keep,
                shard,
                repeat,
            };
            if let Some(port) = registry_port {
                regmatrix::env::ports::requested_port(port)?;
            }
            let installer = Installer::new(Cache::from_env()?);
            let (azurite, columns) = install::prepare(
                &installer,
                &tags,
                versions.registry_bin.as_deref(),
                &progress,
            )
            .await?;
            let report =
                runner::run_matrix(&azurite, &columns, &scenarios, &options, &progress).await;
            print!("{}", report::table::render(&report));
            let written = report::write_all(&report, &out)?;
            for path in written {
                println!("wrote {}", path.display());
            }
            print_harness_errors(&report);
            let Some(baseline) = baseline else {
                return Ok(report.exit_code() as u8);
            };
            let diff = report::diff::ReportDiff::between(&baseline, &report);
            let text = diff.render_markdown();
            print!("{text}");
            let diff_path = out.join("diff.md");
            std::fs::write(&diff_path, &text)
                .with_context(|| format!("cannot write {}", diff_path.display()))?;
            println!("wrote {}", diff_path.display());
            if report.exit_code() == 2 {
                return Ok(2);
            }
            Ok(diff.exit_code(&report) as u8)
        }
        Command::UpgradeCheck {
            config,
            from,
            to,
            workload,
            token_kid,
            token,
            scenario_dir,
        } => {
            let from_version: RegistryVersion = from.parse()?;
            let to_version: RegistryVersion = to.parse()?;
            if !["libtrust", "thumbprint", "arbitrary", "x5c"].contains(&token_kid.as_str()) {
                bail!("--token-kid {token_kid:?}: use libtrust, thumbprint, arbitrary or x5c");
            }
            let token_kid = match token {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    let shape = regmatrix::inspect::inspect(text.trim())?;
                    match shape.kid_shape {
                        _ if shape.x5c_certificates > 0 => "x5c".to_string(),
                        regmatrix::inspect::KidShape::Libtrust => "libtrust".into(),
                        regmatrix::inspect::KidShape::Thumbprint => "thumbprint".into(),
                        _ => "arbitrary".into(),
                    }
                }
                None => token_kid,
            };
            let dir = scenario_dir.unwrap_or_else(runner::default_scenario_dir);
            let plan = regmatrix::upgrade::plan(&config, workload, &token_kid, &dir)?;
            if plan.token.is_some() {
                eprintln!(
                    "note: auth.token runs against the mock token server (its realm, service, issuer and keys); the trust ({}) and the kid form ({token_kid}) follow your config",
                    if plan.token.as_ref().is_some_and(|t| t.contains_key("jwks")) { "with jwks" } else { "rootcertbundle" }
                );
            }
            let installer = Installer::new(Cache::from_env()?);
            let (azurite, columns) =
                install::prepare(&installer, &[from_version, to_version], None, &progress).await?;
            let options = RunOptions::default();
            let mut scenarios = vec![plan.user];
            scenarios.extend(plan.related);
            let report =
                runner::run_matrix(&azurite, &columns, &scenarios, &options, &progress).await;
            let mut rows = Vec::new();
            for s in &scenarios {
                let (Some(before), Some(after)) =
                    (report.cell(s.id(), &from), report.cell(s.id(), &to))
                else {
                    continue;
                };
                rows.push(regmatrix::upgrade::verdict_row(s, before, after));
            }
            let mut findings =
                regmatrix::upgrade::findings(&columns[0].version, &plan.azure, plan.token.as_ref());
            findings.extend(regmatrix::upgrade::findings(
                &columns[1].version,
                &plan.azure,
                plan.token.as_ref(),
            ));
            let verdict = regmatrix::upgrade::Verdict {
                from,
                to,
                config: config.display().to_string(),
                redacted_azure: plan.redacted,
                findings,
                rows,
            };
            print!("{}", regmatrix::upgrade::render(&verdict));
            print_harness_errors(&report);
            if report.exit_code() == 2 {
                return Ok(2);
            }
            Ok(verdict.exit_code() as u8)
        }
        Command::Soak {
            duration,
            faults,
            version,
            concurrency,
            seed,
            out,
        } => {
            let seed = seed.unwrap_or_else(rand::random);
            // Check the profile before building anything.
            regmatrix::soak::profile_rules(&faults, seed)?;
            let version: RegistryVersion = version.parse()?;
            let installer = Installer::new(Cache::from_env()?);
            let (azurite, columns) =
                install::prepare(&installer, std::slice::from_ref(&version), None, &progress)
                    .await?;
            let column = &columns[0];
            let spec = regmatrix::env::EnvironmentSpec {
                repository: "regmatrix/soak".into(),
                disable_redirect: true,
                ..regmatrix::env::EnvironmentSpec::new(
                    "soak",
                    column.registry.clone(),
                    version.dialect(),
                    azurite,
                )
            };
            let bar = progress.spinner(format!("soak {version} ({faults}, seed {seed})"));
            let options = regmatrix::soak::SoakOptions {
                duration,
                concurrency: concurrency.max(1),
                profile: faults,
                seed,
            };
            let report = regmatrix::soak::run(&spec, &options, |ops| {
                bar.set_message(format!("{ops} operations"));
            })
            .await;
            bar.finish_and_clear();
            let report = report?;
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let path = out.join("soak.json");
            std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
            let o = &report.operations;
            println!(
                "soak {} for {:.0}s, {} clients, profile {}, seed {}",
                report.version, report.duration_s, report.concurrency, report.profile, report.seed
            );
            println!(
                "operations: {} pushes acknowledged, {} refused; {} pulls verified, {} failed",
                o.pushes_acknowledged, o.pushes_refused, o.pulls_verified, o.pulls_failed
            );
            let kinds: Vec<String> = report
                .faults_by_kind
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            println!("faults injected: {}", kinds.join(", "));
            println!("invariant violations: {}", report.violations.len());
            for v in &report.violations {
                println!("  {v}");
            }
            if report.violations.is_empty() {
                println!("invariants: {}", report.invariants);
            }
            println!("wrote {}", path.display());
            Ok(u8::from(!report.violations.is_empty()))
        }
        Command::Bench {
            versions,
            sizes,
            modes,
            concurrency,
            paths,
            peers,
            row_bytes,
            max_inflight,
            max_ops,
            no_redirect,
            ready_timeout,
            out,
            keep,
        } => {
            use regmatrix::bench::{self, plan};
            // Check every option before building anything.
            let plan = plan::BenchPlan {
                sizes: plan::parse_list(&sizes, "--sizes", plan::parse_size)?,
                modes: plan::parse_list(&modes, "--modes", |m| m.parse())?,
                concurrency: plan::parse_list(
                    &concurrency,
                    "--concurrency",
                    plan::parse_concurrency,
                )?,
                row_bytes: plan::parse_size(&row_bytes)?,
                max_inflight: plan::parse_size(&max_inflight)?,
                max_ops: max_ops.max(1),
            };
            let paths = parse_bench_paths(&paths)?;
            let peer_tools = parse_peers(&peers)?;
            let tags = resolve_versions(&versions)?;
            let installer = Installer::new(Cache::from_env()?);
            let (azurite, columns) = install::prepare(
                &installer,
                &tags,
                versions.registry_bin.as_deref(),
                &progress,
            )
            .await?;
            let mut installed_peers = Vec::new();
            for tool in peer_tools {
                let bar = progress.spinner(format!("{} {}", tool.name(), tool.version()));
                let installed = installer.peer(tool, &bar).await;
                bar.finish_and_clear();
                installed_peers.push(installed?);
            }
            let setup = bench::BenchSetup {
                azurite,
                columns,
                peers: installed_peers,
            };
            let options = bench::BenchOptions {
                plan,
                paths,
                redirect: !no_redirect,
                ready_timeout: Duration::from_secs(ready_timeout),
                loopback_bytes: 1 << 30,
                keep_run_dirs: keep,
            };
            let report = bench::run(&setup, &options, &progress).await?;
            print!("{}", bench::render::markdown(&report));
            for path in bench::render::write_all(&report, &out)? {
                println!("wrote {}", path.display());
            }
            let failed = report
                .rows
                .iter()
                .any(|r| r.status == bench::report::RowStatus::Failed);
            Ok(u8::from(failed))
        }
        Command::Report {
            command: ReportCommand::Diff { baseline, current },
        } => {
            let (baseline, current) = (read_report(&baseline)?, read_report(&current)?);
            let diff = report::diff::ReportDiff::between(&baseline, &current);
            print!("{}", diff.render_markdown());
            Ok(diff.exit_code(&current) as u8)
        }
        Command::Report {
            command: ReportCommand::Merge { reports, out },
        } => {
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
        Command::Report {
            command: ReportCommand::Bench { json, out },
        } => {
            let text = std::fs::read_to_string(&json)
                .with_context(|| format!("cannot read {}", json.display()))?;
            let report: regmatrix::bench::BenchReport = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a bench report", json.display()))?;
            for path in regmatrix::bench::render::write_all(&report, &out)? {
                println!("wrote {}", path.display());
            }
            Ok(0)
        }
        Command::Jwks {
            command: JwksCommand::FromCert { pems, kid, out },
        } => {
            let mut texts = Vec::new();
            for path in &pems {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                texts.push((path.display().to_string(), text));
            }
            let jwks = regmatrix::migrate::jwks_from_certificates(&texts, kid)?;
            let text = serde_json::to_string_pretty(&jwks)? + "\n";
            match out {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "wrote {} ({} keys)",
                        path.display(),
                        jwks["keys"].as_array().map_or(0, Vec::len)
                    );
                }
                None => print!("{text}"),
            }
            Ok(0)
        }
        Command::Token {
            command: TokenCommand::Inspect { token, matrix },
        } => {
            let text = match std::fs::read_to_string(&token) {
                Ok(contents) => contents,
                Err(_) if token.contains('.') => token.clone(),
                Err(e) => bail!("{token} is neither a readable file ({e}) nor a JWT"),
            };
            let shape = regmatrix::inspect::inspect(text.trim())?;
            let report = match std::fs::read_to_string(&matrix) {
                Ok(json) => Some(
                    serde_json::from_str::<report::MatrixReport>(&json)
                        .with_context(|| format!("{} is not a matrix report", matrix.display()))?,
                ),
                Err(_) => None,
            };
            print!("{}", regmatrix::inspect::render(&shape, report.as_ref()));
            Ok(0)
        }
        Command::Validate { scenario_dir } => {
            let dir = scenario_dir.unwrap_or_else(runner::default_scenario_dir);
            let scenarios = scenario::discover(&dir, "*")?;
            for s in &scenarios {
                println!("ok {} ({})", s.id(), s.file.display());
            }
            Ok(0)
        }
    }
}

fn parse_bench_paths(list: &str) -> Result<Vec<regmatrix::bench::BenchPath>> {
    use regmatrix::bench::BenchPath;
    let mut paths = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        paths.push(match name {
            "limit" => BenchPath::AzureDirect,
            "shared-key" => BenchPath::RegistryAzureSharedKey,
            "oauth" => BenchPath::RegistryAzureOauth,
            "filesystem" => BenchPath::RegistryFilesystem,
            other => bail!(
                "unknown bench path {other:?}: expected limit, shared-key, oauth or filesystem"
            ),
        });
    }
    if paths.is_empty() {
        bail!("--paths is empty: give at least one of limit, shared-key, oauth, filesystem");
    }
    Ok(paths)
}

fn parse_peers(list: &str) -> Result<Vec<regmatrix::install::PeerTool>> {
    if list.trim() == "none" {
        return Ok(Vec::new());
    }
    let mut tools = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let tool: regmatrix::install::PeerTool = name.parse().map_err(anyhow::Error::msg)?;
        if !tools.contains(&tool) {
            tools.push(tool);
        }
    }
    Ok(tools)
}

fn resolve_versions(args: &VersionArgs) -> Result<Vec<RegistryVersion>> {
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
