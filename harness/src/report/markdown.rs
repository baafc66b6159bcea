//! The Markdown matrix: fits a GitHub step summary or a PR comment. One row
//! per scenario, one column per version; unexpected cells first in the notes.

use super::{Cell, MatrixReport};

pub fn render(report: &MatrixReport) -> String {
    let mut out = String::from("# regmatrix compatibility matrix\n\n");
    out.push_str(&format!(
        "Generated {} by regmatrix {} (schema {}).\n\n",
        report.generated_at, report.harness_version, report.schema_version
    ));
    out.push_str("| scenario |");
    for v in &report.versions {
        out.push_str(&format!(" {} |", v.tag));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(report.versions.len()));
    out.push('\n');
    // Scenarios where any version accepted what it must refuse lead the table.
    let mut scenarios: Vec<_> = report.scenarios.iter().collect();
    scenarios.sort_by_key(|s| {
        !report
            .cells
            .iter()
            .any(|c| c.scenario == s.id && c.outcome.is_alarm())
    });
    for scenario in scenarios {
        out.push_str(&format!("| `{}` |", scenario.id));
        for v in &report.versions {
            let text = report
                .cell(&scenario.id, &v.tag)
                .map(cell_text)
                .unwrap_or_else(|| "—".into());
            out.push_str(&format!(" {text} |"));
        }
        out.push('\n');
    }
    out.push_str(
        "\nLegend: **bold** marks an outcome that differs from the scenario's expectation.\n",
    );
    out.push_str(&format!(
        "\nRun: {:.1}s wall with {} jobs; the harness itself used {:.1}s CPU and peaked at {:.1} MiB RSS.\n",
        report.run.wall_ms as f64 / 1000.0,
        report.run.jobs,
        report.run.harness_cpu_ms as f64 / 1000.0,
        report.run.harness_peak_rss_kib as f64 / 1024.0
    ));
    out.push_str("\n## Versions\n\n");
    for v in &report.versions {
        out.push_str(&format!("- `{}`: `{}`\n", v.tag, v.version_line));
    }
    let mut notes: Vec<&Cell> = report
        .cells
        .iter()
        .filter(|c| c.outcome.as_str() != "pass" || !c.as_expected())
        .collect();
    // Security findings first, whatever was expected; then surprises.
    notes.sort_by_key(|c| {
        (
            !c.outcome.is_alarm(),
            c.as_expected(),
            c.scenario.clone(),
            c.version.clone(),
        )
    });
    if !notes.is_empty() {
        out.push_str("\n## Evidence for every cell that is not `pass`\n\n");
        for c in notes {
            let marker = if c.as_expected() {
                String::new()
            } else {
                format!(" (UNEXPECTED, expected `{}`)", c.expected)
            };
            let reference = c
                .expected_reference
                .as_deref()
                .map(|r| format!(" (reference: {})", escape(r)))
                .unwrap_or_default();
            out.push_str(&format!(
                "- `{}` on `{}`: **{}**{}: {}{reference}\n",
                c.scenario,
                c.column(),
                c.outcome,
                marker,
                escape(&c.evidence)
            ));
        }
    }
    out
}

fn cell_text(cell: &Cell) -> String {
    if cell.as_expected() {
        cell.outcome.to_string()
    } else {
        format!("**{}** (expected {})", cell.outcome, cell.expected)
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
