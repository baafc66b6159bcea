//! The registry under test as a child process: the real binary, a rendered
//! `config.yml`, the harness CA as its only trust (`SSL_CERT_FILE`), and the
//! front door as its proxy. Ready means `/debug/health` answers 200 and then
//! `/v2/` answers (200, or 401 under token auth).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::process::Command;

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

impl RegistryService {
    pub async fn start(launch: RegistryLaunch<'_>) -> Result<Self, EnvError> {
        let config_path = launch.run_dir.join("config.yml");
        std::fs::write(&config_path, launch.config_yaml)
            .map_err(|e| EnvError::io("write the registry config", e))?;
        let home = launch.run_dir.join("registry-home");
        std::fs::create_dir_all(&home)
            .map_err(|e| EnvError::io("create the registry's HOME", e))?;
        let mut command = Command::new(&launch.installed.binary);
        // A clean environment: nothing from the user's shell (an AZURE_* variable,
        // a real proxy) may change what the registry does.
        command
            .arg("serve")
            .arg(&config_path)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("SSL_CERT_FILE", launch.ca_bundle)
            .env("HTTPS_PROXY", launch.proxy_url)
            .env("HTTP_PROXY", launch.proxy_url)
            .env("https_proxy", launch.proxy_url)
            .env("http_proxy", launch.proxy_url)
            .env("NO_PROXY", "")
            .env("no_proxy", "");
        for (name, value) in launch.extra_env {
            command.env(name, value);
        }
        let process = ManagedProcess::spawn(
            &format!("registry {}", launch.installed.tag),
            command,
            &launch.run_dir.join("registry.log"),
        )?;
        let mut service = RegistryService {
            process,
            base_url: format!("http://127.0.0.1:{}", launch.listen_port),
            debug_url: format!("http://127.0.0.1:{}", launch.debug_port),
            config_path,
        };
        service
            .wait_until_ready(&launch.installed.tag, launch.ready_timeout)
            .await?;
        Ok(service)
    }

    async fn wait_until_ready(&mut self, tag: &str, timeout: Duration) -> Result<(), EnvError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| EnvError::io("build the readiness client", std::io::Error::other(e)))?;
        let deadline = Instant::now() + timeout;
        let health = format!("{}/debug/health", self.debug_url);
        let api = format!("{}/v2/", self.base_url);
        loop {
            if let Some(status) = self.process.exited() {
                return Err(EnvError::RegistryExited {
                    tag: tag.to_string(),
                    status: status.to_string(),
                    log_tail: self.process.log_tail(STARTUP_LOG_LINES),
                });
            }
            if is_status(&http, &health, &[200]).await && is_status(&http, &api, &[200, 401]).await
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(EnvError::RegistryNeverHealthy {
                    tag: tag.to_string(),
                    seconds: timeout.as_secs(),
                    log_tail: self.process.log_tail(STARTUP_LOG_LINES),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn is_status(http: &reqwest::Client, url: &str, wanted: &[u16]) -> bool {
    matches!(http.get(url).send().await, Ok(r) if wanted.contains(&r.status().as_u16()))
}
