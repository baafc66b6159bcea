//! Joining shard reports (`--shard i/n` on several CI runners) into one
//! matrix. Each cell (a scenario in a column: a version or an upgrade path)
//! must come from exactly one shard; versions and paths keep the shards'
//! order.

use super::{Cell, MatrixReport, RunStats, SCHEMA_VERSION};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("{file} has schema_version {found}; this regmatrix reads {SCHEMA_VERSION}")]
    Schema { file: String, found: u32 },
    #[error("{scenario} on {column} is in both {first} and {second}: shards overlap")]
    Duplicate {
        scenario: String,
        column: String,
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
        ordered_union(&mut merged.versions, report.versions, |a, b| a.tag == b.tag);
        ordered_union(&mut merged.paths, report.paths, |a, b| a == b);
        for scenario in report.scenarios {
            if !merged.scenarios.iter().any(|s| s.id == scenario.id) {
                merged.scenarios.push(scenario);
            }
        }
        for cell in report.cells {
            let key = (cell.scenario.clone(), cell.column());
            if let Some(first) = origin.get(&key) {
                return Err(MergeError::Duplicate {
                    column: cell.column(),
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
            // Each shard had its runner's cores.
            cores: merged.run.cores + report.run.cores,
            ..RunStats::default()
        };
        merged.generated_at = merged.generated_at.max(report.generated_at);
    }
    merged.run.bound_by(&merged.cells);
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

/// Adds the items of `incoming` that `merged` lacks, each next to its
/// neighbour in `incoming` that `merged` has (after the one before it, else
/// before the one after it, else at the end), so a shard that lists only
/// some versions or paths cannot reorder the columns.
fn ordered_union<T: Clone>(merged: &mut Vec<T>, incoming: Vec<T>, same: impl Fn(&T, &T) -> bool) {
    let position = |merged: &[T], item: &T| merged.iter().position(|m| same(m, item));
    for i in 0..incoming.len() {
        if position(merged, &incoming[i]).is_some() {
            continue;
        }
        let after = incoming[..i]
            .iter()
            .rev()
            .find_map(|prev| position(merged, prev))
            .map(|at| at + 1);
        let before = || {
            incoming[i + 1..]
                .iter()
                .find_map(|next| position(merged, next))
        };
        let at = after.or_else(before).unwrap_or(merged.len());
        merged.insert(at, incoming[i].clone());
    }
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

    #[test]
    fn shards_with_upgrade_cells_keep_the_paths_in_order() {
        use crate::report::fixtures::path_cell;
        let a = report(vec![
            cell("auth/x", "v3.0.0", Outcome::Pass),
            path_cell("upgrade/in-place", "v3.1.1", "v3.0.0", Outcome::Fail),
        ]);
        let mut b = report(vec![
            path_cell("upgrade/in-place", "v3.0.0", "v3.1.1", Outcome::Pass),
            path_cell("upgrade/other", "v3.0.0", "v3.1.1", Outcome::Pass),
        ]);
        // Shard b lists every path in run order; shard a only its own.
        b.paths.push(crate::report::UpgradePath {
            from: "v3.1.1".into(),
            to: "v3.0.0".into(),
        });
        let merged = merge(vec![
            ("a.json".into(), a.clone()),
            ("b.json".into(), b.clone()),
        ])
        .unwrap();
        let paths: Vec<String> = merged.paths.iter().map(ToString::to_string).collect();
        assert_eq!(paths, ["v3.0.0 -> v3.1.1", "v3.1.1 -> v3.0.0"]);
        let order: Vec<(String, String)> = merged
            .cells
            .iter()
            .map(|c| (c.scenario.clone(), c.column()))
            .collect();
        let pair = |s: &str, c: &str| (s.to_string(), c.to_string());
        assert_eq!(
            order,
            [
                pair("auth/x", "v3.0.0"),
                pair("upgrade/in-place", "v3.0.0 -> v3.1.1"),
                pair("upgrade/in-place", "v3.1.1 -> v3.0.0"),
                pair("upgrade/other", "v3.0.0 -> v3.1.1"),
            ]
        );
        // The other order of arguments gives the same columns.
        let swapped = merge(vec![("b.json".into(), b.clone()), ("a.json".into(), a)]).unwrap();
        assert_eq!(swapped.paths, merged.paths);

        // A path cell in two shards is an overlap, named by its path.
        let again = report(vec![path_cell(
            "upgrade/other",
            "v3.0.0",
            "v3.1.1",
            Outcome::Fail,
        )]);
        let err = merge(vec![("b.json".into(), b), ("again.json".into(), again)]).unwrap_err();
        assert_eq!(
            err,
            MergeError::Duplicate {
                scenario: "upgrade/other".into(),
                column: "v3.0.0 -> v3.1.1".into(),
                first: "b.json".into(),
                second: "again.json".into(),
            }
        );
        assert_eq!(
            err.to_string(),
            "upgrade/other on v3.0.0 -> v3.1.1 is in both b.json and again.json: shards overlap"
        );
    }

    #[test]
    fn a_shard_listing_only_some_columns_cannot_reorder_them() {
        let mut merged = vec!["v3.0.0", "v3.1.1"];
        ordered_union(
            &mut merged,
            vec!["v2.8.3", "v3.0.0", "v3.0.5", "v3.1.1", "v3.2.0"],
            |a, b| a == b,
        );
        assert_eq!(merged, ["v2.8.3", "v3.0.0", "v3.0.5", "v3.1.1", "v3.2.0"]);
        let mut disjoint = vec!["a"];
        ordered_union(&mut disjoint, vec!["b", "c"], |a, b| a == b);
        assert_eq!(disjoint, ["a", "b", "c"]);
    }
}
