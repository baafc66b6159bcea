//! The run's account of finished cells, for a log without a terminal: one
//! plain line per finished cell with `N/M`, its reading, how long it took,
//! and when the run should end at the pace so far. It only counts and says;
//! it judges nothing.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::progress::Progress;
use crate::report::Cell;

pub(super) struct Tally {
    total: usize,
    started: Instant,
    done: Mutex<usize>,
}

impl Tally {
    pub(super) fn new(total: usize) -> Self {
        Tally {
            total,
            started: Instant::now(),
            done: Mutex::new(0),
        }
    }

    /// Counts `cell` as finished and, when progress goes to a log, says so.
    pub(super) fn finished(&self, cell: &Cell, progress: &Progress) {
        let done = {
            let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
            *done += 1;
            *done
        };
        if progress.writes_lines() {
            progress.println(&self.line(done, cell, self.started.elapsed()));
        }
    }

    fn line(&self, done: usize, cell: &Cell, elapsed: Duration) -> String {
        let eta = if done < self.total {
            let left = elapsed.mul_f64((self.total - done) as f64 / done as f64);
            format!("; eta {}", clock(left))
        } else {
            String::new()
        };
        format!(
            "{done}/{} {} on {}: {} in {:.1}s{eta}",
            self.total,
            cell.scenario,
            cell.column(),
            cell.reading().text(),
            cell.duration_ms as f64 / 1000.0,
        )
    }
}

/// `4m05s`, `52s`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_counts_reads_and_estimates() {
        let tally = Tally::new(4);
        let mut cell = crate::report::fixtures::cell(
            "storage/push-pull",
            "v3.1.2",
            crate::report::Outcome::Pass,
        );
        cell.duration_ms = 2500;
        let line = tally.line(1, &cell, Duration::from_secs(10));
        assert_eq!(
            line,
            "1/4 storage/push-pull on v3.1.2: pass in 2.5s; eta 30s"
        );
        let last = tally.line(4, &cell, Duration::from_secs(100));
        assert_eq!(last, "4/4 storage/push-pull on v3.1.2: pass in 2.5s");
        assert_eq!(clock(Duration::from_secs(245)), "4m05s");
    }
}
