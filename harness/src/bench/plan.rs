//! What a bench run measures: blob sizes x upload modes x concurrency, and
//! the rule that keeps the bytes one row holds in flight within the
//! machine's means (a row of sixteen 1 GiB uploads needs 16 GiB of Azurite
//! storage at once, and tells little that four 128 MiB ones do not).

use regmatrix_model::units::{ByteSize, SizeUnit};
use serde::{Deserialize, Serialize};

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "bad size {0:?}: expected a number with an optional unit (B, KiB, MiB, GiB), e.g. 16MiB"
    )]
    Size(String),
    #[error("bad upload mode {0:?}: expected monolithic or chunked:<size>, e.g. chunked:5MiB")]
    Mode(String),
    #[error("bad concurrency {0:?}: expected a whole number from 1 to 256")]
    Concurrency(String),
    #[error("{0} is empty: give at least one value")]
    Empty(&'static str),
    #[error("unknown bench path {0:?}: expected limit, shared-key, oauth or filesystem")]
    Path(String),
    #[error("--paths is empty: give at least one of limit, shared-key, oauth, filesystem")]
    NoPath,
}

/// Parses `16MiB`, `1GiB`, `512KiB`, `1048576` (bytes) with the shared
/// grammar, then refuses what a bench cannot use: zero, and decimal units,
/// since registry chunk sizes and the sizes are all powers of two.
pub fn parse_size(text: &str) -> Result<u64, PlanError> {
    match ByteSize::parse_with_unit(text) {
        Ok((size, SizeUnit::Bytes | SizeUnit::Binary)) if size.0 > 0 => Ok(size.0),
        _ => Err(PlanError::Size(text.to_string())),
    }
}

/// `1 GiB`, `128 MiB`, `5 MiB`, `700 KiB`, `12 B`: the largest exact unit.
pub fn format_size(bytes: u64) -> String {
    for (scale, unit) in [(GIB, "GiB"), (MIB, "MiB"), (1 << 10, "KiB")] {
        if bytes >= scale && bytes.is_multiple_of(scale) {
            return format!("{} {unit}", bytes / scale);
        }
    }
    format!("{bytes} B")
}

/// The bench's modes are the client's; `chunked:5MiB` on the command line.
pub use crate::client::UploadMode;

/// Parses a comma-separated list with `parse_one`, refusing an empty list.
pub fn parse_list<T>(
    text: &str,
    what: &'static str,
    parse_one: impl Fn(&str) -> Result<T, PlanError>,
) -> Result<Vec<T>, PlanError> {
    let values = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_one)
        .collect::<Result<Vec<_>, _>>()?;
    if values.is_empty() {
        return Err(PlanError::Empty(what));
    }
    Ok(values)
}

pub fn parse_concurrency(text: &str) -> Result<usize, PlanError> {
    match text.trim().parse::<usize>() {
        Ok(n @ 1..=256) => Ok(n),
        _ => Err(PlanError::Concurrency(text.to_string())),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchPlan {
    pub sizes: Vec<u64>,
    pub modes: Vec<UploadMode>,
    pub concurrency: Vec<usize>,
    /// The bytes a row aims to move each way; small blobs get more
    /// operations, so their percentiles rest on more than a handful.
    pub row_bytes: u64,
    /// A row with more than this many bytes in flight (size x concurrency)
    /// is skipped, and the report says so.
    pub max_inflight: u64,
    /// Operations per row at most (bounds 1 MiB rows).
    pub max_ops: usize,
}

impl Default for BenchPlan {
    fn default() -> Self {
        BenchPlan {
            sizes: vec![MIB, 16 * MIB, 128 * MIB, GIB],
            modes: vec![
                UploadMode::Monolithic,
                UploadMode::Chunked {
                    chunk_bytes: 5 * MIB,
                },
                UploadMode::Chunked {
                    chunk_bytes: 32 * MIB,
                },
            ],
            concurrency: vec![1, 4, 16],
            row_bytes: 128 * MIB,
            max_inflight: GIB,
            max_ops: 32,
        }
    }
}

/// One row's shape: `ops` blobs of `size` bytes, `concurrency` at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowShape {
    pub size: u64,
    pub mode: UploadMode,
    pub concurrency: usize,
    pub ops: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedRow {
    Run(RowShape),
    Skip { shape: RowShape, reason: String },
}

impl BenchPlan {
    /// Every row in a stable order: by size, then mode, then concurrency.
    pub fn rows(&self) -> Vec<PlannedRow> {
        let mut rows = Vec::new();
        for &size in &self.sizes {
            for &mode in &self.modes {
                for &concurrency in &self.concurrency {
                    rows.push(self.plan_row(size, mode, concurrency));
                }
            }
        }
        rows
    }

    pub fn plan_row(&self, size: u64, mode: UploadMode, concurrency: usize) -> PlannedRow {
        let concurrency = concurrency.max(1);
        let wanted = self.row_bytes.div_ceil(size.max(1)) as usize;
        let ops = wanted
            .min(self.max_ops)
            .max(concurrency)
            .div_ceil(concurrency)
            * concurrency;
        let shape = RowShape {
            size,
            mode,
            concurrency,
            ops,
        };
        let inflight = size.saturating_mul(concurrency as u64);
        if inflight > self.max_inflight {
            return PlannedRow::Skip {
                shape: RowShape { ops: 0, ..shape },
                reason: format!(
                    "{concurrency} x {} in flight exceeds --max-inflight {}",
                    format_size(size),
                    format_size(self.max_inflight)
                ),
            };
        }
        PlannedRow::Run(shape)
    }

    /// The bytes the planned rows move one way, for the progress bar.
    pub fn bytes_per_direction(&self) -> u64 {
        self.rows()
            .iter()
            .map(|row| match row {
                PlannedRow::Run(shape) => shape.size * shape.ops as u64,
                PlannedRow::Skip { .. } => 0,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units_and_refuse_nonsense() {
        assert_eq!(parse_size("1MiB"), Ok(MIB));
        assert_eq!(parse_size("16 MiB"), Ok(16 * MIB));
        assert_eq!(parse_size("1GiB"), Ok(GIB));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in [
            "",
            "MiB",
            "0MiB",
            "12MB",
            "1.5GiB",
            "-1",
            "99999999999999GiB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(format_size(GIB), "1 GiB");
        assert_eq!(format_size(5 * MIB), "5 MiB");
        assert_eq!(format_size(1000), "1000 B");
    }

    #[test]
    fn modes_round_trip_through_text() {
        for mode in BenchPlan::default().modes {
            assert_eq!(mode.to_string().parse::<UploadMode>(), Ok(mode));
        }
        assert_eq!(
            "chunked:5MiB".parse::<UploadMode>(),
            Ok(UploadMode::Chunked {
                chunk_bytes: 5 * MIB
            })
        );
        assert!("chunked".parse::<UploadMode>().is_err());
        assert!("streaming".parse::<UploadMode>().is_err());
        assert!(parse_list("", "--modes", |s| s
            .parse::<UploadMode>()
            .map_err(|_| PlanError::Mode(s.into())))
        .is_err());
        assert!(parse_concurrency("0").is_err());
        assert_eq!(parse_concurrency("16"), Ok(16));
    }

    #[test]
    fn rows_scale_operations_to_the_size_and_skip_what_does_not_fit() {
        let plan = BenchPlan::default();
        let row = |size, c| plan.plan_row(size, UploadMode::Monolithic, c);
        // 1 MiB: capped at max_ops; 16 MiB: 128 MiB worth.
        assert!(matches!(row(MIB, 1), PlannedRow::Run(s) if s.ops == 32));
        assert!(matches!(row(16 * MIB, 4), PlannedRow::Run(s) if s.ops == 8));
        // Never fewer operations than workers, and a whole number per worker.
        assert!(matches!(row(128 * MIB, 4), PlannedRow::Run(s) if s.ops == 4));
        assert!(matches!(row(16 * MIB, 16), PlannedRow::Run(s) if s.ops == 16));
        assert!(matches!(row(GIB, 1), PlannedRow::Run(s) if s.ops == 1));
        match row(GIB, 4) {
            PlannedRow::Skip { reason, .. } => {
                assert_eq!(reason, "4 x 1 GiB in flight exceeds --max-inflight 1 GiB")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(plan.rows().len(), 4 * 3 * 3);
    }
}
