//! Joining shard reports (`--shard i/n` on several CI runners) into one
//! matrix. Each cell must come from exactly one shard.

use super::{Cell, MatrixReport, RunStats, SCHEMA_VERSION};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("{file} has schema_version {found}; this regmatrix reads {SCHEMA_VERSION}")]
    Schema { file: String, found: u32 },
    #[error("{scenario} on {version} is in both {first} and {second}: shards overlap")]
    Duplicate {
        scenario: String,
        version: String,
        first: String,
        second: String,
    },
}

/// Merges `(file name, report)` pairs in the order given.
pub fn merge(reports: Vec<(String, MatrixReport)>) -> Result<MatrixReport, MergeError> {
    let mut iter = reports.into_iter();
    let (first_file, mut merged) = iter.next().ok_or(MergeError::Empty)?;
    check_schema(&first_file, &merged)?;
    merged.shard = None;
    let mut origin: std::collections::HashMap<(String, String), String> = merged
        .cells
        .iter()
        .map(|c| ((c.scenario.clone(), c.column()), first_file.clone()))
        .collect();
    for (file, report) in iter {
        check_schema(&file, &report)?;
        for version in report.versions {
            if !merged.versions.iter().any(|v| v.tag == version.tag) {
                merged.versions.push(version);
            }
        }
        for path in report.paths {
            if !merged.paths.contains(&path) {
                merged.paths.push(path);
            }
        }
        for scenario in report.scenarios {
            if !merged.scenarios.iter().any(|s| s.id == scenario.id) {
                merged.scenarios.push(scenario);
            }
        }
        for cell in report.cells {
            let key = (cell.scenario.clone(), cell.column());
            if let Some(first) = origin.get(&key) {
                return Err(MergeError::Duplicate {
                    version: cell.column(),
                    scenario: cell.scenario,
                    first: first.clone(),
                    second: file,
                });
            }
            origin.insert(key, file.clone());
            merged.cells.push(cell);
        }
        merged.run = RunStats {
            // Shards run side by side: the matrix took as long as the slowest.
            wall_ms: merged.run.wall_ms.max(report.run.wall_ms),
            jobs: merged.run.jobs.max(report.run.jobs),
            harness_peak_rss_kib: merged
                .run
                .harness_peak_rss_kib
                .max(report.run.harness_peak_rss_kib),
            harness_cpu_ms: merged.run.harness_cpu_ms + report.run.harness_cpu_ms,
        };
        merged.generated_at = merged.generated_at.max(report.generated_at);
    }
    merged.scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    let columns = merged.columns();
    let column_index = |cell: &Cell| columns.iter().position(|c| *c == cell.column());
    let mut cells = std::mem::take(&mut merged.cells);
    cells.sort_by(|a, b| {
        (a.scenario.as_str(), column_index(a)).cmp(&(b.scenario.as_str(), column_index(b)))
    });
    merged.cells = cells;
    Ok(merged)
}

fn check_schema(file: &str, report: &MatrixReport) -> Result<(), MergeError> {
    if report.schema_version != SCHEMA_VERSION {
        return Err(MergeError::Schema {
            file: file.to_string(),
            found: report.schema_version,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{cell, report};
    use crate::report::Outcome;

    #[test]
    fn shards_join_and_overlaps_are_refused() {
        let a = report(vec![
            cell("s1", "v1", Outcome::Pass),
            cell("s2", "v2", Outcome::Fail),
        ]);
        let b = report(vec![
            cell("s1", "v2", Outcome::Pass),
            cell("s0", "v1", Outcome::Pass),
        ]);
        let merged = merge(vec![("a.json".into(), a.clone()), ("b.json".into(), b)]).unwrap();
        assert_eq!(merged.cells.len(), 4);
        assert_eq!(merged.cells[0].scenario, "s0");
        let ids: Vec<&str> = merged.scenarios.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["s0", "s1", "s2"]);
        let tags: Vec<&str> = merged.versions.iter().map(|v| v.tag.as_str()).collect();
        assert_eq!(tags, vec!["v1", "v2"]);
        let err = merge(vec![("a.json".into(), a.clone()), ("again.json".into(), a)]).unwrap_err();
        assert!(matches!(err, MergeError::Duplicate { .. }), "{err}");
        assert_eq!(merge(vec![]).unwrap_err(), MergeError::Empty);
    }
}
