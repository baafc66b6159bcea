//! The registry under test as a child process: the real binary, a rendered
//! `config.yml`, the harness CA as its only trust (`SSL_CERT_FILE`), and the
//! front door as its proxy. Ready means `/debug/health` answers 200 and then
//! `/v2/` answers (200, or 401 under token auth).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What Go's `net.Listen` logs when the address is taken.
const PORT_TAKEN: &str = "bind: address already in use";

use tokio::process::Command;

use super::readiness::{wait_until_ready, ReadinessError, WaitFor};
use super::EnvError;
use crate::install::InstalledRegistry;
use crate::process::ManagedProcess;

/// Enough of the log to reach a Go panic's message above its stack trace.
const STARTUP_LOG_LINES: usize = 60;

pub struct RegistryService {
    pub process: ManagedProcess,
    pub base_url: String,
    pub debug_url: String,
    pub config_path: PathBuf,
    command: RegistryCommand,
}

pub struct RegistryLaunch<'a> {
    pub installed: &'a InstalledRegistry,
    pub config_yaml: &'a str,
    pub ca_bundle: &'a Path,
    pub proxy_url: &'a str,
    pub listen_port: u16,
    pub debug_port: u16,
    pub run_dir: &'a Path,
    pub ready_timeout: Duration,
    /// What the platform adds to the environment (workload identity, managed identity).
    pub extra_env: &'a [(String, String)],
}

/// Everything needed to start the same registry again.
struct RegistryCommand {
    binary: PathBuf,
    tag: String,
    config_path: PathBuf,
    home: PathBuf,
    ca_bundle: PathBuf,
    proxy_url: String,
    extra_env: Vec<(String, String)>,
    log_path: PathBuf,
    ready_timeout: Duration,
}

impl RegistryCommand {
    fn spawn(&self) -> Result<ManagedProcess, EnvError> {
        let mut command = Command::new(&self.binary);
        // A clean environment: nothing from the user's shell (an AZURE_* variable,
        // a real proxy) may change what the registry does.
        command
            .arg("serve")
            .arg(&self.config_path)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &self.home)
            .env("SSL_CERT_FILE", &self.ca_bundle)
            .env("HTTPS_PROXY", &self.proxy_url)
            .env("HTTP_PROXY", &self.proxy_url)
            .env("https_proxy", &self.proxy_url)
            .env("http_proxy", &self.proxy_url)
            .env("NO_PROXY", "")
            .env("no_proxy", "");
        for (name, value) in &self.extra_env {
            command.env(name, value);
        }
        Ok(ManagedProcess::spawn(
            &format!("registry {}", self.tag),
            command,
            &self.log_path,
        )?)
    }
}

impl RegistryService {
    pub async fn start(launch: RegistryLaunch<'_>) -> Result<Self, EnvError> {
        let config_path = launch.run_dir.join("config.yml");
        std::fs::write(&config_path, launch.config_yaml)
            .map_err(|e| EnvError::io("write the registry config", e))?;
        let home = launch.run_dir.join("registry-home");
        std::fs::create_dir_all(&home)
            .map_err(|e| EnvError::io("create the registry's HOME", e))?;
        let command = RegistryCommand {
            binary: launch.installed.binary.clone(),
            tag: launch.installed.tag.clone(),
            config_path: config_path.clone(),
            home,
            ca_bundle: launch.ca_bundle.to_path_buf(),
            proxy_url: launch.proxy_url.to_string(),
            extra_env: launch.extra_env.to_vec(),
            log_path: launch.run_dir.join("registry.log"),
            ready_timeout: launch.ready_timeout,
        };
        let process = command.spawn()?;
        let mut service = RegistryService {
            process,
            base_url: format!("http://127.0.0.1:{}", launch.listen_port),
            debug_url: format!("http://127.0.0.1:{}", launch.debug_port),
            config_path,
            command,
        };
        service.wait_until_ready().await?;
        Ok(service)
    }

    /// Kills the registry (SIGKILL, a crash) and starts it again with the
    /// same config and ports. Returns how long it was gone.
    pub async fn restart(&mut self) -> Result<Duration, EnvError> {
        let started = Instant::now();
        self.process.kill_in_place().await;
        self.process = self.command.spawn()?;
        self.wait_until_ready().await?;
        Ok(started.elapsed())
    }

    async fn wait_until_ready(&mut self) -> Result<(), EnvError> {
        let ready = [
            WaitFor::http(format!("{}/debug/health", self.debug_url), &[200]),
            // 401 is ready too: under token auth `/v2/` asks for a token.
            WaitFor::http(format!("{}/v2/", self.base_url), &[200, 401]),
        ];
        let timeout = self.command.ready_timeout;
        match wait_until_ready(&ready, timeout, &mut self.process).await {
            Ok(()) => Ok(()),
            Err(ReadinessError::Exited { status }) => {
                let (tag, status) = (self.command.tag.clone(), status.to_string());
                let log_tail = self.process.log_tail(STARTUP_LOG_LINES);
                if log_tail.iter().any(|l| l.contains(PORT_TAKEN)) {
                    Err(EnvError::RegistryPortTaken {
                        tag,
                        status,
                        log_tail,
                    })
                } else {
                    Err(EnvError::RegistryExited {
                        tag,
                        status,
                        log_tail,
                    })
                }
            }
            Err(ReadinessError::TimedOut { timeout }) => Err(EnvError::RegistryNeverHealthy {
                tag: self.command.tag.clone(),
                seconds: timeout.as_secs(),
                log_tail: self.process.log_tail(STARTUP_LOG_LINES),
            }),
            Err(ReadinessError::HttpClient { source }) => Err(EnvError::ReadinessClient { source }),
        }
    }
}
