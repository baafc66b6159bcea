//! The `regmatrix` command line. Errors end here as one line and exit code 2.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::{
    bench, install, jwks, matrix, report, soak, token, up, upgrade_check, validate, versions,
};
use regmatrix::progress::{Progress, ProgressMode};

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

#[derive(Subcommand)]
enum Command {
    /// Build registry binaries and install Azurite into the cache.
    Install(install::InstallArgs),
    /// Print the versions a `--versions` set resolves to (comma-joined), from
    /// the Go module proxy's release list.
    Versions(versions::VersionsArgs),
    /// Run scenarios x versions and write the compatibility matrix.
    Matrix(matrix::MatrixArgs),
    /// Run your own registry config on the version you run and the one you
    /// move to, against the mock cloud, with the scenarios that apply to it.
    UpgradeCheck(upgrade_check::UpgradeCheckArgs),
    /// One environment (registry, Azurite, the mock cloud) started and left
    /// running for your own client, until Ctrl-C or SIGTERM.
    Up(up::UpArgs),
    /// One registry under a fault profile for a fixed time, then the
    /// invariants: operations done, faults injected by kind, violations (0 to pass).
    Soak(soak::SoakArgs),
    /// Blob throughput through each registry version on Azurite, side by
    /// side with Azurite direct, loopback TCP, the filesystem driver and the
    /// peer clients oras and crane; writes bench.json, bench.md and bench.html.
    Bench(bench::BenchArgs),
    /// Compare and combine matrix reports.
    Report(report::ReportArgs),
    /// Check scenario files without running them.
    Validate(validate::ValidateArgs),
    /// JWKS tools for the `auth.token.jwks` option of 3.x.
    Jwks(jwks::JwksArgs),
    /// Registry token tools.
    Token(token::TokenArgs),
}

impl Command {
    fn wants_docker(&self) -> bool {
        match self {
            Command::Matrix(args) => args.backend.wants_docker(),
            Command::UpgradeCheck(args) => args.backend.wants_docker(),
            Command::Install(args) => args.wants_docker(),
            Command::Up(args) => args.wants_docker(),
            _ => false,
        }
    }
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

fn main() -> ExitCode {
    regmatrix::cleanup::install_signal_handlers();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // Before the runtime's threads exist: opening the engine points
    // testcontainers at the version adapter through DOCKER_HOST.
    if cli.command.wants_docker() {
        if let Err(e) = regmatrix::docker::Engine::open() {
            eprintln!("regmatrix: error: {e}");
            regmatrix::cleanup::terminate_all();
            return ExitCode::from(2);
        }
    }
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

async fn run(cli: Cli) -> anyhow::Result<u8> {
    let progress = Progress::new(ProgressMode::for_stderr(cli.quiet));
    match cli.command {
        Command::Install(args) => install::run(args, &progress).await,
        Command::Versions(args) => versions::run(args, &progress).await,
        Command::Matrix(args) => matrix::run(args, &progress).await,
        Command::UpgradeCheck(args) => upgrade_check::run(args, &progress).await,
        Command::Up(args) => up::run(args, &progress).await,
        Command::Soak(args) => soak::run(args, &progress).await,
        Command::Bench(args) => bench::run(args, &progress).await,
        Command::Report(args) => report::run(args, &progress).await,
        Command::Validate(args) => validate::run(args, &progress).await,
        Command::Jwks(args) => jwks::run(args, &progress).await,
        Command::Token(args) => token::run(args, &progress).await,
    }
}
