//! The registry under test: the real binary as a child process, or the
//! version's image as a container (`--backend container`), with a rendered
//! `config.yml`, the harness CA as its only trust (`SSL_CERT_FILE`), and the
//! front door as its proxy. Ready means `/debug/health` answers 200 and then
//! `/v2/` answers (200, or 401 under token auth); a container must also
//! answer with the header its mounted config sets, or it did not read it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What Go's `net.Listen` logs when the address is taken.
const PORT_TAKEN: &str = "bind: address already in use";

use tokio::process::Command;

use super::container::{
    own_config_hint, with_marker, ContainerLaunch, ContainerStartError, RegistryContainer,
    CONFIG_MARKER,
};
use super::error::IgnoredConfig;
use super::readiness::{wait_until_ready, ReadinessError, WaitFor, Watched};
use super::spec::RegistryRuntime;
use super::EnvError;
use crate::docker::image::RegistryImage;
use crate::install::InstalledRegistry;
use crate::process::ManagedProcess;

/// How long a stopped registry may take to finish what it serves, as a
/// rolling update gives it before SIGKILL (shorter than Kubernetes' 30 s:
/// the harness sends nothing while it stops).
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Enough of the log to reach a Go panic's message above its stack trace.
const STARTUP_LOG_LINES: usize = 60;

/// A started registry, whichever way it runs.
enum Running {
    Process(Box<ManagedProcess>),
    Container(RegistryContainer),
}

impl Watched for Running {
    fn log_path(&self) -> &Path {
        match self {
            Running::Process(p) => Watched::log_path(p.as_ref()),
            Running::Container(c) => c.log_path(),
        }
    }

    async fn exit_status(&mut self) -> Option<String> {
        match self {
            Running::Process(p) => p.exit_status().await,
            Running::Container(c) => c.exit_status().await,
        }
    }
}

impl Running {
    fn pid(&self) -> Option<i32> {
        match self {
            Running::Process(p) => Some(p.pid()),
            Running::Container(c) => c.pid(),
        }
    }

    /// SIGTERM, `grace` to finish, then SIGKILL.
    async fn terminate(self, grace: Duration) {
        match self {
            Running::Process(mut p) => p.terminate_in_place(grace).await,
            Running::Container(c) => c.terminate(grace).await,
        }
    }

    /// SIGKILL: a crash, or a teardown where nothing is served any more.
    async fn kill(self) {
        match self {
            Running::Process(p) => p.stop().await,
            Running::Container(c) => c.kill().await,
        }
    }
}

/// How the registry runs.
enum Runtime {
    Process {
        binary: PathBuf,
    },
    Container {
        image: RegistryImage,
        /// Where the deployment mounts the config in the container.
        mount_at: String,
        /// The value of `CONFIG_MARKER` the mounted config sets.
        marker: String,
    },
}

pub struct RegistryService {
    /// `None` while stopped (an upgrade phase that runs the other version).
    process: Option<Running>,
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
    pub runtime: &'a RegistryRuntime,
}

/// Everything needed to start the same registry again.
struct RegistryCommand {
    runtime: Runtime,
    tag: String,
    run_dir: PathBuf,
    listen_port: u16,
    debug_port: u16,
    config_path: PathBuf,
    home: PathBuf,
    ca_bundle: PathBuf,
    proxy_url: String,
    extra_env: Vec<(String, String)>,
    log_path: PathBuf,
    ready_timeout: Duration,
}

impl RegistryCommand {
    async fn spawn(&self) -> Result<Running, EnvError> {
        match &self.runtime {
            Runtime::Process { binary } => Ok(Running::Process(Box::new(ManagedProcess::spawn(
                &format!("registry {}", self.tag),
                self.command(binary, &["serve".to_string()]),
                &self.log_path,
            )?))),
            Runtime::Container { .. } => {
                let container = self.container(None, &self.log_path).await?;
                Ok(Running::Container(container))
            }
        }
    }

    /// The environment the server runs with: nothing from the user's shell
    /// (an AZURE_* variable, a real proxy) may change what the registry does.
    fn environment(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("PATH", "/usr/bin:/bin".to_string()),
            ("HOME", self.home.display().to_string()),
            ("SSL_CERT_FILE", self.ca_bundle.display().to_string()),
            ("HTTPS_PROXY", self.proxy_url.clone()),
            ("HTTP_PROXY", self.proxy_url.clone()),
            ("https_proxy", self.proxy_url.clone()),
            ("http_proxy", self.proxy_url.clone()),
            ("NO_PROXY", String::new()),
            ("no_proxy", String::new()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if matches!(self.runtime, Runtime::Container { .. }) {
            // The same addresses the config names: a container that ignores
            // its config still listens on loopback, on the harness's port.
            env.push((
                "REGISTRY_HTTP_ADDR".into(),
                super::ports::loopback(self.listen_port).to_string(),
            ));
            env.push((
                "REGISTRY_HTTP_DEBUG_ADDR".into(),
                super::ports::loopback(self.debug_port).to_string(),
            ));
        }
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// The binary with `args` and the config file, in the environment the
    /// server runs with: a tool (`garbage-collect`) sees what it sees.
    fn command(&self, binary: &Path, args: &[String]) -> Command {
        let mut command = Command::new(binary);
        command
            .args(args)
            .arg(&self.config_path)
            .env_clear()
            .envs(self.environment());
        command
    }

    /// The image as deployed (`args` `None`), or with `args` and the
    /// mounted config as its command (a tool run).
    async fn container(
        &self,
        args: Option<&[String]>,
        log_path: &Path,
    ) -> Result<RegistryContainer, EnvError> {
        let Runtime::Container {
            image, mount_at, ..
        } = &self.runtime
        else {
            return Err(EnvError::Container {
                tag: self.tag.clone(),
                detail: "not a container runtime".into(),
            });
        };
        let launch = ContainerLaunch {
            image,
            config_file: &self.config_path,
            mount_at,
            run_dir: &self.run_dir,
            env: self.environment(),
            log_path,
            command: args.map(|a| a.iter().cloned().chain([mount_at.clone()]).collect()),
            ready_timeout: self.ready_timeout,
        };
        match RegistryContainer::start(launch).await {
            Ok(container) => Ok(container),
            Err(error) => {
                crate::registry_log::settle(log_path).await;
                Err(self.container_error(error, log_path))
            }
        }
    }

    fn container_error(&self, error: ContainerStartError, log_path: &Path) -> EnvError {
        let log_tail = crate::process::read_tail(log_path, STARTUP_LOG_LINES);
        let tag = self.tag.clone();
        match error {
            ContainerStartError::Exited { status } => exited(tag, status, log_tail),
            ContainerStartError::TimedOut => EnvError::RegistryNeverHealthy {
                tag,
                seconds: self.ready_timeout.as_secs(),
                log_tail,
            },
            ContainerStartError::Docker(detail) => EnvError::Container { tag, detail },
        }
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
        let runtime = match launch.runtime {
            RegistryRuntime::Process => Runtime::Process {
                binary: launch.installed.binary.clone(),
            },
            RegistryRuntime::Container(containers) => {
                let image = containers.image(&launch.installed.tag)?;
                Runtime::Container {
                    mount_at: containers
                        .mount_config_at
                        .clone()
                        .unwrap_or_else(|| image.config_path.clone()),
                    image,
                    marker: hex::encode(rand::random::<[u8; 8]>()),
                }
            }
        };
        let config_yaml = match &runtime {
            Runtime::Container { marker, .. } => with_marker(launch.config_yaml, marker)?,
            Runtime::Process { .. } => launch.config_yaml.to_string(),
        };
        std::fs::write(&config_path, config_yaml)
            .map_err(|e| EnvError::io("write the registry config", e))?;
        let home = launch.run_dir.join("registry-home");
        std::fs::create_dir_all(&home)
            .map_err(|e| EnvError::io("create the registry's HOME", e))?;
        let command = RegistryCommand {
            runtime,
            tag: launch.installed.tag.clone(),
            run_dir: launch.run_dir.to_path_buf(),
            listen_port: launch.listen_port,
            debug_port: launch.debug_port,
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
        self.process = Some(self.command.spawn().await?);
        self.wait_until_ready().await?;
        Ok(Some(started.elapsed()))
    }

    /// Stops the registry as an orchestrator does (SIGTERM, then SIGKILL
    /// after a grace period); true when it was running.
    pub async fn ensure_stopped(&mut self) -> bool {
        match self.process.take() {
            Some(running) => {
                running.terminate(STOP_GRACE).await;
                true
            }
            None => false,
        }
    }

    /// Ends the registry at once (teardown: nothing is served any more).
    pub async fn ensure_stopped_now(&mut self) {
        if let Some(running) = self.process.take() {
            running.kill().await;
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
        let (status, output) = match &self.command.runtime {
            Runtime::Process { binary } => {
                let mut process = ManagedProcess::spawn(
                    &format!("registry {} {name}", self.command.tag),
                    self.command.command(binary, args),
                    &log,
                )?;
                let status = wait_exit(&mut process, TOOL_TIMEOUT).await;
                let output = crate::process::read_tail(&log, 400);
                process.stop().await;
                (status, output)
            }
            Runtime::Container { .. } => {
                let mut container = self.command.container(Some(args), &log).await?;
                let status = wait_exit(&mut container, TOOL_TIMEOUT).await;
                crate::registry_log::settle(&log).await;
                let output = crate::process::read_tail(&log, 400);
                container.kill().await;
                (status, output)
            }
        };
        let run = ToolRun {
            success: status.as_deref() == Some("exit status: 0"),
            status: status.unwrap_or_else(|| format!("killed after {} s", TOOL_TIMEOUT.as_secs())),
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
        if let Some(running) = self.process.take() {
            running.kill().await;
        }
        self.process = Some(self.command.spawn().await?);
        self.wait_until_ready().await?;
        Ok(started.elapsed())
    }

    pub fn pid(&self) -> Option<i32> {
        self.process.as_ref().and_then(Running::pid)
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
        let result = match wait_until_ready(&ready, timeout, process).await {
            Ok(()) => self.check_config_read().await,
            Err(error) => {
                crate::registry_log::settle(&self.command.log_path).await;
                Err(self.not_ready(error))
            }
        };
        if result.is_err() {
            // A registry that never turned ready must not keep running.
            if let Some(running) = self.process.take() {
                running.kill().await;
            }
        }
        result
    }

    fn not_ready(&self, error: ReadinessError) -> EnvError {
        let log_tail = crate::process::read_tail(&self.command.log_path, STARTUP_LOG_LINES);
        let tag = self.command.tag.clone();
        match error {
            ReadinessError::Exited { status } => exited(tag, status, log_tail),
            ReadinessError::TimedOut { timeout } => EnvError::RegistryNeverHealthy {
                tag,
                seconds: timeout.as_secs(),
                log_tail,
            },
            ReadinessError::HttpClient { source } => EnvError::ReadinessClient { source },
        }
    }

    /// A container answers `/v2/` with the header its mounted config sets,
    /// or it runs on another config: the image's own, when the deployment
    /// mounts the file where this image does not read it.
    async fn check_config_read(&self) -> Result<(), EnvError> {
        let Runtime::Container {
            image,
            mount_at,
            marker,
        } = &self.command.runtime
        else {
            return Ok(());
        };
        let answered = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|source| EnvError::ReadinessClient { source })?
            .get(format!("{}/v2/", self.base_url))
            .send()
            .await;
        let seen = match &answered {
            Ok(response) => response
                .headers()
                .get(CONFIG_MARKER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            Err(_) => None,
        };
        if seen.as_deref() == Some(marker.as_str()) {
            return Ok(());
        }
        crate::registry_log::settle(&self.command.log_path).await;
        let log_tail = crate::process::read_tail(&self.command.log_path, STARTUP_LOG_LINES);
        Err(EnvError::RegistryIgnoredConfig(Box::new(IgnoredConfig {
            tag: self.command.tag.clone(),
            image: image.reference.clone(),
            mounted_at: mount_at.clone(),
            reads_at: image.config_path.clone(),
            reads_from: image.config_path_source.describe(),
            answer: match answered {
                Ok(response) => format!(
                    "GET /v2/ answered {} without the {CONFIG_MARKER} header the mounted config sets{}",
                    response.status().as_u16(),
                    own_config_hint(&log_tail)
                ),
                Err(e) => format!("GET /v2/ failed: {e}"),
            },
            log_tail,
        })))
    }
}

/// A registry that ended during start-up: the port the harness chose was
/// taken (the harness's doing), or the registry refused to run (its answer).
fn exited(tag: String, status: String, log_tail: Vec<String>) -> EnvError {
    if log_tail.iter().any(|l| l.contains(PORT_TAKEN)) {
        EnvError::RegistryPortTaken {
            tag,
            status,
            log_tail,
        }
    } else {
        EnvError::RegistryExited {
            tag,
            status,
            log_tail,
        }
    }
}

/// Waits up to `limit` for a tool run to end; its exit status, or `None`
/// when it still ran.
async fn wait_exit(run: &mut impl Watched, limit: Duration) -> Option<String> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = run.exit_status().await {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
