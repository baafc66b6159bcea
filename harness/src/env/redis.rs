//! A real redis-server (Debian's package, found on PATH) for a user config's
//! `redis` section: loopback only, a free port, no persistence, a password
//! when the config names one, its own directory in the run directory.

use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use super::readiness::{wait_until_ready, ReadinessError, WaitFor};
use super::{ports, EnvError};
use crate::process::ManagedProcess;

const READY_TIMEOUT: Duration = Duration::from_secs(15);

pub struct RedisService {
    // Kept so the server lives (and is ended) with the environment.
    _process: ManagedProcess,
    /// `127.0.0.1:<port>`, as `redis.addr` takes it.
    pub addr: String,
    password: Option<String>,
}

impl RedisService {
    /// Starts redis-server on `port` (chosen before the registry's config
    /// was rendered), requiring `password` when given.
    pub async fn start(
        run_dir: &Path,
        port: u16,
        password: Option<&str>,
    ) -> Result<Self, EnvError> {
        let binary = crate::toolchain::require("redis-server", "for the config's redis section")
            .map_err(|_| EnvError::RedisMissing)?;
        let dir = run_dir.join("redis");
        std::fs::create_dir_all(&dir).map_err(|e| EnvError::io("create redis's dir", e))?;
        let mut command = Command::new(binary);
        command
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .args(["--protected-mode", "yes"])
            .arg("--dir")
            .arg(&dir)
            .env_clear();
        if let Some(password) = password {
            command.args(["--requirepass", password]);
        }
        let mut process = ManagedProcess::spawn("redis", command, &run_dir.join("redis.log"))?;
        let ready = [WaitFor::log_message("Ready to accept connections", 0)];
        wait_until_ready(&ready, READY_TIMEOUT, &mut process)
            .await
            .map_err(|e| EnvError::RedisNotReady {
                detail: match e {
                    ReadinessError::Exited { status } => format!("exited with {status}"),
                    ReadinessError::TimedOut { timeout } => {
                        format!("not ready after {}s", timeout.as_secs())
                    }
                    other => other.to_string(),
                },
                last_line: super::last_of(&process.log_tail(5)),
            })?;
        Ok(RedisService {
            _process: process,
            addr: ports::loopback(port).to_string(),
            password: password.map(str::to_string),
        })
    }

    /// How many commands the server has processed (`INFO stats`), asked
    /// over RESP: evidence that the registry used its redis at all.
    pub async fn commands_processed(&self) -> Option<u64> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(&self.addr).await.ok()?;
        let mut request = String::new();
        if let Some(password) = &self.password {
            request.push_str(&format!(
                "*2\r\n$4\r\nAUTH\r\n${}\r\n{password}\r\n",
                password.len()
            ));
        }
        request.push_str("*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut reply = Vec::new();
        let mut buffer = [0u8; 8192];
        // INFO stats is a few KiB; read until its counter has arrived.
        while !String::from_utf8_lossy(&reply).contains("total_commands_processed:")
            || !reply.ends_with(b"\r\n")
        {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buffer[..n]);
        }
        let text = String::from_utf8_lossy(&reply);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("total_commands_processed:"))?;
        // This request's AUTH is counted; its INFO is counted only after
        // the reply.
        line.trim()
            .parse::<u64>()
            .ok()
            .map(|n| n.saturating_sub(u64::from(self.password.is_some())))
    }
}
