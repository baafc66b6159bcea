//! The grids a matrix is drawn as (Markdown, HTML, the terminal table): the
//! version grid (rows: single-version scenarios; columns: versions) and,
//! when the report has upgrade cells, the upgrade-path grid (rows: upgrade
//! scenarios; columns: `from -> to`, in `report.paths` order). It decides
//! which rows and columns each grid has and their order; how a cell reads
//! is `Cell::reading`'s. It must not format anything.

use super::{Cell, MatrixReport, ScenarioInfo, Tone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridKind {
    Versions,
    Paths,
}

impl GridKind {
    /// A short id for markup (`v`, `p`).
    pub fn id(self) -> &'static str {
        match self {
            GridKind::Versions => "v",
            GridKind::Paths => "p",
        }
    }
}

/// One column: a version, or an upgrade path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column<'a> {
    /// What [`Cell::column`] says for the column's cells: `v3.1.1`,
    /// `v3.0.0 -> v3.1.1`.
    pub key: String,
    /// `from` is newer than `to`.
    pub rollback: bool,
    /// The binary's `--version` line, for a version column.
    pub version_line: Option<&'a str>,
}

impl Column<'_> {
    /// The header a reader sees: the key, `(rollback)` added for one.
    pub fn title(&self) -> String {
        if self.rollback {
            format!("{} (rollback)", self.key)
        } else {
            self.key.clone()
        }
    }
}

#[derive(Debug, Clone)]
pub struct Grid<'a> {
    pub kind: GridKind,
    pub columns: Vec<Column<'a>>,
    /// Alarms first, then rows with a harness error or an unexpected cell,
    /// then the rest, each group in report order.
    pub rows: Vec<&'a ScenarioInfo>,
    report: &'a MatrixReport,
}

impl<'a> Grid<'a> {
    pub fn cell(&self, scenario: &str, column: &Column<'_>) -> Option<&'a Cell> {
        self.report.cell(scenario, &column.key)
    }

    /// The grid's cells of `scenario`, in column order.
    pub fn cells_of(&self, scenario: &str) -> Vec<&'a Cell> {
        self.columns
            .iter()
            .filter_map(|c| self.cell(scenario, c))
            .collect()
    }
}

/// The version grid (unless every scenario is an upgrade scenario), then the
/// path grid (when any cell has a path).
///
/// A scenario is a row of the version grid when it has a version cell, or
/// no cell at all (a shard that holds none of its cells); of the path grid
/// when it has a path cell. When the report has upgrade cells, versions
/// without a version cell (listed for the paths' sake) are left out of the
/// version grid.
pub fn grids(report: &MatrixReport) -> Vec<Grid<'_>> {
    let has_path_cells = report.cells.iter().any(|c| c.path.is_some());
    let mut out = Vec::new();

    let version_rows: Vec<&ScenarioInfo> = report
        .scenarios
        .iter()
        .filter(|s| {
            let mut cells = report.cells.iter().filter(|c| c.scenario == s.id);
            let none = cells.clone().next().is_none();
            none || cells.any(|c| c.path.is_none())
        })
        .collect();
    let version_columns: Vec<Column<'_>> = report
        .versions
        .iter()
        .filter(|v| {
            !has_path_cells
                || report
                    .cells
                    .iter()
                    .any(|c| c.path.is_none() && c.version.as_deref() == Some(&v.tag))
        })
        .map(|v| Column {
            key: v.tag.clone(),
            rollback: false,
            version_line: Some(&v.version_line),
        })
        .collect();
    // No single-version scenario, or no version with a cell of one: no grid.
    let nothing_to_show = version_rows.is_empty() || (has_path_cells && version_columns.is_empty());
    if !nothing_to_show {
        out.push(Grid {
            kind: GridKind::Versions,
            rows: ordered(report, version_rows, &version_columns),
            columns: version_columns,
            report,
        });
    }

    if has_path_cells {
        // The listed paths, then any a cell names that the list lacks, so no
        // cell is ever dropped.
        let mut paths = report.paths.clone();
        for path in report.cells.iter().filter_map(|c| c.path.as_ref()) {
            if !paths.contains(path) {
                paths.push(path.clone());
            }
        }
        let columns: Vec<Column<'_>> = paths
            .iter()
            .map(|p| Column {
                key: p.to_string(),
                rollback: report.is_rollback(p),
                version_line: None,
            })
            .collect();
        let rows: Vec<&ScenarioInfo> = report
            .scenarios
            .iter()
            .filter(|s| {
                report
                    .cells
                    .iter()
                    .any(|c| c.scenario == s.id && c.path.is_some())
            })
            .collect();
        out.push(Grid {
            kind: GridKind::Paths,
            rows: ordered(report, rows, &columns),
            columns,
            report,
        });
    }
    out
}

/// Rows whose loudest cell (in these columns) is an alarm first, then those
/// with a harness error or an unexpected outcome, then the rest; stable.
fn ordered<'a>(
    report: &'a MatrixReport,
    mut rows: Vec<&'a ScenarioInfo>,
    columns: &[Column<'_>],
) -> Vec<&'a ScenarioInfo> {
    rows.sort_by_key(|s| {
        let loudest = columns
            .iter()
            .filter_map(|c| report.cell(&s.id, &c.key))
            .map(|c| c.reading().tone)
            .min();
        match loudest {
            Some(Tone::Alarm) => 0,
            Some(Tone::HarnessError | Tone::Regression | Tone::Improvement) => 1,
            _ => 2,
        }
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{cell, path_cell, report};
    use crate::report::Outcome;

    fn keys(grid: &Grid<'_>) -> Vec<String> {
        grid.columns.iter().map(|c| c.title()).collect()
    }

    fn rows(grid: &Grid<'_>) -> Vec<String> {
        grid.rows.iter().map(|s| s.id.clone()).collect()
    }

    #[test]
    fn a_report_without_upgrades_is_one_version_grid() {
        let r = report(vec![
            cell("b", "v1", Outcome::Pass),
            cell("a", "v1", Outcome::Pass),
            cell("a", "v2", Outcome::Fail),
        ]);
        let grids = grids(&r);
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].kind, GridKind::Versions);
        assert_eq!(keys(&grids[0]), ["v1", "v2"]);
        // `a` has an unexpected cell: it leads.
        assert_eq!(rows(&grids[0]), ["a", "b"]);
    }

    #[test]
    fn upgrade_scenarios_get_their_own_grid_and_no_empty_rows_or_columns() {
        let mut r = report(vec![
            cell("auth/x", "v3.0.0", Outcome::Pass),
            path_cell("upgrade/in-place", "v3.0.0", "v3.1.1", Outcome::Pass),
            path_cell("upgrade/in-place", "v3.1.1", "v3.0.0", Outcome::Fail),
            path_cell("upgrade/other", "v3.0.0", "v3.1.1", Outcome::Pass),
        ]);
        // The runner lists the paths' versions too; they have no version cell.
        r.versions.push(crate::report::VersionInfo {
            tag: "v3.1.1".into(),
            version_line: "registry v3.1.1".into(),
            image: None,
        });
        let grids = grids(&r);
        assert_eq!(grids.len(), 2);
        assert_eq!(grids[0].kind, GridKind::Versions);
        assert_eq!(keys(&grids[0]), ["v3.0.0"], "no empty v3.1.1 column");
        assert_eq!(rows(&grids[0]), ["auth/x"], "no upgrade rows");
        assert_eq!(grids[1].kind, GridKind::Paths);
        assert_eq!(
            keys(&grids[1]),
            ["v3.0.0 -> v3.1.1", "v3.1.1 -> v3.0.0 (rollback)"]
        );
        assert_eq!(rows(&grids[1]), ["upgrade/in-place", "upgrade/other"]);
        let rollback = &grids[1].columns[1];
        assert_eq!(
            grids[1].cell("upgrade/in-place", rollback).unwrap().outcome,
            Outcome::Fail
        );
        assert!(grids[1].cell("upgrade/other", rollback).is_none());
    }

    #[test]
    fn an_upgrade_only_report_has_only_the_path_grid() {
        let r = report(vec![path_cell(
            "upgrade/in-place",
            "v3.0.0",
            "v3.1.1",
            Outcome::Pass,
        )]);
        let grids = grids(&r);
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].kind, GridKind::Paths);
    }

    #[test]
    fn a_path_no_list_names_still_gets_a_column() {
        let mut r = report(vec![
            path_cell("upgrade/a", "v3.0.0", "v3.1.1", Outcome::Pass),
            path_cell("upgrade/a", "v2.8.3", "v3.0.0", Outcome::Pass),
        ]);
        r.paths.truncate(1);
        let grids = grids(&r);
        assert_eq!(keys(&grids[0]), ["v3.0.0 -> v3.1.1", "v2.8.3 -> v3.0.0"]);
    }
}
