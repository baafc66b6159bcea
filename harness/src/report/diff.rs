//! Comparing two matrix reports cell by cell, keyed by scenario and column
//! (a version, or an upgrade path as `from -> to`): what regressed, what
//! was fixed, what is new or gone. The nightly job compares against the
//! previous night; `regmatrix report diff` compares any two runs. Outcomes
//! print as `Cell::reading` labels them (`refused`, `accepted`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use super::{reading, MatrixReport, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Regression,
    Fixed,
    New,
    Removed,
    Unchanged,
}

impl Change {
    /// How `after` compares with `before`: worse, better, or the same.
    pub fn between(before: Outcome, after: Outcome) -> Change {
        match after.severity().cmp(&before.severity()) {
            std::cmp::Ordering::Greater => Change::Regression,
            std::cmp::Ordering::Less => Change::Fixed,
            std::cmp::Ordering::Equal => Change::Unchanged,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Regression => "regression",
            Change::Fixed => "fixed",
            Change::New => "new",
            Change::Removed => "removed",
            Change::Unchanged => "unchanged",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CellChange {
    pub scenario: String,
    /// [`Cell::column`](super::Cell::column): a version, or `from -> to`.
    pub column: String,
    /// The scenario checks a refusal (either report says so).
    pub refusal: bool,
    pub before: Option<Outcome>,
    pub after: Option<Outcome>,
    pub change: Change,
    /// The current evidence (the baseline's for a removed cell).
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportDiff {
    pub cells: Vec<CellChange>,
}

impl ReportDiff {
    pub fn between(baseline: &MatrixReport, current: &MatrixReport) -> Self {
        let keys: BTreeSet<(String, String)> = baseline
            .cells
            .iter()
            .chain(&current.cells)
            .map(|c| (c.scenario.clone(), c.column()))
            .collect();
        let mut cells: Vec<CellChange> = keys
            .into_iter()
            .map(|(scenario, column)| {
                let before = baseline.cell(&scenario, &column);
                let after = current.cell(&scenario, &column);
                let mut change = match (before, after) {
                    (None, Some(_)) => Change::New,
                    (Some(_), None) => Change::Removed,
                    (Some(b), Some(a)) => Change::between(b.outcome, a.outcome),
                    (None, None) => Change::Unchanged,
                };
                let mut evidence = after
                    .or(before)
                    .map(|c| c.evidence.clone())
                    .unwrap_or_default();
                // The same outcome can hide different conformance failures.
                if let (Some(b), Some(a)) = (before, after) {
                    if let Some((suite_change, said)) = suite_change(b, a) {
                        if change == Change::Unchanged {
                            change = suite_change;
                        }
                        evidence = format!("{said}; {evidence}");
                    }
                }
                CellChange {
                    evidence,
                    refusal: before.is_some_and(|c| c.refusal) || after.is_some_and(|c| c.refusal),
                    before: before.map(|c| c.outcome),
                    after: after.map(|c| c.outcome),
                    change,
                    scenario,
                    column,
                }
            })
            .collect();
        cells.sort_by(|a, b| {
            (a.change, &a.scenario, &a.column).cmp(&(b.change, &b.scenario, &b.column))
        });
        ReportDiff { cells }
    }

    pub fn count(&self, change: Change) -> usize {
        self.cells.iter().filter(|c| c.change == change).count()
    }

    /// 1 when anything regressed or the current run has a `security` or
    /// `data-loss` outcome (expected or not); else 0. Harness errors are the caller's 2.
    pub fn exit_code(&self, current: &MatrixReport) -> i32 {
        let alarm = current.cells.iter().any(|c| c.outcome.is_alarm());
        i32::from(self.count(Change::Regression) > 0 || alarm)
    }

    /// Markdown: the counts, then every cell that changed.
    pub fn render_markdown(&self) -> String {
        let mut out = String::from("## Changes since the baseline\n\n");
        let _ = writeln!(
            out,
            "{} regression(s), {} fixed, {} new, {} removed, {} unchanged.\n",
            self.count(Change::Regression),
            self.count(Change::Fixed),
            self.count(Change::New),
            self.count(Change::Removed),
            self.count(Change::Unchanged)
        );
        let changed: Vec<&CellChange> = self
            .cells
            .iter()
            .filter(|c| c.change != Change::Unchanged)
            .collect();
        if changed.is_empty() {
            return out;
        }
        out.push_str("| change | scenario | column | before | after | evidence |\n|---|---|---|---|---|---|\n");
        for c in changed {
            let outcome = |o: Option<Outcome>| {
                o.map_or("—".to_string(), |o| {
                    reading::label(o, c.refusal).to_string()
                })
            };
            let evidence: String = c.evidence.chars().take(300).collect();
            let _ = writeln!(
                out,
                "| **{}** | `{}` | `{}` | {} | {} | {} |",
                c.change.as_str(),
                c.scenario,
                c.column,
                outcome(c.before),
                outcome(c.after),
                evidence.replace('|', "\\|").replace('\n', " ")
            );
        }
        out
    }
}

/// Conformance tests that fail now and did not (a regression), or failed
/// and pass now (fixed), between two runs of a cell; `None` when the
/// failing sets are the same or either run has no suite results.
fn suite_change(before: &super::Cell, after: &super::Cell) -> Option<(Change, String)> {
    let (b, a) = (before.conformance.as_ref()?, after.conformance.as_ref()?);
    let was: BTreeSet<&str> = b.failing.iter().map(String::as_str).collect();
    let is: BTreeSet<&str> = a.failing.iter().map(String::as_str).collect();
    let newly: Vec<&str> = is.difference(&was).copied().collect();
    let passing: Vec<&str> = was.difference(&is).copied().collect();
    let mut said = Vec::new();
    if !newly.is_empty() {
        said.push(format!("conformance newly failing: {}", newly.join(", ")));
    }
    if !passing.is_empty() {
        said.push(format!("conformance now passing: {}", passing.join(", ")));
    }
    let change = match (newly.is_empty(), passing.is_empty()) {
        (true, true) => return None,
        (false, _) => Change::Regression,
        (true, false) => Change::Fixed,
    };
    Some((change, said.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{cell, report};

    #[test]
    fn the_same_outcome_with_other_conformance_failures_is_a_change() {
        let suite = |failing: &[&str]| crate::report::ConformanceSummary {
            suite: "v0".into(),
            failed: failing.len() as u32,
            failing: failing.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let with = |failing: &[&str]| {
            let mut c = cell("conformance/x", "v1", Outcome::Fail);
            c.conformance = Some(suite(failing));
            c
        };
        let before = report(vec![with(&["a", "b"])]);
        let worse = ReportDiff::between(&before, &report(vec![with(&["a", "b", "c"])]));
        assert_eq!(worse.cells[0].change, Change::Regression);
        assert!(worse.cells[0]
            .evidence
            .starts_with("conformance newly failing: c;"));
        let better = ReportDiff::between(&before, &report(vec![with(&["a"])]));
        assert_eq!(better.cells[0].change, Change::Fixed);
        assert!(better.cells[0]
            .evidence
            .starts_with("conformance now passing: b;"));
        let same = ReportDiff::between(&before, &before);
        assert_eq!(same.cells[0].change, Change::Unchanged);
    }

    #[test]
    fn classifies_each_cell() {
        let before = report(vec![
            cell("a", "v1", Outcome::Pass),
            cell("b", "v1", Outcome::Fail),
            cell("c", "v1", Outcome::Pass),
            cell("gone", "v1", Outcome::Pass),
        ]);
        let after = report(vec![
            cell("a", "v1", Outcome::Fail),
            cell("b", "v1", Outcome::Pass),
            cell("c", "v1", Outcome::Pass),
            cell("fresh", "v1", Outcome::Unsupported),
        ]);
        let diff = ReportDiff::between(&before, &after);
        let by = |s: &str| diff.cells.iter().find(|c| c.scenario == s).unwrap().change;
        assert_eq!(by("a"), Change::Regression);
        assert_eq!(by("b"), Change::Fixed);
        assert_eq!(by("c"), Change::Unchanged);
        assert_eq!(by("gone"), Change::Removed);
        assert_eq!(by("fresh"), Change::New);
        assert_eq!(
            diff.cells[0].change,
            Change::Regression,
            "regressions first"
        );
        assert_eq!(diff.exit_code(&after), 1);
        assert!(diff.render_markdown().contains("| **regression** | `a` |"));
    }

    #[test]
    fn an_unchanged_security_outcome_still_exits_1() {
        let both = report(vec![cell("x", "v1", Outcome::Security)]);
        let diff = ReportDiff::between(&both, &both);
        assert_eq!(diff.count(Change::Unchanged), 1);
        assert_eq!(diff.exit_code(&both), 1);
        let clean = report(vec![cell("x", "v1", Outcome::Fail)]);
        assert_eq!(ReportDiff::between(&clean, &clean).exit_code(&clean), 0);
    }

    #[test]
    fn path_cells_are_keyed_by_their_path_and_read_in_the_scenarios_words() {
        use crate::report::fixtures::path_cell;
        let mut refused = cell("auth/attack-alg-none", "v3.0.0", Outcome::Pass);
        refused.refusal = true;
        let mut accepted = refused.clone();
        accepted.outcome = Outcome::Security;
        let before = report(vec![
            refused,
            path_cell("upgrade/in-place", "v3.0.0", "v3.1.1", Outcome::Pass),
            path_cell("upgrade/in-place", "v3.1.1", "v3.0.0", Outcome::Fail),
        ]);
        let after = report(vec![
            accepted,
            path_cell("upgrade/in-place", "v3.0.0", "v3.1.1", Outcome::Fail),
            path_cell("upgrade/in-place", "v3.1.1", "v3.0.0", Outcome::Fail),
            // Same scenario, a version column: another cell.
            cell("upgrade/in-place", "v3.1.1", Outcome::Pass),
        ]);
        let diff = ReportDiff::between(&before, &after);
        let by = |s: &str, column: &str| {
            diff.cells
                .iter()
                .find(|c| c.scenario == s && c.column == column)
                .unwrap_or_else(|| panic!("no {s} on {column}"))
                .change
        };
        assert_eq!(
            by("upgrade/in-place", "v3.0.0 -> v3.1.1"),
            Change::Regression
        );
        assert_eq!(
            by("upgrade/in-place", "v3.1.1 -> v3.0.0"),
            Change::Unchanged
        );
        assert_eq!(by("upgrade/in-place", "v3.1.1"), Change::New);
        assert_eq!(by("auth/attack-alg-none", "v3.0.0"), Change::Regression);
        assert_eq!(diff.cells.len(), 4);
        let md = diff.render_markdown();
        assert!(
            md.contains("2 regression(s), 0 fixed, 1 new, 0 removed, 1 unchanged"),
            "{md}"
        );
        assert!(
            md.contains(
                "| **regression** | `auth/attack-alg-none` | `v3.0.0` | refused | accepted |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| **regression** | `upgrade/in-place` | `v3.0.0 -> v3.1.1` | pass | fail |"
            ),
            "{md}"
        );
        assert_eq!(diff.exit_code(&after), 1);
    }
}
