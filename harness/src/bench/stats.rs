//! Turning one phase's samples (a latency per operation, the bytes moved,
//! the wall time) into the figures the report shows.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Megabytes are decimal (10^6 bytes), as throughput usually is; sizes are
/// binary (MiB), as blob sizes usually are.
pub const MB: f64 = 1_000_000.0;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseFigures {
    pub ops: usize,
    pub bytes: u64,
    pub wall_s: f64,
    /// Bytes moved over the phase's wall time, in MB/s.
    pub mb_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl PhaseFigures {
    pub fn from_samples(latencies: &[Duration], bytes: u64, wall: Duration) -> Self {
        let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let wall_s = wall.as_secs_f64();
        PhaseFigures {
            ops: latencies.len(),
            bytes,
            wall_s,
            mb_per_s: if wall_s > 0.0 {
                bytes as f64 / MB / wall_s
            } else {
                0.0
            },
            p50_ms: percentile(&ms, 50.0),
            p99_ms: percentile(&ms, 99.0),
        }
    }
}

/// Nearest-rank percentile of sorted values (0 for none): with few samples
/// p99 is the slowest one, which is what an operator wants to see.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `a / b`, or `None` when either side was not measured.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (a > 0.0 && b > 0.0).then(|| a / b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[1.0, 9.0], 50.0), 1.0);
        assert_eq!(percentile(&[1.0, 9.0], 99.0), 9.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn figures_from_samples() {
        let latencies = [100, 300, 200].map(Duration::from_millis);
        let f = PhaseFigures::from_samples(&latencies, 3_000_000, Duration::from_millis(500));
        assert_eq!(f.ops, 3);
        assert!((f.mb_per_s - 6.0).abs() < 1e-9);
        assert_eq!(f.p50_ms, 200.0);
        assert_eq!(f.p99_ms, 300.0);
        assert_eq!(ratio(3.0, 0.0), None);
        assert_eq!(ratio(3.0, 2.0), Some(1.5));
    }
}
