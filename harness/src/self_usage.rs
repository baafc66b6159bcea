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
    // Without its children's share: the cells account for those.
    let harness_cpu_ms = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| crate::cpu::stat_cpu_seconds(&stat))
        .map_or(0, |s| (s * 1000.0).round() as u64);
    RunStats {
        wall_ms,
        jobs,
        harness_peak_rss_kib,
        harness_cpu_ms,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        ..RunStats::default()
    }
}
