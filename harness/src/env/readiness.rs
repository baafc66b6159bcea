//! When a started service is ready, declared as data in the spirit of
//! testcontainers' `WaitFor`: Azurite is ready when its log says it listens,
//! the registry when its health and API endpoints answer. One poll loop
//! serves both and notices the process exiting. It must not start or stop
//! processes, nor word the errors a service reports (the caller does, with
//! its own log tail).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::process::ManagedProcess;

/// What readiness watches: a started service with a log, which may end.
/// A process and a container are watched alike.
pub trait Watched {
    fn log_path(&self) -> &Path;
    /// How it ended (`exit status: 2`), or `None` while it runs.
    fn exit_status(&mut self) -> impl std::future::Future<Output = Option<String>> + Send;
}

impl Watched for ManagedProcess {
    fn log_path(&self) -> &Path {
        ManagedProcess::log_path(self)
    }

    async fn exit_status(&mut self) -> Option<String> {
        self.exited().map(|status| status.to_string())
    }
}

/// Between polls: quick enough that start-up time is measured, not padded.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Per readiness request: a service that accepts a connection but hangs
/// must not eat the whole start-up budget in one poll.
const HTTP_TIMEOUT: Duration = Duration::from_secs(2);

/// One condition a service must meet; a service is ready when all are met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFor {
    /// `message` appears in the process's log after `after_offset` bytes
    /// (the log survives restarts, so older text must not count).
    LogMessage { message: String, after_offset: u64 },
    /// A GET of `url`, bypassing any proxy, answers one of `expect_status`.
    Http {
        url: String,
        expect_status: Vec<u16>,
    },
}

impl WaitFor {
    pub fn log_message(message: &str, after_offset: u64) -> Self {
        WaitFor::LogMessage {
            message: message.to_string(),
            after_offset,
        }
    }

    pub fn http(url: String, expect_status: &[u16]) -> Self {
        WaitFor::Http {
            url,
            expect_status: expect_status.to_vec(),
        }
    }

    async fn is_met(&self, log_path: &Path, http: Option<&reqwest::Client>) -> bool {
        match self {
            WaitFor::LogMessage {
                message,
                after_offset,
            } => {
                let log = std::fs::read(log_path).unwrap_or_default();
                let start = usize::try_from(*after_offset)
                    .unwrap_or(usize::MAX)
                    .min(log.len());
                String::from_utf8_lossy(&log[start..]).contains(message.as_str())
            }
            WaitFor::Http { url, expect_status } => match http {
                Some(http) => matches!(
                    http.get(url).send().await,
                    Ok(r) if expect_status.contains(&r.status().as_u16())
                ),
                None => false,
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadinessError {
    #[error("exited with {status}")]
    Exited { status: String },
    #[error("not ready after {}s", timeout.as_secs())]
    TimedOut { timeout: Duration },
    #[error("cannot build the readiness client: {source}")]
    HttpClient {
        #[source]
        source: reqwest::Error,
    },
}

/// Polls until every condition holds, the process exits, or `timeout`
/// passes. An exit is checked first: a dead process's last answer does not
/// make it ready.
pub async fn wait_until_ready(
    conditions: &[WaitFor],
    timeout: Duration,
    process: &mut impl Watched,
) -> Result<(), ReadinessError> {
    let http = if conditions.iter().any(|c| matches!(c, WaitFor::Http { .. })) {
        Some(
            reqwest::Client::builder()
                .no_proxy()
                .timeout(HTTP_TIMEOUT)
                .build()
                .map_err(|source| ReadinessError::HttpClient { source })?,
        )
    } else {
        None
    };
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = process.exit_status().await {
            return Err(ReadinessError::Exited { status });
        }
        if all_met(conditions, process.log_path(), http.as_ref()).await {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(ReadinessError::TimedOut { timeout });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

async fn all_met(conditions: &[WaitFor], log_path: &Path, http: Option<&reqwest::Client>) -> bool {
    // In order, stopping at the first unmet one: the registry's API is not
    // asked before its health endpoint says yes.
    for condition in conditions {
        if !condition.is_met(log_path, http).await {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::process::Command;

    fn spawn(script: &str, dir: &Path) -> ManagedProcess {
        let mut command = Command::new("sh");
        command.arg("-c").arg(script);
        ManagedProcess::spawn("readiness test", command, &dir.join("log")).unwrap()
    }

    #[tokio::test]
    async fn a_log_message_after_the_offset_makes_it_ready() {
        let dir = tempfile::tempdir().unwrap();
        let mut process = spawn(
            "echo booting; sleep 0.2; echo now listening; sleep 5",
            dir.path(),
        );
        let ready = [WaitFor::log_message("listening", 0)];
        wait_until_ready(&ready, Duration::from_secs(5), &mut process)
            .await
            .unwrap();
        let stale = [WaitFor::log_message("booting", 1_000)];
        let err = wait_until_ready(&stale, Duration::from_millis(300), &mut process)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "not ready after 0s");
    }

    #[tokio::test]
    async fn an_exit_is_noticed_before_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let mut process = spawn("echo bye; exit 3", dir.path());
        let started = Instant::now();
        let err = wait_until_ready(
            &[WaitFor::log_message("never", 0)],
            Duration::from_secs(10),
            &mut process,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, ReadinessError::Exited { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
