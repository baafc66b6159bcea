//! The matrix as plain-text tables for the terminal: the version grid, then
//! the upgrade-path grid when the report has one. Cells read as
//! `Cell::reading` says (`refused`, `accepted`); with no colour, an alarm is
//! in capitals and `!` marks an outcome the scenario did not expect.

use super::grid::{self, Grid, GridKind};
use super::{MatrixReport, Reading, Tone};

pub fn render(report: &MatrixReport) -> String {
    let grids = grid::grids(report);
    let first = report
        .scenarios
        .iter()
        .map(|s| s.id.len())
        .max()
        .unwrap_or(8)
        .max("scenario".len());
    let mut out = String::new();
    for grid in &grids {
        if grid.kind == GridKind::Paths {
            out.push_str("\nupgrade paths (from -> to):\n");
        }
        table(grid, first, &mut out);
    }
    if report.cells.iter().any(|c| {
        let r = c.reading();
        !r.as_expected() || r.tone == Tone::Alarm
    }) {
        out.push_str("(! not the expected outcome; CAPITALS: security or data loss, an alarm even when expected)\n");
    }
    out
}

fn table(grid: &Grid<'_>, first: usize, out: &mut String) {
    let widths: Vec<usize> = grid
        .columns
        .iter()
        .map(|c| c.title().len().max("unsupported!".len()))
        .collect();
    out.push_str(&format!("{:first$}", "scenario"));
    for (c, w) in grid.columns.iter().zip(&widths) {
        out.push_str(&format!("  {:w$}", c.title()));
    }
    out.push('\n');
    for s in &grid.rows {
        out.push_str(&format!("{:first$}", s.id));
        for (c, w) in grid.columns.iter().zip(&widths) {
            let text = grid
                .cell(&s.id, c)
                .map(|c| cell_text(c.reading()))
                .unwrap_or_else(|| "-".into());
            out.push_str(&format!("  {text:w$}"));
        }
        out.push('\n');
    }
}

/// `refused`, `fail!`, `ACCEPTED!`.
fn cell_text(r: Reading) -> String {
    let mut text = if r.tone == Tone::Alarm {
        r.label.to_uppercase()
    } else {
        r.label.to_string()
    };
    if !r.as_expected() {
        text.push('!');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{cell, path_cell, report};
    use crate::report::Outcome;

    #[test]
    fn versions_then_paths_in_the_scenarios_words() {
        let mut refused = cell("auth/attack-alg-none", "v3.0.0", Outcome::Pass);
        refused.refusal = true;
        let mut accepted = cell("auth/attack-jwk", "v3.0.0", Outcome::Security);
        accepted.refusal = true;
        let text = render(&report(vec![
            refused,
            accepted,
            path_cell("upgrade/in-place", "v3.1.1", "v3.0.0", Outcome::Fail),
        ]));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["scenario", "v3.0.0"]
        );
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            ["auth/attack-jwk", "ACCEPTED!"],
            "{text}"
        );
        assert_eq!(
            lines[2].split_whitespace().collect::<Vec<_>>(),
            ["auth/attack-alg-none", "refused"]
        );
        assert!(
            !lines[..4].iter().any(|l| l.starts_with("upgrade/")),
            "{text}"
        );
        assert!(
            text.contains("\nupgrade paths (from -> to):\nscenario "),
            "{text}"
        );
        assert!(text.contains("v3.1.1 -> v3.0.0 (rollback)"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["upgrade/in-place", "fail!"]),
            "{text}"
        );
    }
}
