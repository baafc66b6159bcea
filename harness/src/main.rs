//! The `regmatrix` command line. Errors end here as one line and exit code 2.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use regmatrix::cache::Cache;
use regmatrix::install::Installer;
use regmatrix::report;
use regmatrix::runner::{self, Progress, RunOptions};
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
    let cli = Cli::parse();
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
                runner::prepare(&installer, &versions, None, &progress).await?;
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
        } => {
            if jobs == 0 {
                bail!("--jobs must be at least 1");
            }
            let dir = scenario_dir.unwrap_or_else(runner::default_scenario_dir);
            let scenarios = scenario::discover(&dir, &scenarios)?;
            let tags = resolve_versions(&versions)?;
            let options = RunOptions {
                // A fixed port can serve one registry at a time.
                jobs: if registry_port.is_some() { 1 } else { jobs },
                ready_timeout: Duration::from_secs(ready_timeout),
                registry_port,
                keep_run_dirs: keep,
            };
            if let Some(port) = registry_port {
                regmatrix::env::ports::requested_port(port)?;
            }
            let installer = Installer::new(Cache::from_env()?);
            let (azurite, columns) = runner::prepare(
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
            Ok(report.exit_code() as u8)
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
