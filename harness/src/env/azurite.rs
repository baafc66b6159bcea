//! Azurite's Blob service as a child process: HTTPS with a harness leaf
//! certificate, basic OAuth, no telemetry, its own data directory and port,
//! and one non-default account.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::process::Command;

use super::readiness::{wait_until_ready, ReadinessError, WaitFor};
use super::EnvError;
use crate::install::{InstalledAzurite, NodeCodeCache};
use crate::process::ManagedProcess;
use crate::storage::StorageAccount;

/// A cold Node start on a busy runner takes a few seconds; thirty leaves
/// room without hiding a wedged Azurite for long.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct AzuriteService {
    pub process: ManagedProcess,
    pub port: u16,
    launch: AzuriteLaunch,
}

pub struct AzuriteTls<'a> {
    pub cert: &'a Path,
    pub key: &'a Path,
}

/// Everything needed to start Azurite again on the same port and data.
struct AzuriteLaunch {
    node: PathBuf,
    code_cache: Option<NodeCodeCache>,
    blob_script: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    accounts: String,
    proxy_url: String,
    run_dir: PathBuf,
    data: PathBuf,
    port: u16,
}

impl AzuriteLaunch {
    fn command(&self) -> Command {
        let mut command = std::process::Command::new(&self.node);
        // First: clearing the environment later would drop the cache's.
        command.env_clear();
        // A V8 CPU profile per Azurite process, written when it exits (for
        // finding where the emulator's share of a cell's CPU goes).
        if profiling() {
            command
                .arg("--cpu-prof")
                .arg("--cpu-prof-dir")
                .arg(self.run_dir.join("azurite-profile"));
        }
        if let Some(code_cache) = &self.code_cache {
            code_cache.apply(&mut command, false);
        }
        command
            .arg(&self.blob_script)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &self.port.to_string(),
            ])
            .arg("--cert")
            .arg(&self.cert)
            .arg("--key")
            .arg(&self.key)
            .args([
                "--oauth",
                "basic",
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--loose",
            ])
            .arg("--location")
            .arg(&self.data)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.run_dir)
            .env("AZURITE_ACCOUNTS", &self.accounts)
            // Azurite's own outbound requests (axios: copy-source validation)
            // go through the front door, back to this Azurite.
            .env("https_proxy", &self.proxy_url)
            .env("HTTPS_PROXY", &self.proxy_url)
            .env("http_proxy", &self.proxy_url)
            .env("HTTP_PROXY", &self.proxy_url);
        // Azurite's debug log has every request and response header; it is
        // large, so it is written only when asked for.
        if std::env::var_os("REGMATRIX_AZURITE_DEBUG").is_some() {
            command
                .arg("--debug")
                .arg(self.run_dir.join("azurite-debug.log"));
        }
        Command::from(command)
    }
}

impl AzuriteService {
    pub async fn start(
        installed: &InstalledAzurite,
        account: &StorageAccount,
        tls: AzuriteTls<'_>,
        port: u16,
        proxy_url: &str,
        run_dir: &Path,
    ) -> Result<Self, EnvError> {
        let data = run_dir.join("azurite-data");
        std::fs::create_dir_all(&data).map_err(|e| EnvError::io("create Azurite's data dir", e))?;
        let launch = AzuriteLaunch {
            node: installed.node.clone(),
            code_cache: installed.code_cache.clone(),
            blob_script: installed.blob_script.clone(),
            cert: tls.cert.to_path_buf(),
            key: tls.key.to_path_buf(),
            accounts: account.azurite_accounts_entry(),
            proxy_url: proxy_url.to_string(),
            run_dir: run_dir.to_path_buf(),
            data,
            port,
        };
        let log = run_dir.join("azurite.log");
        let process = ManagedProcess::spawn("azurite", launch.command(), &log)?;
        let mut service = AzuriteService {
            process,
            port,
            launch,
        };
        service.wait_until_listening(0).await?;
        Ok(service)
    }

    /// Stops Azurite and starts it again on the same port and data
    /// directory. Returns how long it was gone.
    ///
    /// SIGTERM, not SIGKILL: Azurite keeps blob metadata in LokiJS and saves
    /// it every 5 s (`autosaveInterval` in LokiBlobMetadataStore.js), and on
    /// SIGTERM. A SIGKILL would lose writes Azure never loses once it has
    /// answered 201, and the harness would report the emulator's data loss
    /// as the registry's.
    pub async fn restart(&mut self) -> Result<Duration, EnvError> {
        let started = Instant::now();
        self.process
            .terminate_in_place(Duration::from_secs(10))
            .await;
        let log = self.process.log_path().to_path_buf();
        let offset = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        self.process = ManagedProcess::spawn("azurite", self.launch.command(), &log)?;
        self.wait_until_listening(offset).await?;
        Ok(started.elapsed())
    }

    /// Kills Azurite at teardown; a profiled one is asked to stop first,
    /// since Node writes its CPU profile only when it exits by itself.
    pub async fn stop(mut self) {
        if profiling() {
            self.process
                .terminate_in_place(Duration::from_secs(10))
                .await;
        }
        self.process.stop().await;
    }

    /// Azurite prints its listening line once the HTTPS server is bound;
    /// only log text after `offset` counts (the log survives restarts).
    async fn wait_until_listening(&mut self, offset: u64) -> Result<(), EnvError> {
        let ready = [WaitFor::log_message("successfully listens on", offset)];
        wait_until_ready(&ready, READY_TIMEOUT, &mut self.process)
            .await
            .map_err(|e| EnvError::AzuriteNotReady {
                detail: match e {
                    ReadinessError::Exited { status } => format!("exited with {status}"),
                    ReadinessError::TimedOut { timeout } => {
                        format!("not listening after {}s", timeout.as_secs())
                    }
                    other => other.to_string(),
                },
                last_line: last_line(&self.process),
            })
    }
}

fn last_line(process: &ManagedProcess) -> String {
    super::last_of(&process.log_tail(5))
}

/// `REGMATRIX_AZURITE_PROFILE`: a V8 CPU profile of each Azurite process in
/// the run directory's `azurite-profile/`.
fn profiling() -> bool {
    std::env::var_os("REGMATRIX_AZURITE_PROFILE").is_some()
}
