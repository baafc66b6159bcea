//! Azurite's Blob service as a child process: HTTPS with a harness leaf
//! certificate, basic OAuth, no telemetry, its own data directory and port,
//! and one non-default account.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::process::Command;

use super::EnvError;
use crate::install::InstalledAzurite;
use crate::process::ManagedProcess;
use crate::storage::StorageAccount;

pub struct AzuriteService {
    pub process: ManagedProcess,
    pub port: u16,
}

pub struct AzuriteTls<'a> {
    pub cert: &'a Path,
    pub key: &'a Path,
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
        let mut command = Command::new(&installed.node);
        command
            .arg(&installed.blob_script)
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .arg("--cert")
            .arg(tls.cert)
            .arg("--key")
            .arg(tls.key)
            .args([
                "--oauth",
                "basic",
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--loose",
            ])
            .arg("--location")
            .arg(&data)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", run_dir)
            .env("AZURITE_ACCOUNTS", account.azurite_accounts_entry())
            // Azurite's own outbound requests (axios: copy-source validation)
            // go through the front door, back to this Azurite.
            .env("https_proxy", proxy_url)
            .env("HTTPS_PROXY", proxy_url)
            .env("http_proxy", proxy_url)
            .env("HTTP_PROXY", proxy_url);
        // Azurite's debug log has every request and response header; it is
        // large, so it is written only when asked for.
        if std::env::var_os("REGMATRIX_AZURITE_DEBUG").is_some() {
            command
                .arg("--debug")
                .arg(run_dir.join("azurite-debug.log"));
        }
        let process = ManagedProcess::spawn("azurite", command, &run_dir.join("azurite.log"))?;
        let mut service = AzuriteService { process, port };
        service
            .wait_until_listening(Duration::from_secs(30))
            .await?;
        Ok(service)
    }

    /// Azurite prints its listening line once the HTTPS server is bound.
    async fn wait_until_listening(&mut self, timeout: Duration) -> Result<(), EnvError> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = std::fs::read_to_string(self.process.log_path()).unwrap_or_default();
            if log.contains("successfully listens on") {
                return Ok(());
            }
            if let Some(status) = self.process.exited() {
                return Err(EnvError::AzuriteNotReady {
                    detail: format!("exited with {status}"),
                    last_line: last_line(&self.process),
                });
            }
            if Instant::now() > deadline {
                return Err(EnvError::AzuriteNotReady {
                    detail: format!("not listening after {}s", timeout.as_secs()),
                    last_line: last_line(&self.process),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn last_line(process: &ManagedProcess) -> String {
    super::last_of(&process.log_tail(5))
}
