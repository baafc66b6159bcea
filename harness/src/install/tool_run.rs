//! Running a build tool (go, npm) as a registered process group with its
//! output kept in a log, so an interrupted install leaves no builder behind.

use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::cleanup;

pub struct ToolOutcome {
    pub status: ExitStatus,
    pub log: String,
}

impl ToolOutcome {
    /// The most telling line of a failed build: the last non-empty one.
    pub fn last_line(&self) -> String {
        crate::process::last_meaningful_line(self.log.lines())
            .unwrap_or_else(|| "(no output)".into())
    }
}

pub fn run(mut command: Command, log_path: &Path) -> std::io::Result<ToolOutcome> {
    let log = std::fs::File::create(log_path)?;
    command.stdout(log.try_clone()?).stderr(log);
    let mut child = spawn_group(command)?;
    let status = child.wait();
    finish(child, status, log_path)
}

/// Runs a server-like tool until its log (stdout and stderr, which the
/// caller points at `log_path`) shows `needle`, then asks it to stop
/// (SIGTERM to its group) and waits for it; a tool that does not log it
/// within `timeout` is stopped the same way. Its exit status says whether
/// it shut down cleanly.
pub fn run_until_logged(
    command: Command,
    log_path: &Path,
    needle: &str,
    timeout: Duration,
) -> std::io::Result<ToolOutcome> {
    let mut child = spawn_group(command)?;
    let deadline = Instant::now() + timeout;
    while child.try_wait()?.is_none() && Instant::now() < deadline {
        let log = std::fs::read_to_string(log_path).unwrap_or_default();
        if log.contains(needle) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait()?.is_none() {
        let group = nix::unistd::Pid::from_raw(-(child.id() as i32));
        let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGTERM);
    }
    let status = child.wait();
    finish(child, status, log_path)
}

fn spawn_group(mut command: Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    command.stdin(std::process::Stdio::null()).process_group(0);
    let child = command.spawn()?;
    cleanup::register_process_group(child.id() as i32);
    Ok(child)
}

fn finish(
    child: Child,
    status: std::io::Result<ExitStatus>,
    log_path: &Path,
) -> std::io::Result<ToolOutcome> {
    cleanup::forget_process_group(child.id() as i32);
    Ok(ToolOutcome {
        status: status?,
        log: std::fs::read_to_string(log_path).unwrap_or_default(),
    })
}
