//! `regmatrix bench`: blob throughput through each registry version beside
//! its references. Planning, measuring and rendering are
//! `regmatrix::bench`'s; this checks every option before anything is built,
//! installs what the run needs, writes the report and picks the exit code.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use regmatrix::bench::{self, plan, BenchPath};
use regmatrix::install::{self, Installer, PeerTool};
use regmatrix::progress::Progress;

use super::shared::{resolve_versions, VersionArgs};

#[derive(clap::Args)]
pub struct BenchArgs {
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
    // Lists are parsed after clap, in this order, so a bad value reads as
    // the library's one line rather than clap's.
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
}

pub async fn run(args: BenchArgs, progress: &Progress) -> Result<u8> {
    // Check every option before building anything.
    let plan = plan::BenchPlan {
        sizes: plan::parse_list(&args.sizes, "--sizes", plan::parse_size)?,
        modes: plan::parse_list(&args.modes, "--modes", |m| {
            m.parse().map_err(|_| plan::PlanError::Mode(m.to_string()))
        })?,
        concurrency: plan::parse_list(&args.concurrency, "--concurrency", plan::parse_concurrency)?,
        row_bytes: plan::parse_size(&args.row_bytes)?,
        max_inflight: plan::parse_size(&args.max_inflight)?,
        max_ops: args.max_ops.max(1),
    };
    let paths = BenchPath::parse_list(&args.paths)?;
    let peer_tools = PeerTool::parse_list(&args.peers)?;
    let tags = resolve_versions(&args.versions, progress).await?.versions;
    let installer = Installer::from_env()?;
    let (azurite, columns) = install::prepare(
        &installer,
        &tags,
        args.versions.registry_bin.as_deref(),
        progress,
    )
    .await?;
    let mut peers = Vec::new();
    for tool in peer_tools {
        let bar = progress.spinner(format!("{} {}", tool.name(), tool.version()));
        let installed = installer.peer(tool, &bar).await;
        bar.finish_and_clear();
        peers.push(installed?);
    }
    let setup = bench::BenchSetup {
        azurite,
        columns,
        peers,
    };
    let options = bench::BenchOptions {
        plan,
        paths,
        redirect: !args.no_redirect,
        ready_timeout: Duration::from_secs(args.ready_timeout),
        loopback_bytes: 1 << 30,
        keep_run_dirs: args.keep,
    };
    let report = bench::run(&setup, &options, progress).await?;
    print!("{}", bench::render::markdown(&report));
    for path in bench::render::write_all(&report, &args.out)? {
        println!("wrote {}", path.display());
    }
    Ok(u8::from(report.any_failed()))
}
