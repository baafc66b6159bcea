//! A child process the harness owns: started in its own process group with
//! its output captured to a log file, killed (the whole group) when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use crate::cleanup;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create log file {path}: {source}")]
    Log {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A running child. Dropping it kills its process group.
pub struct ManagedProcess {
    name: String,
    child: Child,
    pgid: i32,
    log_path: PathBuf,
    cpu_recorded: bool,
}

impl ManagedProcess {
    /// Spawns `command` in a new process group, stdout and stderr appended to `log_path`.
    pub fn spawn(name: &str, mut command: Command, log_path: &Path) -> Result<Self, ProcessError> {
        // Appended, so a restarted process continues the same log and
        // readers' offsets stay valid.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .map_err(|source| ProcessError::Log {
                path: log_path.to_path_buf(),
                source,
            })?;
        let log_err = log.try_clone().map_err(|source| ProcessError::Log {
            path: log_path.to_path_buf(),
            source,
        })?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .process_group(0)
            .kill_on_drop(true);
        let child = command.spawn().map_err(|source| ProcessError::Spawn {
            program: name.to_string(),
            source,
        })?;
        let pgid = child.id().map(|id| id as i32).unwrap_or_default();
        if pgid > 0 {
            cleanup::register_process_group(pgid);
        }
        Ok(ManagedProcess {
            name: name.to_string(),
            child,
            pgid,
            log_path: log_path.to_path_buf(),
            cpu_recorded: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> i32 {
        self.pgid
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The exit status if the process has already exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        // A process that ended by itself is a zombie until reaped, and its
        // stat still holds its final CPU: read it first, record it if so.
        let cpu = if self.cpu_recorded || self.pgid <= 0 {
            None
        } else {
            crate::cpu::process_cpu_ms(self.pgid)
        };
        let status = self.child.try_wait().ok().flatten();
        if status.is_some() {
            self.record(cpu);
        }
        status
    }

    /// Waits up to `limit` for the process to end by itself; `None` if it
    /// is still running then.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the process group and waits (bounded) for the leader to be reaped.
    pub async fn stop(mut self) {
        self.kill_in_place().await;
    }

    /// Kills the process group (a crash, SIGKILL) and reaps the leader,
    /// leaving a handle that only reports the exit; used before a restart.
    pub async fn kill_in_place(&mut self) {
        self.kill_group();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }

    /// Asks the process group to stop (SIGTERM), waits up to `grace` for the
    /// leader to exit, then kills whatever is left.
    pub async fn terminate_in_place(&mut self, grace: Duration) {
        if self.pgid > 0 {
            self.record_cpu();
            let _ = killpg(Pid::from_raw(self.pgid), Signal::SIGTERM);
            let _ = tokio::time::timeout(grace, self.child.wait()).await;
        }
        self.kill_in_place().await;
    }

    /// Adds the CPU the process used to the stopping cell's ledger, once.
    /// Read before a signal: once it is reaped, its account is gone.
    fn record_cpu(&mut self) {
        if !self.cpu_recorded {
            self.record(crate::cpu::process_cpu_ms(self.pgid));
        }
    }

    fn record(&mut self, cpu_ms: Option<u64>) {
        if self.cpu_recorded {
            return;
        }
        self.cpu_recorded = true;
        if let Some(ms) = cpu_ms {
            crate::cpu::CpuLedger::record(&self.name, ms);
        }
    }

    fn kill_group(&mut self) {
        if self.pgid > 0 {
            self.record_cpu();
            let _ = killpg(Pid::from_raw(self.pgid), Signal::SIGKILL);
            cleanup::forget_process_group(self.pgid);
            self.pgid = 0;
        }
    }

    /// The last `n` lines of the process log.
    pub fn log_tail(&self, n: usize) -> Vec<String> {
        read_tail(&self.log_path, n)
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// The line that says why a process stopped: a Go `panic:` or `fatal`
/// line when there is one (the stack trace after it says less), or the
/// registry's `configuration error:` with its indented continuation lines
/// (the usage text printed after it says nothing), else the last non-empty
/// line.
pub fn last_meaningful_line<'a>(lines: impl DoubleEndedIterator<Item = &'a str>) -> Option<String> {
    let lines: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    if let Some(at) = lines
        .iter()
        .rposition(|l| l.starts_with("configuration error:"))
    {
        let continued: Vec<&str> = lines[at + 1..]
            .iter()
            .take_while(|l| l.starts_with(' ') || l.starts_with('\t'))
            .map(|l| l.trim())
            .collect();
        return Some(
            std::iter::once(lines[at].trim())
                .chain(continued)
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    lines
        .iter()
        .rev()
        .find(|l| l.starts_with("panic:") || l.contains("level=fatal"))
        .or_else(|| lines.last())
        .map(|l| l.trim().to_string())
}

pub fn read_tail(path: &Path, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::last_meaningful_line;

    #[test]
    fn a_configuration_error_is_told_with_its_detail_not_the_usage_after_it() {
        let log = "configuration error: parsing environment variable REGISTRY_REDIS_ADDRS: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `r:6379` into []string\n\nUsage:\n  registry serve <config> [flags]\nFlags:\n  -h, --help   help for serve\n";
        assert_eq!(
            last_meaningful_line(log.lines()).as_deref(),
            Some("configuration error: parsing environment variable REGISTRY_REDIS_ADDRS: yaml: unmarshal errors: line 1: cannot unmarshal !!str `r:6379` into []string")
        );
        let panic = "starting\npanic: invalid credentials type: \"\"\n\ngoroutine 1 [running]:\nmain.main()\n";
        assert_eq!(
            last_meaningful_line(panic.lines()).as_deref(),
            Some("panic: invalid credentials type: \"\"")
        );
    }
}
