//! Progress display for the CLI and the long runs it starts: bars on a
//! terminal; on a stderr that is not one (a CI log), a plain line per
//! started task and, while tasks run, a line when one of them has moved on
//! (at most every few seconds); nothing when quiet. It only shows; it must
//! not decide anything or print results (those go to stdout from the
//! commands).

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle, WeakProgressBar};

/// How often a CI log hears about running tasks, and how long a task may
/// go unmentioned while nothing about it changes.
const LINE_INTERVAL: Duration = Duration::from_secs(10);
const LINE_SILENCE: Duration = Duration::from_secs(60);

/// Where progress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Redrawn bars (stderr is a terminal).
    Bars,
    /// Plain lines on stderr, for logs.
    Lines,
    /// Nothing (`--quiet`, tests).
    Hidden,
}

impl ProgressMode {
    /// Bars on a terminal, lines elsewhere, nothing when `quiet`.
    pub fn for_stderr(quiet: bool) -> Self {
        if quiet {
            ProgressMode::Hidden
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bars
        } else {
            ProgressMode::Lines
        }
    }
}

#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
    lines: Option<Arc<LineLog>>,
}

/// The tasks a line-mode display reports on, with what it last said of each.
struct LineLog {
    started: Instant,
    tasks: Mutex<Vec<LineTask>>,
}

struct LineTask {
    bar: WeakProgressBar,
    bytes: bool,
    said: String,
    said_at: Instant,
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Self {
        let target = match mode {
            ProgressMode::Bars => ProgressDrawTarget::stderr(),
            ProgressMode::Lines | ProgressMode::Hidden => ProgressDrawTarget::hidden(),
        };
        let lines = (mode == ProgressMode::Lines).then(|| {
            let log = Arc::new(LineLog {
                started: Instant::now(),
                tasks: Mutex::new(Vec::new()),
            });
            let watched = Arc::downgrade(&log);
            // Ends with the last Progress that holds the log.
            std::thread::spawn(move || loop {
                std::thread::sleep(LINE_INTERVAL);
                match watched.upgrade() {
                    Some(log) => log.report(),
                    None => break,
                }
            });
            log
        });
        Progress {
            multi: MultiProgress::with_draw_target(target),
            lines,
        }
    }

    pub fn hidden() -> Self {
        Self::new(ProgressMode::Hidden)
    }

    /// Registers a new task with the line log, and says it started.
    fn track(&self, bar: &ProgressBar, bytes: bool) {
        if let Some(log) = &self.lines {
            let line = describe(bar, bytes);
            log.say(&line);
            log.tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(LineTask {
                    bar: bar.downgrade(),
                    bytes,
                    said: line,
                    said_at: Instant::now(),
                });
        }
    }

    pub fn spinner(&self, message: String) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(message);
        self.track(&bar, false);
        bar
    }

    pub fn counter(&self, total: u64, message: &str) -> ProgressBar {
        self.bar(
            total,
            "[{bar:30}] {pos}/{len} {elapsed:>4} {msg}",
            message,
            false,
        )
    }

    /// A bar over bytes moved, with throughput and time left.
    pub fn bytes(&self, total: u64, message: &str) -> ProgressBar {
        self.bar(
            total,
            "[{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {elapsed:>4} (eta {eta}) {msg}",
            message,
            true,
        )
    }

    fn bar(&self, total: u64, template: &str, message: &str, bytes: bool) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new(total));
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        self.track(&bar, bytes);
        bar
    }

    /// Progress goes to a log as plain lines (stderr is not a terminal).
    pub fn writes_lines(&self) -> bool {
        self.lines.is_some()
    }

    pub fn println(&self, line: &str) {
        match &self.lines {
            Some(log) => log.say(line),
            None => {
                let _ = self.multi.println(line);
            }
        }
    }
}

impl LineLog {
    fn say(&self, line: &str) {
        let elapsed = self.started.elapsed().as_secs();
        eprintln!("[{:>3}:{:02}] {line}", elapsed / 60, elapsed % 60);
    }

    /// One line per running task that moved on since it was last mentioned,
    /// or that has not been mentioned for a while; finished tasks leave.
    fn report(&self) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        tasks.retain_mut(|task| {
            let Some(bar) = task.bar.upgrade().filter(|b| !b.is_finished()) else {
                return false;
            };
            let line = describe(&bar, task.bytes);
            if line != task.said || task.said_at.elapsed() >= LINE_SILENCE {
                self.say(&format!("{line} ({}s)", bar.elapsed().as_secs()));
                task.said = line;
                task.said_at = Instant::now();
            }
            true
        });
    }
}

/// A task as one line: its message, and how far it is when it counts.
fn describe(bar: &ProgressBar, bytes: bool) -> String {
    let message = bar.message();
    match bar.length() {
        Some(total) if bytes => format!(
            "{message}: {} of {}",
            indicatif::BinaryBytes(bar.position()),
            indicatif::BinaryBytes(total)
        ),
        Some(total) => format!("{message}: {}/{total}", bar.position()),
        None => message,
    }
}
