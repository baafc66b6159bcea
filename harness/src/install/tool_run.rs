//! Running a build tool (go, npm) as a registered process group with its
//! output kept in a log, so an interrupted install leaves no builder behind.

use std::path::Path;
use std::process::{Command, ExitStatus};

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
    use std::os::unix::process::CommandExt;
    let log = std::fs::File::create(log_path)?;
    command
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0);
    let mut child = command.spawn()?;
    let pgid = child.id() as i32;
    cleanup::register_process_group(pgid);
    let status = child.wait();
    cleanup::forget_process_group(pgid);
    let status = status?;
    Ok(ToolOutcome {
        status,
        log: std::fs::read_to_string(log_path).unwrap_or_default(),
    })
}
