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

/// How long a stopped registry may take to finish what it serves, as a
/// rolling update gives it before SIGKILL (shorter than Kubernetes' 30 s:
/// the harness sends nothing while it stops).
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Enough of the log to reach a Go panic's message above its stack trace.
const STARTUP_LOG_LINES: usize = 60;

pub struct RegistryService {
    /// `None` while stopped (an upgrade phase that runs the other version).
    process: Option<ManagedProcess>,
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
    /// Names the config and log files: `registry` (`config.yml`,
    /// `registry.log`), or `registry-to` for an upgrade's second version.
    pub name: &'a str,
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
        Ok(ManagedProcess::spawn(
            &format!("registry {}", self.tag),
            self.command(&["serve".to_string()]),
            &self.log_path,
        )?)
    }

    /// The binary with `args` and the config file, in the environment the
    /// server runs with: a tool (`garbage-collect`) sees what it sees.
    fn command(&self, args: &[String]) -> Command {
        let mut command = Command::new(&self.binary);
        // A clean environment: nothing from the user's shell (an AZURE_* variable,
        // a real proxy) may change what the registry does.
        command
            .args(args)
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
        command
    }
}

/// What a registry tool run printed and how it ended.
#[derive(Debug, Clone)]
pub struct ToolRun {
    /// `exit status: 0`, or `killed after N s`.
    pub status: String,
    pub success: bool,
    pub output: Vec<String>,
}

/// Longest a tool (`garbage-collect`) may run: it walks every repository.
const TOOL_TIMEOUT: Duration = Duration::from_secs(300);

impl RegistryService {
    /// Writes the config and starts the registry; ready when it serves.
    pub async fn start(launch: RegistryLaunch<'_>) -> Result<Self, EnvError> {
        let mut service = RegistryService::prepare(launch)?;
        service.ensure_running().await?;
        Ok(service)
    }

    /// Writes the config and the command, without starting anything.
    pub fn prepare(launch: RegistryLaunch<'_>) -> Result<Self, EnvError> {
        let config_file = if launch.name == "registry" {
            "config.yml".to_string()
        } else {
            format!("config-{}.yml", launch.name.trim_start_matches("registry-"))
        };
        let config_path = launch.run_dir.join(config_file);
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
            log_path: launch.run_dir.join(format!("{}.log", launch.name)),
            ready_timeout: launch.ready_timeout,
        };
        Ok(RegistryService {
            process: None,
            base_url: format!("http://127.0.0.1:{}", launch.listen_port),
            debug_url: format!("http://127.0.0.1:{}", launch.debug_port),
            config_path,
            command,
        })
    }

    /// Starts the registry unless it runs; `Some(time to ready)` when it
    /// started it.
    pub async fn ensure_running(&mut self) -> Result<Option<Duration>, EnvError> {
        if self.process.is_some() {
            return Ok(None);
        }
        let started = Instant::now();
        self.process = Some(self.command.spawn()?);
        self.wait_until_ready().await?;
        Ok(Some(started.elapsed()))
    }

    /// Stops the registry as an orchestrator does (SIGTERM, then SIGKILL
    /// after a grace period); true when it was running.
    pub async fn ensure_stopped(&mut self) -> bool {
        match self.process.take() {
            Some(mut process) => {
                process.terminate_in_place(STOP_GRACE).await;
                true
            }
            None => false,
        }
    }

    /// Ends the registry at once (teardown: nothing is served any more).
    pub async fn ensure_stopped_now(&mut self) {
        if let Some(process) = self.process.take() {
            process.stop().await;
        }
    }

    /// Runs the binary as a tool (`garbage-collect --dry-run`) with the
    /// same config and environment, while the server is stopped, and
    /// starts the server again if it ran before.
    pub async fn run_tool(&mut self, args: &[String]) -> Result<ToolRun, EnvError> {
        let was_running = self.ensure_stopped().await;
        let name = args.first().map_or("tool", String::as_str);
        let log = self.command.log_path.with_extension(format!("{name}.log"));
        // Each run's output alone (process logs are appended to).
        let _ = std::fs::remove_file(&log);
        let mut process = ManagedProcess::spawn(
            &format!("registry {} {name}", self.command.tag),
            self.command.command(args),
            &log,
        )?;
        let started = Instant::now();
        let status = loop {
            if let Some(status) = process.exited() {
                break Some(status);
            }
            if started.elapsed() > TOOL_TIMEOUT {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let output = crate::process::read_tail(&log, 400);
        process.stop().await;
        let run = ToolRun {
            status: status.map_or_else(
                || format!("killed after {} s", TOOL_TIMEOUT.as_secs()),
                |s| s.to_string(),
            ),
            success: status.is_some_and(|s| s.success()),
            output,
        };
        if was_running {
            self.ensure_running().await?;
        }
        Ok(run)
    }

    /// Kills the registry (SIGKILL, a crash) and starts it again with the
    /// same config and ports. Returns how long it was gone.
    pub async fn restart(&mut self) -> Result<Duration, EnvError> {
        let started = Instant::now();
        if let Some(mut process) = self.process.take() {
            process.kill_in_place().await;
        }
        self.process = Some(self.command.spawn()?);
        self.wait_until_ready().await?;
        Ok(started.elapsed())
    }

    pub fn pid(&self) -> Option<i32> {
        self.process.as_ref().map(ManagedProcess::pid)
    }

    pub fn log_path(&self) -> &Path {
        &self.command.log_path
    }

    /// The version tag it runs.
    pub fn tag(&self) -> &str {
        &self.command.tag
    }

    async fn wait_until_ready(&mut self) -> Result<(), EnvError> {
        let Some(process) = self.process.as_mut() else {
            return Ok(());
        };
        let ready = [
            WaitFor::http(format!("{}/debug/health", self.debug_url), &[200]),
            // 401 is ready too: under token auth `/v2/` asks for a token.
            WaitFor::http(format!("{}/v2/", self.base_url), &[200, 401]),
        ];
        let timeout = self.command.ready_timeout;
        let result = wait_until_ready(&ready, timeout, process).await;
        let log_tail = process.log_tail(STARTUP_LOG_LINES);
        if result.is_err() {
            // A registry that never turned ready must not keep running.
            if let Some(process) = self.process.take() {
                process.stop().await;
            }
        }
        match result {
            Ok(()) => Ok(()),
            Err(ReadinessError::Exited { status }) => {
                let (tag, status) = (self.command.tag.clone(), status.to_string());
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
                log_tail,
            }),
            Err(ReadinessError::HttpClient { source }) => Err(EnvError::ReadinessClient { source }),
        }
    }
}
