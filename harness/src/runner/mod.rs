//! The matrix runner: runs every scenario on every installed version
//! (bounded parallelism, one environment per cell), and turns each run into
//! a report cell. It judges outcomes against the scenario's expectations;
//! the renderers only read the result.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regmatrix_mocks::front_door::TrafficRecord;
use regmatrix_mocks::seed::Seed;

use crate::client::{ClientConfig, RegistryClient};
use crate::env::{ClientAccess, CredentialsMode, EnvError, Environment, Side, Workload};
use crate::install::{Column, InstalledAzurite};
use crate::progress::Progress;
use crate::report::{
    Cell, FaultSummary, MatrixReport, Outcome, ScenarioInfo, ShardInfo, VersionInfo, SCHEMA_VERSION,
};
use crate::scenario::engine::{self, is_storage_host, StepFailure, Target};
use crate::scenario::steps::StepKind;
use crate::scenario::steps::{KeepDir, Served, StepTools};
use crate::scenario::Scenario;

mod admission;
mod cell_spec;
mod evidence;
mod lane;
mod repeat;
mod tally;

pub use admission::{least_duration, DurationHints};
pub use cell_spec::{environment_spec, plain_environment_spec};
use lane::{harness_error_cell, mark_range_expectations, report_paths};
pub use lane::{shard_pairs, Lane, MatrixLanes};
use repeat::combine_runs;

use evidence::{
    ack_lost_note, identity_note, local_services_note, token_server_note, traffic_note,
};
pub use evidence::{summarize, summarize_identity};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub jobs: usize,
    pub ready_timeout: Duration,
    pub registry_port: Option<u16>,
    pub keep_run_dirs: bool,
    /// Run only this shard's cells.
    pub shard: Option<ShardInfo>,
    /// Runs per cell; outcomes that differ make the cell `flaky`.
    pub repeat: usize,
    /// Every cell's seed: its keys, names and blobs derive from it, so a
    /// cell reruns the same with `--seed` set to the seed it records.
    pub seed: Seed,
    /// The registry as a process (default) or a container.
    pub runtime: crate::env::RegistryRuntime,
    /// How long cells took before: the longest start first.
    pub hints: DurationHints,
    /// Programs steps run (the conformance suite), installed beforehand.
    pub tools: StepTools,
    /// The report's directory: files a cell keeps (the conformance suite's
    /// reports) go under its `cells/`; `None` keeps none.
    pub keep_with: Option<PathBuf>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            // Each cell runs Node (Azurite) and Go (the registry); two cells
            // keep two cores busy without starving either.
            jobs: 2,
            ready_timeout: crate::env::DEFAULT_READY_TIMEOUT,
            registry_port: None,
            keep_run_dirs: false,
            shard: None,
            repeat: 1,
            seed: Seed::default(),
            runtime: crate::env::RegistryRuntime::default(),
            hints: DurationHints::default(),
            tools: StepTools::default(),
            keep_with: None,
        }
    }
}

/// Runs every single-version scenario on every column and every upgrade
/// scenario on every path, and assembles the report.
pub async fn run_matrix(
    azurite: &InstalledAzurite,
    columns: &[Column],
    paths: &[(Column, Column)],
    scenarios: &[Scenario],
    options: &RunOptions,
    progress: &Progress,
) -> MatrixReport {
    let started = Instant::now();
    let lanes: Vec<Lane> = columns.iter().cloned().map(Lane::Version).collect();
    let path_lanes: Vec<Lane> = paths
        .iter()
        .map(|(from, to)| Lane::Path {
            from: from.clone(),
            to: to.clone(),
        })
        .collect();
    let replica_lanes: Vec<Lane> = columns
        .iter()
        .map(|c| Lane::Path {
            from: c.clone(),
            to: c.clone(),
        })
        .collect();
    let pairs = shard_pairs(
        scenarios,
        &MatrixLanes {
            versions: &lanes,
            paths: &path_lanes,
            replicas: &replica_lanes,
        },
        options.shard,
    );
    let total = (pairs.len() * options.repeat.max(1)) as u64;
    let bar = progress.counter(total, "cell runs");
    let tally = Arc::new(tally::Tally::new(pairs.len()));
    let admission = Arc::new(admission::Admission::new(options.jobs));
    // Longest expected first; the report keeps the scenario-major order.
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    order.sort_by_key(|&i| {
        let (scenario, column) = pairs[i];
        std::cmp::Reverse(options.hints.expected_ms(scenario, &column.label()))
    });
    let mut tasks = Vec::new();
    for index in order {
        let (scenario, column) = pairs[index];
        let (scenario, column, azurite, options, admission, bar, tally, progress) = (
            scenario.clone(),
            column.clone(),
            azurite.clone(),
            options.clone(),
            admission.clone(),
            bar.clone(),
            tally.clone(),
            progress.clone(),
        );
        tasks.push((
            index,
            tokio::spawn(async move {
                let mut runs = Vec::new();
                for _ in 0..options.repeat.max(1) {
                    let admitted = admission.admit().await;
                    bar.set_message(format!("{} on {}", scenario.id(), column.label()));
                    let cell = run_cell(&scenario, &column, &azurite, &options);
                    runs.push(crate::pacing::with_slot(admitted, cell).await);
                    bar.inc(1);
                }
                let cell = combine_runs(runs, &scenario, &column);
                tally.finished(&cell, &progress);
                cell
            }),
        ));
    }
    let mut slots: Vec<Option<Cell>> = vec![None; pairs.len()];
    for (index, task) in tasks {
        let (scenario, column) = pairs[index];
        slots[index] = Some(match task.await {
            Ok(cell) => cell,
            Err(join) => harness_error_cell(
                scenario,
                column,
                format!("the cell's task panicked: {join}"),
            ),
        });
    }
    let mut cells: Vec<Cell> = slots.into_iter().flatten().collect();
    bar.finish_and_clear();
    mark_range_expectations(&mut cells, scenarios);
    let mut run = crate::self_usage::run_stats(started.elapsed().as_millis() as u64, options.jobs);
    run.bound_by(&cells);
    MatrixReport {
        schema_version: SCHEMA_VERSION,
        generated_at: httpdate::fmt_http_date(std::time::SystemTime::now()),
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        versions: columns
            .iter()
            .map(|c| VersionInfo {
                tag: c.version.tag().to_string(),
                version_line: c.registry.version_line.clone(),
                image: match &options.runtime {
                    crate::env::RegistryRuntime::Container(containers) => containers
                        .images
                        .get(c.version.tag())
                        .map(|i| i.reference.clone()),
                    crate::env::RegistryRuntime::Process => None,
                },
            })
            .collect(),
        paths: report_paths(scenarios, paths, columns),
        scenarios: scenarios
            .iter()
            .map(|s| ScenarioInfo {
                id: s.id().to_string(),
                title: s.spec.title.clone(),
                file: s.file.display().to_string(),
            })
            .collect(),
        cells,
        run,
        shard: options.shard,
        version_set: None,
    }
}

/// How much of the registry's log line a cell's evidence quotes.
const EVIDENCE_LOG_CHARS: usize = 600;

/// Runs one scenario in one lane in a fresh environment, and records the
/// CPU each process of it used.
pub async fn run_cell(
    scenario: &Scenario,
    lane: &Lane,
    azurite: &InstalledAzurite,
    options: &RunOptions,
) -> Cell {
    let ledger = crate::cpu::CpuLedger::default();
    let mut cell = ledger
        .scope(run_cell_in(scenario, lane, azurite, options))
        .await;
    cell.process_cpu_ms = ledger.totals();
    cell
}

async fn run_cell_in(
    scenario: &Scenario,
    lane: &Lane,
    azurite: &InstalledAzurite,
    options: &RunOptions,
) -> Cell {
    let started = Instant::now();
    let mut cell = harness_error_cell(scenario, lane, String::new());
    cell.seed = Some(options.seed.value());
    let spec = cell_spec::environment_spec(scenario, lane, azurite, options);
    match Environment::start(&spec).await {
        Err(EnvError::Unsupported(reason)) => {
            cell.outcome = Outcome::Unsupported;
            cell.evidence = reason.0;
        }
        Err(error @ EnvError::RegistryPortTaken { .. }) => {
            cell.outcome = Outcome::Error;
            cell.evidence = error.to_string();
            if let EnvError::RegistryPortTaken { log_tail, .. } = error {
                cell.registry_log = log_tail;
            }
        }
        Err(EnvError::RegistryExited {
            status, log_tail, ..
        }) => {
            // The registry refused its configuration: that is the registry's answer.
            cell.outcome = Outcome::Fail;
            let phase = match lane {
                Lane::Version(_) => String::new(),
                Lane::Path { from, .. } => format!("phase 1 (from): {} ", from.version),
            };
            cell.evidence = format!(
                "{phase}registry exited at start-up ({status}): {}",
                crate::env::last_of(&log_tail)
            );
            cell.registry_log = log_tail;
        }
        Err(EnvError::RegistryIgnoredConfig(ignored)) => {
            // The deployment's mount, not the harness: the image ran its own config.
            cell.outcome = Outcome::Fail;
            let phase = match lane {
                Lane::Version(_) => String::new(),
                Lane::Path { from, .. } => format!("phase 1 (from): {} ", from.version),
            };
            cell.evidence = format!("{phase}{ignored}");
            cell.registry_log = ignored.log_tail;
        }
        Err(other) => {
            cell.outcome = Outcome::Error;
            cell.evidence = other.to_string();
        }
        Ok(environment) => {
            let keep_dir = options
                .keep_with
                .as_deref()
                .map(|out| keep_dir(out, scenario, lane));
            let access = ClientAccess::of(&environment, &spec.storage_names.realm);
            let extras = CellExtras {
                access: &access,
                tools: &options.tools,
                keep_dir: keep_dir.as_ref(),
            };
            run_in(&environment, scenario, &extras, &mut cell).await;
            environment.shutdown().await;
        }
    }
    cell.duration_ms = started.elapsed().as_millis() as u64;
    cell
}

/// A client for one of the environment's registries.
fn client_for(environment: &Environment, side: Side) -> Result<RegistryClient, String> {
    RegistryClient::new(ClientConfig {
        base_url: environment.endpoint(side).0.to_string(),
        proxy_url: Some(environment.front_door.proxy_url()),
        roots: environment.ca.rustls_root_store(),
        credentials: environment
            .token_auth
            .as_ref()
            .map(|auth| auth.credentials.clone()),
        timeout: Duration::from_secs(300),
    })
    .map_err(|e| e.to_string())
}

/// Where a cell keeps files next to the report: `cells/<scenario>/<lane>/`.
fn keep_dir(out: &std::path::Path, scenario: &Scenario, lane: &Lane) -> KeepDir {
    let relative = format!(
        "cells/{}/{}",
        scenario.id(),
        lane.label().replace(crate::report::PATH_SEPARATOR, "-to-")
    );
    KeepDir {
        absolute: out.join(&relative),
        relative,
    }
}

/// What the steps get besides the environment itself.
struct CellExtras<'a> {
    access: &'a ClientAccess,
    tools: &'a StepTools,
    keep_dir: Option<&'a KeepDir>,
}

async fn run_in(
    environment: &Environment,
    scenario: &Scenario,
    extras: &CellExtras<'_>,
    cell: &mut Cell,
) {
    let clients = client_for(environment, Side::From).and_then(|from| {
        let to = environment
            .has_upgrade()
            .then(|| client_for(environment, Side::To))
            .transpose()?;
        Ok((from, to))
    });
    let (from_client, to_client) = match clients {
        Ok(clients) => clients,
        Err(e) => {
            cell.outcome = Outcome::Error;
            cell.evidence = e;
            return;
        }
    };
    let traffic = environment.front_door.traffic();
    let served = |client, side| {
        let (_, registry_log, version) = environment.endpoint(side);
        Served {
            client,
            registry_log,
            version,
        }
    };
    let target = Target {
        from: served(&from_client, Side::From),
        to: to_client.as_ref().map(|client| served(client, Side::To)),
        storage: &environment.storage,
        storage_port: environment.azurite_port(),
        container: &environment.container,
        traffic: &traffic,
        identity: &environment.identity,
        front_door: &environment.front_door,
        processes: environment,
        seed: environment.seed(),
        access: extras.access,
        run_dir: environment.run_dir(),
        tools: extras.tools,
        keep_dir: extras.keep_dir,
    };
    let run = engine::run(scenario, &target).await;
    cell.conformance = run.conformance;
    let (storage, identity_hosts): (Vec<TrafficRecord>, Vec<TrafficRecord>) = run
        .storage_traffic
        .into_iter()
        .partition(|r| is_storage_host(&r.host));
    cell.storage_traffic = summarize(&storage);
    cell.identity = summarize_identity(&environment.identity.calls(), &identity_hosts);
    cell.registry_log = run.registry_log;
    // Under a token credential, no identity call at all is evidence too.
    let uses_identity = scenario.spec.registry.credentials != CredentialsMode::SharedKey
        || scenario.spec.identity.workload != Workload::None;
    let mut traffic_note = match identity_note(&cell.identity) {
        Some(identity) => format!("{identity}; {}", traffic_note(&cell.storage_traffic)),
        None if uses_identity => {
            format!("identity: no call; {}", traffic_note(&cell.storage_traffic))
        }
        None => traffic_note(&cell.storage_traffic),
    };
    let endpoints = scenario
        .user_deployment
        .as_ref()
        .map(|u| u.sections.notification_endpoints.clone())
        .unwrap_or_default();
    if let Some(services) = local_services_note(
        environment
            .notifications
            .as_ref()
            .map(|n| n.summary())
            .as_ref(),
        &endpoints,
        environment.redis_commands().await,
    ) {
        traffic_note = format!("{services}; {traffic_note}");
    }
    // Identity outages are faults too; scenario-injected rules are the rest.
    cell.faults = environment
        .front_door
        .fault_stats()
        .into_iter()
        .filter(|f| f.name != "identity-outage")
        .map(|f| FaultSummary {
            rule: f.rule,
            kind: f.kind.to_string(),
            seed: f.seed,
            matched: f.matched,
            injected: f.injected,
        })
        .collect();
    if !cell.faults.is_empty() {
        let parts: Vec<String> = cell
            .faults
            .iter()
            .map(|f| {
                let seed = f.seed.map(|s| format!(", seed {s}")).unwrap_or_default();
                format!(
                    "{} hit {} of {} matching requests{seed} ({})",
                    f.kind, f.injected, f.matched, f.rule
                )
            })
            .collect();
        let applied = ack_lost_note(&storage)
            .map(|note| format!("; {note}"))
            .unwrap_or_default();
        traffic_note = format!("faults: {}{applied}; {traffic_note}", parts.join("; "));
    }
    if let Some(auth) = &environment.token_auth {
        traffic_note = format!(
            "{}; {traffic_note}",
            token_server_note(&auth.server.calls())
        );
    }
    // What the container held is evidence whatever the outcome: which blob
    // type a version wrote, under which name.
    let seen: Vec<&str> = run
        .steps
        .iter()
        .filter(|s| s.ok && matches!(s.kind.parse(), Ok(StepKind::StorageObject)))
        .map(|s| s.summary.as_str())
        .collect();
    if !seen.is_empty() {
        traffic_note = format!("storage: {}; {traffic_note}", seen.join("; "));
    }
    if !run.post_mortem.is_empty() {
        traffic_note = format!(
            "after the failure, {}; {traffic_note}",
            run.post_mortem.join("; ")
        );
    }
    match run.failure {
        None => {
            cell.outcome = Outcome::Pass;
            // Steps that observe the cloud say more than a count does.
            let observations: Vec<&str> = run
                .steps
                .iter()
                .filter(|s| {
                    matches!(
                        s.kind.parse(),
                        Ok(StepKind::IdentityOutage
                            | StepKind::CheckCredentials
                            | StepKind::CheckInvariants
                            | StepKind::CheckStorage
                            | StepKind::PushAcrossRestart
                            | StepKind::PushConcurrently
                            | StepKind::Restart)
                    )
                })
                .map(|s| s.summary.as_str())
                .collect();
            let observations = if observations.is_empty() {
                String::new()
            } else {
                format!(" ({})", observations.join("; "))
            };
            cell.evidence = format!("{} steps ok{observations}; {traffic_note}", run.steps.len());
        }
        Some(StepFailure::Registry(line)) => {
            cell.outcome = Outcome::Fail;
            cell.evidence = format!(
                "{line}{}; {traffic_note}",
                log_note(&line, &cell.registry_log)
            );
        }
        Some(StepFailure::Security(line)) => {
            cell.outcome = Outcome::Security;
            cell.evidence = format!("{line}; {traffic_note}");
        }
        Some(StepFailure::DataLoss(line)) => {
            cell.outcome = Outcome::DataLoss;
            cell.evidence = format!(
                "{line}{}; {traffic_note}",
                log_note(&line, &cell.registry_log)
            );
        }
        Some(StepFailure::NoRecovery(line)) => {
            cell.outcome = Outcome::NoRecovery;
            cell.evidence = format!(
                "{line}{}; {traffic_note}",
                log_note(&line, &cell.registry_log)
            );
        }
        Some(StepFailure::Harness(line)) => {
            cell.outcome = Outcome::Error;
            cell.evidence = line;
        }
    }
    cell.steps = run.steps;
}

/// The registry's most telling log line since the failing step began, unless
/// the failure line already quotes it (a start-up panic).
fn log_note(line: &str, log: &[String]) -> String {
    crate::registry_log::most_telling(log)
        .filter(|l| !line.contains(l.trim()))
        .map(|l| {
            format!(
                "; registry log: {}",
                crate::registry_log::condense(l, EVIDENCE_LOG_CHARS)
            )
        })
        .unwrap_or_default()
}

/// Where scenario files live when the user does not say: `./scenarios`, else
/// the source tree's (so `cargo run` works from any directory).
pub fn default_scenario_dir() -> PathBuf {
    let local = PathBuf::from("scenarios");
    if local.is_dir() {
        local
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
    }
}
