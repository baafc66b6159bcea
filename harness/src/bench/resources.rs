//! Who spent the CPU during a phase: the harness process (split into its
//! client threads and the mock cloud's threads, which run on a runtime of
//! their own), the registry, Azurite, and peer client processes. This is
//! what explains a row's bound: a process near one CPU-second per second
//! is saturated. Linux only (/proc), as the harness is.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Threads of the runtime that carries the mock cloud (front door,
/// identity, token server) are named with this prefix.
pub const CLOUD_THREAD_PREFIX: &str = "rm-cloud";

/// CPU seconds each party used over a phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuUse {
    /// The harness's client side: its whole process minus the cloud threads.
    pub harness_client_s: f64,
    /// The mock cloud inside the harness process (TLS-terminating proxy).
    pub mock_cloud_s: f64,
    pub registry_s: f64,
    pub azurite_s: f64,
    /// Peer client processes (oras, crane) that ended during the phase.
    pub peer_s: f64,
    /// The harness process's peak resident memory during the phase.
    pub harness_peak_rss_mib: f64,
}

/// A reading taken before a phase; `since` reads again and subtracts.
pub struct CpuMeter {
    started: Instant,
    process_s: f64,
    children_s: f64,
    cloud_threads: HashMap<u32, f64>,
    registry_pid: Option<i32>,
    registry_s: f64,
    azurite_pid: Option<i32>,
    azurite_s: f64,
}

impl CpuMeter {
    pub fn start(registry_pid: Option<i32>, azurite_pid: Option<i32>) -> Self {
        reset_peak_rss();
        CpuMeter {
            started: Instant::now(),
            process_s: rusage_seconds(nix::sys::resource::UsageWho::RUSAGE_SELF),
            children_s: rusage_seconds(nix::sys::resource::UsageWho::RUSAGE_CHILDREN),
            cloud_threads: cloud_thread_seconds(),
            registry_pid,
            registry_s: registry_pid.and_then(process_seconds).unwrap_or(0.0),
            azurite_pid,
            azurite_s: azurite_pid.and_then(process_seconds).unwrap_or(0.0),
        }
    }

    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    pub fn since(&self) -> CpuUse {
        let process_s = rusage_seconds(nix::sys::resource::UsageWho::RUSAGE_SELF) - self.process_s;
        // Threads that ended during the phase drop out of the sum; the cloud
        // runtime's workers live as long as the bench, so this is exact for them.
        let cloud: f64 = cloud_thread_seconds()
            .iter()
            .map(|(tid, now)| now - self.cloud_threads.get(tid).copied().unwrap_or(0.0))
            .sum();
        let delta = |pid: Option<i32>, before: f64| {
            pid.and_then(process_seconds)
                .map_or(0.0, |now| (now - before).max(0.0))
        };
        CpuUse {
            harness_client_s: (process_s - cloud).max(0.0),
            mock_cloud_s: cloud.max(0.0),
            registry_s: delta(self.registry_pid, self.registry_s),
            azurite_s: delta(self.azurite_pid, self.azurite_s),
            peer_s: (rusage_seconds(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
                - self.children_s)
                .max(0.0),
            harness_peak_rss_mib: peak_rss_bytes().unwrap_or(0) as f64 / (1u64 << 20) as f64,
        }
    }
}

fn rusage_seconds(who: nix::sys::resource::UsageWho) -> f64 {
    match nix::sys::resource::getrusage(who) {
        Ok(usage) => {
            let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
            seconds(usage.user_time()) + seconds(usage.system_time())
        }
        Err(_) => 0.0,
    }
}

pub use crate::cpu::stat_cpu_seconds;

/// A process's CPU time, children it has reaped included (Azurite's and
/// the registry's helpers, if any).
fn process_seconds(pid: i32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_seconds(&stat)
}

fn cloud_thread_seconds() -> HashMap<u32, f64> {
    let mut seconds = HashMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return seconds;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let named_cloud = std::fs::read_to_string(path.join("comm"))
            .is_ok_and(|comm| comm.starts_with(CLOUD_THREAD_PREFIX));
        if !named_cloud {
            continue;
        }
        let tid = task.file_name().to_string_lossy().parse::<u32>();
        let cpu = std::fs::read_to_string(path.join("stat"))
            .ok()
            .and_then(|stat| stat_cpu_seconds(&stat));
        if let (Ok(tid), Some(cpu)) = (tid, cpu) {
            seconds.insert(tid, cpu);
        }
    }
    seconds
}

/// Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS,
/// so each phase reports its own peak. Best effort: an older kernel keeps
/// the process-wide peak, which is still an upper bound.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_phase_shows_harness_cpu_and_a_peak() {
        let meter = CpuMeter::start(None, Some(std::process::id() as i32));
        let mut x = 0u64;
        let started = Instant::now();
        while started.elapsed().as_millis() < 200 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let used = meter.since();
        assert!(used.harness_client_s > 0.05, "{used:?}");
        // Read through /proc for "azurite" (this process here): the same order.
        assert!(used.azurite_s > 0.05, "{used:?}");
        assert!(used.harness_peak_rss_mib > 1.0, "{used:?}");
        assert_eq!(used.registry_s, 0.0);
    }
}
