//! CPU time as Linux accounts it (`/proc/<pid>/stat`), and the ledger a
//! matrix cell keeps of the CPU its processes used. Processes record
//! themselves into the ledger of the task that stops them, so a cell's
//! figures are its own even when cells run side by side.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

fn clock_ticks() -> f64 {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => ticks as f64,
        _ => 100.0,
    }
}

/// utime + stime of a `/proc/.../stat` line, in seconds. The command name
/// sits in parentheses and may hold spaces, so fields count from the last `)`.
pub fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    let fields = stat_fields(stat)?;
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks())
}

/// utime + stime + cutime + cstime (children the process has reaped), in
/// seconds.
pub fn stat_cpu_seconds_with_children(stat: &str) -> Option<f64> {
    let fields = stat_fields(stat)?;
    let sum: f64 = (11..=14)
        .map(|i| fields.get(i).and_then(|f| f.parse::<f64>().ok()))
        .sum::<Option<f64>>()?;
    Some(sum / clock_ticks())
}

fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let after = &stat[stat.rfind(')')? + 1..];
    Some(after.split_whitespace().collect())
}

/// The CPU a live process has used, children it reaped included, in ms.
pub fn process_cpu_ms(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_seconds_with_children(&stat).map(|s| (s * 1000.0).round() as u64)
}

/// The machine's busy share of CPU time between two readings of
/// `/proc/stat`'s `cpu` line: (busy, total) jiffies.
pub fn machine_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_machine_jiffies(stat.lines().next()?)
}

fn parse_machine_jiffies(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let values: Vec<u64> = fields.filter_map(|f| f.parse().ok()).collect();
    let total: u64 = values.iter().take(8).sum();
    // idle and iowait are not busy.
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// CPU ms per process name, for one cell.
#[derive(Debug, Clone, Default)]
pub struct CpuLedger(Arc<Mutex<BTreeMap<String, u64>>>);

tokio::task_local! {
    static LEDGER: CpuLedger;
}

impl CpuLedger {
    /// Runs `future` with this ledger as the one processes stopped in it
    /// record into.
    pub async fn scope<F: std::future::Future>(&self, future: F) -> F::Output {
        LEDGER.scope(self.clone(), future).await
    }

    /// Adds `ms` to `process` in the ledger of the current task, if it has one.
    pub fn record(process: &str, ms: u64) {
        let _ = LEDGER.try_with(|ledger| {
            let mut map = ledger.0.lock().unwrap_or_else(PoisonError::into_inner);
            *map.entry(process.to_string()).or_default() += ms;
        });
    }

    pub fn totals(&self) -> BTreeMap<String, u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_count_from_the_last_parenthesis() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 0 0 0 0 0 250 50 30 20 20 0 1 0";
        let ticks = clock_ticks();
        assert_eq!(stat_cpu_seconds(stat), Some(300.0 / ticks));
        assert_eq!(stat_cpu_seconds_with_children(stat), Some(350.0 / ticks));
        assert_eq!(stat_cpu_seconds("garbage"), None);
    }

    #[test]
    fn the_machine_line_splits_busy_from_idle() {
        let line = "cpu  100 0 50 800 50 0 0 0 0 0";
        assert_eq!(parse_machine_jiffies(line), Some((150, 1000)));
    }

    #[tokio::test]
    async fn a_ledger_collects_what_its_task_records() {
        let ledger = CpuLedger::default();
        ledger
            .scope(async {
                CpuLedger::record("registry", 120);
                CpuLedger::record("registry", 30);
                CpuLedger::record("azurite", 400);
            })
            .await;
        // Outside the scope nothing is recorded anywhere.
        CpuLedger::record("registry", 1000);
        let totals = ledger.totals();
        assert_eq!(totals.get("registry"), Some(&150));
        assert_eq!(totals.get("azurite"), Some(&400));
    }
}
