//! The bench run. For each version it starts one environment per registry
//! path (Azure with shared key, Azure with an OAuth token, filesystem),
//! drives every planned row through it with the harness client, and on the
//! shared-key one also the peer clients and (once) the Azure SDK straight
//! to the same Azurite. Everything happens in one run, so every figure has
//! its references measured minutes apart on the same machine.
//!
//! The mock cloud (front door, identity) runs on a runtime of its own with
//! named threads, so its CPU time is told apart from the client's.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;

use super::blobs::{BlobCatalog, Family};
use super::clients::{BlobClient, BlobOpError};
use super::loopback::{self, LoopbackError};
use super::plan::{BenchPlan, PlannedRow, RowShape, UploadMode};
use super::report::{
    compare, BenchClient, BenchPath, BenchReport, BenchRow, BenchVersion, HostInfo, Phase,
    RowStatus, BENCH_SCHEMA_VERSION,
};
use super::resources::{CpuMeter, CLOUD_THREAD_PREFIX};
use super::workload::{run_phase, Operation};
use crate::env::{Environment, RunDir};
use crate::install::{Column, InstalledAzurite, InstalledPeer};
use crate::progress::Progress;

mod environments;

const REPOSITORY: &str = "regmatrix/bench";
/// The container the Azure SDK writes to, beside the registry's.
const LIMIT_CONTAINER: &str = "bench-limit";
const LIMIT_NOTE: &str = "Azure SDK: Put Block per chunk (a monolithic upload in 32 MiB blocks, so no blob is held whole), 4 blocks in flight, then Put Block List; one streamed GET, verified";

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot start the mock cloud's runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Loopback(#[from] LoopbackError),
    #[error("cannot create the bench's scratch directory: {0}")]
    Scratch(std::io::Error),
}

pub struct BenchSetup {
    pub azurite: InstalledAzurite,
    pub columns: Vec<Column>,
    pub peers: Vec<InstalledPeer>,
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub plan: BenchPlan,
    /// The registry paths to measure (and `AzureDirect` for the limit).
    pub paths: Vec<BenchPath>,
    /// Blob GETs redirect to a SAS URL, as in production (the client then
    /// reads from Azurite through the front door).
    pub redirect: bool,
    pub ready_timeout: Duration,
    /// Bytes per loopback TCP measurement.
    pub loopback_bytes: u64,
    /// Keep each environment's run directory (configs, registry and Azurite logs).
    pub keep_run_dirs: bool,
}

pub async fn run(
    setup: &BenchSetup,
    options: &BenchOptions,
    progress: &Progress,
) -> Result<BenchReport, BenchError> {
    let started = Instant::now();
    let cpu = CpuMeter::start(None, None);
    let cloud = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(CLOUD_THREAD_PREFIX)
        .enable_all()
        .build()
        .map_err(BenchError::Runtime)?;
    let scratch = RunDir::create("bench").map_err(BenchError::Scratch)?;
    let bar = progress.bytes(total_bytes(setup, options), "bench");
    let mut bench = Bench {
        options,
        catalog: BlobCatalog::default(),
        cloud: cloud.handle().clone(),
        bar: bar.clone(),
        scratch: scratch.path().to_path_buf(),
        rows: Vec::new(),
    };

    let mut loopback_tcp = Vec::new();
    for &concurrency in &options.plan.concurrency {
        bar.set_message(format!("loopback TCP, {concurrency} streams"));
        loopback_tcp.push(loopback::measure(options.loopback_bytes, concurrency).await?);
    }

    let mut limit_done = !options.paths.contains(&BenchPath::AzureDirect);
    for column in &setup.columns {
        for path in [
            BenchPath::RegistryAzureSharedKey,
            BenchPath::RegistryAzureOauth,
            BenchPath::RegistryFilesystem,
        ] {
            if !options.paths.contains(&path) {
                continue;
            }
            let mut drivers = vec![Driver::Harness];
            if path == BenchPath::RegistryAzureSharedKey {
                drivers.extend(setup.peers.iter().map(Driver::Peer));
            }
            for driver in drivers {
                for &size in &options.plan.sizes {
                    bench
                        .environment_rows(column, &setup.azurite, path, driver, size)
                        .await;
                }
            }
        }
        // The limit runs once, on the first version's Azurite (its registry idles).
        if !limit_done {
            for &size in &options.plan.sizes {
                bench
                    .environment_rows(
                        column,
                        &setup.azurite,
                        BenchPath::RegistryAzureSharedKey,
                        Driver::Limit,
                        size,
                    )
                    .await;
            }
            limit_done = true;
        }
    }
    bar.finish_and_clear();
    cloud.shutdown_background();
    drop(scratch);

    let used = cpu.since();
    let rows = bench.rows;
    let comparisons = compare(&rows);
    // Each phase resets the high-water mark to measure its own; the run's
    // peak is the largest of theirs and of what followed the last one.
    let harness_peak_rss_mib = rows
        .iter()
        .flat_map(|r| [&r.push, &r.pull])
        .flatten()
        .map(|p| p.cpu.harness_peak_rss_mib)
        .fold(used.harness_peak_rss_mib, f64::max);
    Ok(BenchReport {
        schema_version: BENCH_SCHEMA_VERSION,
        generated_at: httpdate::fmt_http_date(std::time::SystemTime::now()),
        host: HostInfo {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            azurite: setup.azurite.version.clone(),
        },
        plan: options.plan.clone(),
        versions: setup
            .columns
            .iter()
            .map(|c| BenchVersion {
                tag: c.version.tag().to_string(),
                version_line: c.registry.version_line.clone(),
            })
            .collect(),
        loopback_tcp,
        comparisons,
        rows,
        wall_s: started.elapsed().as_secs_f64(),
        harness_cpu_s: used.harness_client_s + used.mock_cloud_s,
        harness_peak_rss_mib,
    })
}

/// Bytes the progress bar counts: both directions of every row.
fn total_bytes(setup: &BenchSetup, options: &BenchOptions) -> u64 {
    let plan = &options.plan;
    let per_path = plan.bytes_per_direction() * 2;
    let registry_paths = options
        .paths
        .iter()
        .filter(|p| **p != BenchPath::AzureDirect)
        .count() as u64;
    let limit = u64::from(options.paths.contains(&BenchPath::AzureDirect));
    let peers = setup.peers.len() as u64 * peer_plan(plan).bytes_per_direction() * 2;
    setup.columns.len() as u64 * (registry_paths * per_path + peers) + limit * per_path
}

/// Peers upload their own way: they get the monolithic rows only, and are
/// compared with the harness's monolithic rows.
fn peer_plan(plan: &BenchPlan) -> BenchPlan {
    BenchPlan {
        modes: vec![UploadMode::Monolithic],
        ..plan.clone()
    }
}

/// Who drives an environment's rows.
#[derive(Clone, Copy)]
enum Driver<'p> {
    /// The harness's own registry client.
    Harness,
    Peer(&'p InstalledPeer),
    /// The Azure SDK, straight to the environment's Azurite.
    Limit,
}

impl Driver<'_> {
    /// The path and client its rows are reported under, given the path the
    /// environment was started for.
    fn row_identity(self, environment_path: BenchPath) -> (BenchPath, BenchClient) {
        match self {
            Driver::Harness => (environment_path, BenchClient::Regmatrix),
            Driver::Peer(peer) => (environment_path, peer_client(peer)),
            Driver::Limit => (BenchPath::AzureDirect, BenchClient::AzureSdk),
        }
    }

    fn plan(self, plan: &BenchPlan) -> BenchPlan {
        match self {
            Driver::Peer(_) => peer_plan(plan),
            Driver::Harness | Driver::Limit => plan.clone(),
        }
    }

    /// Peers never get a blob the harness pushed (they would skip it).
    fn family(self) -> Family {
        match self {
            Driver::Peer(peer) => peer.tool.name(),
            Driver::Harness | Driver::Limit => "regmatrix",
        }
    }
}

struct Bench<'a> {
    options: &'a BenchOptions,
    catalog: BlobCatalog,
    cloud: tokio::runtime::Handle,
    bar: ProgressBar,
    scratch: PathBuf,
    rows: Vec<BenchRow>,
}

impl Bench<'_> {
    /// Runs one driver's rows of one size in a fresh environment. One size
    /// per environment keeps Azurite's data directory to one size's bytes:
    /// Azurite frees deleted blobs' extents only every 10 minutes, and the
    /// whole run writes tens of GiB.
    async fn environment_rows(
        &mut self,
        column: &Column,
        azurite: &InstalledAzurite,
        environment_path: BenchPath,
        driver: Driver<'_>,
        size: u64,
    ) {
        let tag = column.version.tag().to_string();
        let (path, who) = driver.row_identity(environment_path);
        let version = (path != BenchPath::AzureDirect).then_some(tag.as_str());
        let planned: Vec<PlannedRow> = driver
            .plan(&self.options.plan)
            .rows()
            .into_iter()
            .filter(|row| row_shape(row).size == size)
            .collect();
        if planned
            .iter()
            .all(|row| matches!(row, PlannedRow::Skip { .. }))
        {
            for row in planned {
                self.record_unmeasured(path, who, version, row, RowStatus::Skipped, "");
            }
            return;
        }
        self.bar.set_message(format!(
            "{tag}: starting {} for {} {}",
            environment_path.label(),
            who.name(),
            super::plan::format_size(size)
        ));
        let environment = match self.start(column, azurite, environment_path).await {
            Ok(environment) => environment,
            Err((status, note)) => {
                for row in planned {
                    self.record_unmeasured(path, who, version, row, status, &note);
                }
                return;
            }
        };
        match self.client_for(driver, &environment).await {
            Ok(client) => {
                for row in planned {
                    self.row(
                        &environment,
                        path,
                        who,
                        version,
                        &client,
                        driver.family(),
                        row,
                    )
                    .await;
                }
            }
            Err(e) => {
                let note = e.to_string();
                for row in planned {
                    self.record_unmeasured(path, who, version, row, RowStatus::Failed, &note);
                }
            }
        }
        match Arc::try_unwrap(environment) {
            Ok(environment) => {
                let _ = self.cloud.spawn(environment.shutdown()).await;
            }
            // Unreachable while no operation outlives its phase; the drop
            // still kills the processes.
            Err(environment) => drop(environment),
        }
    }

    fn record_unmeasured(
        &mut self,
        path: BenchPath,
        who: BenchClient,
        version: Option<&str>,
        planned: PlannedRow,
        status: RowStatus,
        note: &str,
    ) {
        let row = match planned {
            PlannedRow::Skip { shape, reason } => {
                unmeasured_row(path, who, version, &shape, RowStatus::Skipped, &reason)
            }
            PlannedRow::Run(shape) => unmeasured_row(path, who, version, &shape, status, note),
        };
        self.rows.push(row);
    }

    /// Runs one row (push phase, then pull phase) and empties the store.
    #[allow(clippy::too_many_arguments)]
    async fn row(
        &mut self,
        environment: &Arc<Environment>,
        path: BenchPath,
        who: BenchClient,
        version: Option<&str>,
        client: &BlobClient,
        family: Family,
        planned: PlannedRow,
    ) {
        let shape = match planned {
            PlannedRow::Skip { .. } => {
                self.record_unmeasured(path, who, version, planned, RowStatus::Skipped, "");
                return;
            }
            PlannedRow::Run(shape) => shape,
        };
        let note = match client {
            BlobClient::Peer(peer) => peer.upload_pattern().to_string(),
            BlobClient::AzureSdk { .. } => LIMIT_NOTE.to_string(),
            BlobClient::Regmatrix { .. } => String::new(),
        };
        self.bar.set_message(format!(
            "{} {} {}: {} x {} {}, {} at a time",
            version.unwrap_or("limit"),
            path.label(),
            who.name(),
            shape.ops,
            super::plan::format_size(shape.size),
            shape.mode,
            shape.concurrency
        ));
        let blobs = self.catalog.blobs(family, &shape).await;
        let (registry_pid, azurite_pid) = environment.process_ids().await;
        let registry_pid = (path != BenchPath::AzureDirect).then_some(registry_pid);
        let azurite_pid = (path != BenchPath::RegistryFilesystem).then_some(azurite_pid);
        let mut row = BenchRow {
            path,
            client: who,
            version: version.map(str::to_string),
            size: shape.size,
            mode: shape.mode,
            concurrency: shape.concurrency,
            ops: shape.ops,
            status: RowStatus::Measured,
            note,
            push: None,
            pull: None,
        };
        if let BlobClient::Peer(peer) = client {
            if let Err(e) = peer.stage(&blobs).await {
                row.status = RowStatus::Failed;
                row.note = format!("writing the blob files: {e}");
                self.rows.push(row);
                return;
            }
        }
        let mode = shape.mode;
        let push: Operation<BlobOpError> = {
            let (client, blobs) = (client.clone(), blobs.clone());
            Arc::new(move |i| client.push(blobs[i].clone(), mode))
        };
        let pull: Operation<BlobOpError> = {
            let (client, blobs) = (client.clone(), blobs.clone());
            Arc::new(move |i| client.pull(blobs[i].clone()))
        };
        let registry_log = environment.registry_log_path();
        for (direction, operation) in [("push", push), ("pull", pull)] {
            let log_offset = crate::registry_log::file_len(&registry_log);
            let meter = CpuMeter::start(registry_pid, azurite_pid);
            let bar = self.bar.clone();
            match run_phase(shape.ops, shape.concurrency, operation, move |bytes| {
                bar.inc(bytes)
            })
            .await
            {
                Ok(figures) => {
                    let phase = Some(Phase {
                        figures,
                        cpu: meter.since(),
                    });
                    if direction == "push" {
                        row.push = phase;
                    } else {
                        row.pull = phase;
                    }
                }
                Err(failed) => {
                    row.status = RowStatus::Failed;
                    row.note = format!("{direction}: {failed}");
                    // The registry's own account of it, as scenario cells carry.
                    let lines = crate::registry_log::lines_since(&registry_log, log_offset);
                    if let Some(line) = crate::registry_log::most_telling(&lines) {
                        row.note.push_str(&format!(
                            "; registry log: {}",
                            crate::registry_log::condense(line, 400)
                        ));
                    }
                    break;
                }
            }
        }
        if let BlobClient::Peer(peer) = client {
            peer.unstage(&blobs);
        }
        if let Err(e) = environments::empty_store(environment, path, &blobs).await {
            // The next row still runs; its figures may include a fuller store.
            row.note = [
                row.note.as_str(),
                &format!("emptying the store failed: {e}"),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("; ");
        }
        self.rows.push(row);
    }
}

fn row_shape(row: &PlannedRow) -> &RowShape {
    match row {
        PlannedRow::Run(shape) | PlannedRow::Skip { shape, .. } => shape,
    }
}

fn peer_client(peer: &InstalledPeer) -> BenchClient {
    match peer.tool {
        crate::install::PeerTool::Oras => BenchClient::Oras,
        crate::install::PeerTool::Crane => BenchClient::Crane,
    }
}

fn unmeasured_row(
    path: BenchPath,
    client: BenchClient,
    version: Option<&str>,
    shape: &RowShape,
    status: RowStatus,
    note: &str,
) -> BenchRow {
    BenchRow {
        path,
        client,
        version: version.map(str::to_string),
        size: shape.size,
        mode: shape.mode,
        concurrency: shape.concurrency,
        ops: shape.ops,
        status,
        note: note.to_string(),
        push: None,
        pull: None,
    }
}
