//! Process-wide teardown: every child process group and run directory the
//! harness creates is registered here, so that SIGINT, SIGTERM and SIGHUP
//! (and an exit on an error path) leave nothing behind. Ownership-based
//! cleanup (`Drop`) covers success, failure and panics; this covers signals,
//! where destructors do not run. The two together are why no command needs
//! a cleanup path of its own: own the process or directory, register it, and
//! every way out (return, `?`, panic, Ctrl-C) tears it down. Keep new child
//! processes on this pattern (`ManagedProcess`) rather than killing by hand.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, OnceLock};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

#[derive(Default)]
struct Live {
    process_groups: BTreeSet<i32>,
    directories: BTreeSet<PathBuf>,
    /// Teardowns of what is neither a process group nor a directory
    /// (containers), run first; each must work without an async runtime.
    teardown_hooks: Vec<fn()>,
}

fn live() -> &'static Mutex<Live> {
    static LIVE: OnceLock<Mutex<Live>> = OnceLock::new();
    LIVE.get_or_init(|| Mutex::new(Live::default()))
}

fn with_live<T>(f: impl FnOnce(&mut Live) -> T) -> T {
    // A panic while the lock was held must not stop later cleanup.
    let mut guard = live()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&mut guard)
}

pub fn register_process_group(pgid: i32) {
    with_live(|l| l.process_groups.insert(pgid));
}

pub fn forget_process_group(pgid: i32) {
    with_live(|l| l.process_groups.remove(&pgid));
}

/// Adds a teardown `terminate_all` runs (once registered, for the process's life).
pub fn register_teardown(hook: fn()) {
    with_live(|l| {
        if !l.teardown_hooks.contains(&hook) {
            l.teardown_hooks.push(hook);
        }
    });
}

pub fn register_directory(path: &Path) {
    with_live(|l| l.directories.insert(path.to_path_buf()));
}

pub fn forget_directory(path: &Path) {
    with_live(|l| l.directories.remove(path));
}

/// Removes the containers this process started (by their owner label),
/// kills every registered process group and removes every registered
/// directory.
pub fn terminate_all() {
    let hooks = with_live(|l| l.teardown_hooks.clone());
    for hook in hooks {
        hook();
    }
    let (groups, dirs) = with_live(|l| {
        (
            std::mem::take(&mut l.process_groups),
            std::mem::take(&mut l.directories),
        )
    });
    for pgid in groups {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[derive(Clone)]
struct NormalEnd {
    kept: Option<std::path::PathBuf>,
}

static NORMAL_END: std::sync::Mutex<Option<NormalEnd>> = std::sync::Mutex::new(None);

/// For a command that runs until it is stopped (`up`): a terminating
/// signal is its normal end, exit 0 after the same teardown, naming the run
/// directory it keeps, if any.
pub fn interrupts_end_normally(kept: Option<std::path::PathBuf>) {
    if let Ok(mut end) = NORMAL_END.lock() {
        *end = Some(NormalEnd { kept });
    }
}

/// Installs the signal handlers once per process. On a terminating signal the
/// harness tears everything down and exits with 128 + the signal number.
pub fn install_signal_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::Builder::new()
            .name("regmatrix-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    eprintln!(
                        "regmatrix: interrupted (signal {signal}); stopping registries and Azurite"
                    );
                    terminate_all();
                    let normal_end = NORMAL_END.lock().map(|end| end.clone()).ok().flatten();
                    match normal_end {
                        Some(NormalEnd { kept }) => {
                            if let Some(dir) = kept {
                                eprintln!("kept run directory {}", dir.display());
                            }
                            std::process::exit(0);
                        }
                        None => std::process::exit(128 + signal),
                    }
                }
            })
            .ok();
    });
}
