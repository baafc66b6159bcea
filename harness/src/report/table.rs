//! The matrix as a plain-text table for the terminal.

use super::MatrixReport;

pub fn render(report: &MatrixReport) -> String {
    let first = report
        .scenarios
        .iter()
        .map(|s| s.id.len())
        .max()
        .unwrap_or(8)
        .max("scenario".len());
    let widths: Vec<usize> = report
        .versions
        .iter()
        .map(|v| v.tag.len().max("unsupported!".len()))
        .collect();
    let mut out = format!("{:first$}", "scenario");
    for (v, w) in report.versions.iter().zip(&widths) {
        out.push_str(&format!("  {:w$}", v.tag));
    }
    out.push('\n');
    for s in &report.scenarios {
        out.push_str(&format!("{:first$}", s.id));
        for (v, w) in report.versions.iter().zip(&widths) {
            let text = match report.cell(&s.id, &v.tag) {
                // `!` marks an outcome the scenario did not expect.
                Some(c) if !c.as_expected() => format!("{}!", c.outcome),
                Some(c) => c.outcome.to_string(),
                None => "-".into(),
            };
            out.push_str(&format!("  {text:w$}"));
        }
        out.push('\n');
    }
    out
}
