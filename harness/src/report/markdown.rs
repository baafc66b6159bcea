//! The Markdown matrix: fits a GitHub step summary or a PR comment. One row
//! per scenario, one column per version; then, when the report has upgrade
//! cells, one column per upgrade path. Cells read as `Cell::reading` says
//! (`refused`, `accepted`); Markdown has no colour, so the tone shows as
//! bold (alarms, harness errors, unexpected outcomes) and `(known)`. The
//! notes give every cell that is not a plain, expected pass its evidence,
//! reason and reference, loudest first.

use super::grid::{self, Grid, GridKind};
use super::{reading, Cell, MatrixReport, Outcome, Reading, Tone};

/// Follows a cell whose expectation came from a range.
const RANGE_MARK: &str = "†";

pub fn render(report: &MatrixReport) -> String {
    let mut out = String::from("# regmatrix compatibility matrix\n\n");
    out.push_str(&format!(
        "Generated {} by regmatrix {} (schema {}).\n\n",
        report.generated_at, report.harness_version, report.schema_version
    ));
    for grid in grid::grids(report) {
        if grid.kind == GridKind::Paths {
            out.push_str(
                "\n## Upgrade paths\n\nEach column is `from -> to`: `from` writes, then `to` \
                 starts on the same storage; a rollback goes from a newer version to an older one.\n\n",
            );
        }
        table(&grid, &mut out);
    }
    out.push_str(
        "\nLegend: a scenario that checks a refusal reads `refused` when the registry refused \
         and `accepted` (outcome `security`) when it accepted a token it must refuse. \
         **Bold**: an alarm (`security`, `data-loss`; even when expected), a harness error, or \
         an outcome the scenario did not expect (`better` when it beat the expectation). \
         `(known)`: an expected failure the scenario explains.\n",
    );
    if report.cells.iter().any(|c| c.expectation_from_range) {
        out.push_str(&format!(
            "{RANGE_MARK}: no expectation row names this version; its expectation came from a \
             range, as for a release newer than the scenarios, so what it shows is new.\n"
        ));
    }
    out.push_str(&format!(
        "\nRun: {:.1}s wall with {} jobs; the harness itself used {:.1}s CPU and peaked at {:.1} MiB RSS.\n",
        report.run.wall_ms as f64 / 1000.0,
        report.run.jobs,
        report.run.harness_cpu_ms as f64 / 1000.0,
        report.run.harness_peak_rss_kib as f64 / 1024.0
    ));
    if let Some(line) = schedule_line(report) {
        out.push_str(&line);
    }
    out.push_str("\n## Versions\n\n");
    if let Some(set) = &report.version_set {
        let against = match set.releases {
            0 => "named by tag".to_string(),
            n => format!("resolved against {n} releases"),
        };
        out.push_str(&format!("Version set `{}`, {against}", set.expression));
        match &set.offline {
            Some(why) => out.push_str(&format!(
                " (offline: the Go module proxy did not answer, {}; the versions built in the cache stood in).\n\n",
                escape(why)
            )),
            None => out.push_str(".\n\n"),
        }
    }
    for v in &report.versions {
        match &v.image {
            Some(image) => out.push_str(&format!(
                "- `{}`: `{}`, as image `{image}`\n",
                v.tag, v.version_line
            )),
            None => out.push_str(&format!("- `{}`: `{}`\n", v.tag, v.version_line)),
        }
    }
    notes(report, &mut out);
    out
}

/// How close the run came to the shortest it could have been here.
fn schedule_line(report: &MatrixReport) -> Option<String> {
    let run = &report.run;
    if run.lower_bound_ms == 0 {
        return None;
    }
    let longest = report
        .cells
        .iter()
        .map(|c| c.duration_ms)
        .max()
        .unwrap_or(0);
    Some(format!(
        "\nSchedule: lower bound {:.1}s = max(longest cell {:.1}s, CPU {:.1}s (harness {:.1}s + cells' processes {:.1}s) / {} cores); wall time is {:.2}x the bound.\n",
        run.lower_bound_ms as f64 / 1000.0,
        longest as f64 / 1000.0,
        (run.harness_cpu_ms + run.process_cpu_ms) as f64 / 1000.0,
        run.harness_cpu_ms as f64 / 1000.0,
        run.process_cpu_ms as f64 / 1000.0,
        run.cores,
        run.wall_to_lower_bound
    ))
}

fn table(grid: &Grid<'_>, out: &mut String) {
    out.push_str("| scenario |");
    for column in &grid.columns {
        out.push_str(&format!(" {} |", escape(&column.title())));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(grid.columns.len()));
    out.push('\n');
    for scenario in &grid.rows {
        out.push_str(&format!("| `{}` |", scenario.id));
        for column in &grid.columns {
            let text = grid
                .cell(&scenario.id, column)
                .map(|c| {
                    let text = cell_text(c.reading());
                    if c.expectation_from_range {
                        format!("{text} {RANGE_MARK}")
                    } else {
                        text
                    }
                })
                .unwrap_or_else(|| "—".into());
            out.push_str(&format!(" {text} |"));
        }
        out.push('\n');
    }
}

/// `refused`; `fail (known)`; `**fail** (expected pass)`;
/// `**accepted** (security, expected refused)`.
fn cell_text(r: Reading) -> String {
    let loud = matches!(
        r.tone,
        Tone::Alarm | Tone::HarnessError | Tone::Regression | Tone::Improvement
    );
    let mut text = if loud {
        format!("**{}**", r.label)
    } else {
        r.label.to_string()
    };
    let mut notes: Vec<String> = Vec::new();
    if r.label != r.outcome.as_str() && r.outcome != Outcome::Pass {
        // `accepted` is the outcome `security`: say so where it is loudest.
        notes.push(r.outcome.as_str().to_string());
    }
    if r.tone == Tone::Known {
        notes.push("known".into());
    }
    if !r.as_expected() {
        notes.push(format!("expected {}", r.expected_label));
    }
    if r.tone == Tone::Improvement {
        notes.push("better".into());
    }
    if !notes.is_empty() {
        text.push_str(&format!(" ({})", notes.join(", ")));
    }
    text
}

/// Every cell that is not an expected pass: its reading, evidence, the
/// scenario's reason and reference. Loudest first.
fn notes(report: &MatrixReport, out: &mut String) {
    let mut notes: Vec<(Reading, &Cell)> = report
        .cells
        .iter()
        .map(|c| (c.reading(), c))
        .filter(|(r, _)| r.tone != Tone::Good)
        .collect();
    let columns = report.columns();
    let column_index = |c: &Cell| columns.iter().position(|k| *k == c.column());
    notes.sort_by_key(|(r, c)| (r.tone, c.scenario.clone(), column_index(c)));
    if notes.is_empty() {
        return;
    }
    out.push_str("\n## Evidence for every cell that is not an expected pass\n\n");
    for (r, c) in notes {
        let verdict = match (r.as_expected(), r.tone) {
            (true, Tone::Alarm) => "as expected, and an alarm all the same".to_string(),
            (true, _) => "as expected".to_string(),
            (false, tone) => format!(
                "UNEXPECTED, expected `{}`{}",
                r.expected_label,
                match tone {
                    Tone::Regression => ", and worse",
                    Tone::Improvement => ", and better",
                    _ => "",
                }
            ),
        };
        let outcome = if r.label == r.outcome.as_str() {
            String::new()
        } else {
            format!("outcome `{}`; ", r.outcome)
        };
        out.push_str(&format!(
            "- `{}` on `{}`: **{}**, {} ({outcome}{verdict}): {}\n",
            c.scenario,
            c.column(),
            r.label,
            reading::meaning(r.outcome, c.refusal),
            escape(&c.evidence)
        ));
        if let Some(because) = &c.expected_because {
            out.push_str(&format!("  - because: {}\n", escape(because)));
        }
        if let Some(reference) = &c.expected_reference {
            out.push_str(&format!("  - reference: {}\n", reference_text(reference)));
        }
    }
}

/// A URL as an autolink, anything else as text.
fn reference_text(reference: &str) -> String {
    let url = reference.trim();
    if (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(char::is_whitespace)
        && !url.contains(['<', '>'])
    {
        format!("<{url}>")
    } else {
        escape(reference)
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{cell, path_cell, report};

    fn refusal(mut c: Cell) -> Cell {
        c.refusal = true;
        c
    }

    #[test]
    fn a_refused_attack_reads_refused_and_an_accepted_one_is_loud() {
        let mut expected_security = refusal(cell(
            "auth/attack-embedded-jwk",
            "v3.0.0-alpha.1",
            Outcome::Security,
        ));
        expected_security.expected = Outcome::Security;
        expected_security.expected_because = Some("alpha.1 trusts the jwk | header".into());
        expected_security.expected_reference =
            Some("https://github.com/distribution/distribution/pull/4257".into());
        let md = render(&report(vec![
            refusal(cell("auth/attack-alg-none", "v2.8.3", Outcome::Pass)),
            refusal(cell("auth/attack-alg-none", "v3.0.0", Outcome::Security)),
            expected_security,
        ]));
        assert!(
            md.contains("| `auth/attack-alg-none` | refused | **accepted** (security, expected refused) | — |"),
            "{md}"
        );
        assert!(
            md.contains("| `auth/attack-embedded-jwk` | — | — | **accepted** (security) |"),
            "{md}"
        );
        assert!(!md.contains("| pass |"), "{md}");
        // Both alarms have notes; the refused cell has none.
        assert!(md.contains(
            "- `auth/attack-alg-none` on `v3.0.0`: **accepted**, accepted a token it must refuse (outcome `security`; UNEXPECTED, expected `refused`): auth/attack-alg-none on v3.0.0: security\n"
        ), "{md}");
        assert!(!md.contains("on `v2.8.3`"), "{md}");
        assert!(
            md.contains("  - because: alpha.1 trusts the jwk \\| header\n"),
            "{md}"
        );
        assert!(
            md.contains(
                "  - reference: <https://github.com/distribution/distribution/pull/4257>\n"
            ),
            "{md}"
        );
    }

    #[test]
    fn cells_read_by_tone() {
        let mut known = cell("s", "v1", Outcome::Fail);
        known.expected = Outcome::Fail;
        let mut better = cell("s", "v1", Outcome::Pass);
        better.expected = Outcome::Fail;
        let mut muted = cell("s", "v1", Outcome::Unsupported);
        muted.expected = Outcome::Unsupported;
        for (c, want) in [
            (cell("s", "v1", Outcome::Pass), "pass"),
            (known, "fail (known)"),
            (cell("s", "v1", Outcome::Fail), "**fail** (expected pass)"),
            (better, "**pass** (expected fail, better)"),
            (muted, "unsupported"),
            (cell("s", "v1", Outcome::Error), "**error** (expected pass)"),
            (
                cell("s", "v1", Outcome::DataLoss),
                "**data-loss** (expected pass)",
            ),
        ] {
            assert_eq!(cell_text(c.reading()), want);
        }
    }

    #[test]
    fn upgrade_paths_get_a_grid_of_their_own() {
        let mut rollback = path_cell("upgrade/in-place", "v3.1.1", "v3.0.0", Outcome::Fail);
        rollback.expected = Outcome::Fail;
        rollback.expected_because = Some("3.0 cannot read 3.1's layout".into());
        rollback.expected_reference = Some("registry/storage/driver/azure/azure.go".into());
        let mut r = report(vec![
            cell("auth/x", "v3.0.0", Outcome::Pass),
            path_cell("upgrade/in-place", "v3.0.0", "v3.1.1", Outcome::Pass),
            rollback,
        ]);
        r.versions.push(crate::report::VersionInfo {
            tag: "v3.1.1".into(),
            version_line: "registry v3.1.1".into(),
            image: None,
        });
        let md = render(&r);
        assert!(
            md.contains("| scenario | v3.0.0 |\n|---|---|\n| `auth/x` | pass |\n"),
            "the version grid has neither the upgrade row nor an empty column:\n{md}"
        );
        assert!(
            md.contains("## Upgrade paths\n\nEach column is `from -> to`"),
            "{md}"
        );
        assert!(
            md.contains(
                "| scenario | v3.0.0 -> v3.1.1 | v3.1.1 -> v3.0.0 (rollback) |\n|---|---|---|\n\
                 | `upgrade/in-place` | pass | fail (known) |\n"
            ),
            "{md}"
        );
        assert!(
            md.contains("- `upgrade/in-place` on `v3.1.1 -> v3.0.0`: **fail**, the registry refused them (as expected): upgrade/in-place on v3.1.1 -> v3.0.0: fail"),
            "{md}"
        );
        assert!(md.contains("  - because: 3.0 cannot read 3.1's layout\n"));
        assert!(md.contains("  - reference: registry/storage/driver/azure/azure.go\n"));
    }
}
