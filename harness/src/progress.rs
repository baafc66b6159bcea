//! Progress display for the CLI and the long runs it starts: bars on a
//! terminal, nothing when quiet or piped. It only draws; it must not decide
//! anything or print results (those go to stdout from the commands).

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress display: bars on a terminal, nothing when quiet or piped.
#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
        }
    }

    pub fn hidden() -> Self {
        Self::new(true)
    }

    pub fn spinner(&self, message: String) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(message);
        bar
    }

    pub fn counter(&self, total: u64, message: &str) -> ProgressBar {
        self.bar(total, "[{bar:30}] {pos}/{len} {elapsed:>4} {msg}", message)
    }

    /// A bar over bytes moved, with throughput and time left.
    pub fn bytes(&self, total: u64, message: &str) -> ProgressBar {
        self.bar(
            total,
            "[{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {elapsed:>4} (eta {eta}) {msg}",
            message,
        )
    }

    fn bar(&self, total: u64, template: &str, message: &str) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new(total));
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        bar
    }

    pub fn println(&self, line: &str) {
        let _ = self.multi.println(line);
    }
}
