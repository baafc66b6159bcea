//! What the harness process itself has cost so far (Linux `/proc/self`):
//! the figures a matrix report records under `run`. It measures only this
//! process, never Azurite or a registry (the bench's `resources` does that).

use regmatrix_model::RunStats;

/// This process's peak RSS and CPU time, with the run's wall time and jobs.
pub fn run_stats(wall_ms: u64, jobs: usize) -> RunStats {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let harness_peak_rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    // Fields 14 and 15 of /proc/self/stat: utime and stime in clock ticks (100 Hz on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    RunStats {
        wall_ms,
        jobs,
        harness_peak_rss_kib,
        harness_cpu_ms: ticks * 10,
    }
}
