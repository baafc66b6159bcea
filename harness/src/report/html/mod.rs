//! The matrix as one self-contained HTML page: a filterable table with one
//! row per scenario and one column per version, and a detail panel with a
//! cell's evidence, steps, storage traffic, identity calls and registry log.
//!
//! It only reads the report model. It must fetch nothing: CSS, JS and SVG are
//! inline, the page's Content-Security-Policy allows only its own script and
//! style (by hash), and every string from the report passes through
//! [`escape`]. Everything is rendered here, in Rust; the inline script only
//! filters rows and copies a cell's pre-rendered detail into the panel, so it
//! never turns report text into markup.

use std::collections::BTreeMap;

use super::{Cell, MatrixReport, Outcome, ScenarioInfo};

mod chart;
mod detail;
mod page;
#[cfg(test)]
mod tests;

pub use chart::bar_chart_svg;
use detail::{detail_store, tally};
pub use page::{escape, page};
use page::{SCRIPT, STYLE};

/// Every outcome, in legend and filter order: the loudest first.
const OUTCOMES: [Outcome; 8] = [
    Outcome::DataLoss,
    Outcome::Security,
    Outcome::NoRecovery,
    Outcome::Error,
    Outcome::Flaky,
    Outcome::Fail,
    Outcome::Pass,
    Outcome::Unsupported,
];

pub fn render(report: &MatrixReport) -> String {
    let areas = areas(&report.scenarios);
    let rows = ordered_rows(report);
    let mut body = String::new();
    body.push_str(&header(report));
    body.push_str("<main>\n<div class=\"matrix-pane\">\n");
    body.push_str(&filters(report, &areas));
    body.push_str(&matrix(report, &rows));
    body.push_str("</div>\n");
    body.push_str(
        "<section id=\"details\" class=\"details\" aria-live=\"polite\" aria-label=\"Cell details\">\
         <p class=\"placeholder\">Click a cell to see its evidence, steps, storage traffic, \
         identity calls and registry log.</p></section>\n",
    );
    body.push_str("</main>\n");
    body.push_str(&detail_store(report, &rows));
    page(
        &format!("regmatrix matrix, {}", report.generated_at),
        STYLE,
        &body,
        Some(SCRIPT),
    )
}

/// The part of a scenario id before its `/`: `storage`, `auth`.
fn area(scenario_id: &str) -> &str {
    scenario_id
        .split_once('/')
        .map(|(area, _)| area)
        .unwrap_or("other")
}

fn areas(scenarios: &[ScenarioInfo]) -> BTreeMap<&str, usize> {
    let mut out = BTreeMap::new();
    for s in scenarios {
        *out.entry(area(&s.id)).or_insert(0) += 1;
    }
    out
}

/// Scenarios with a `security` cell first, then those with an unexpected
/// outcome, then the rest, each group in report order.
fn ordered_rows(report: &MatrixReport) -> Vec<&ScenarioInfo> {
    let mut rows: Vec<&ScenarioInfo> = report.scenarios.iter().collect();
    rows.sort_by_key(|s| {
        let cells = || report.cells.iter().filter(|c| c.scenario == s.id);
        if cells().any(|c| c.outcome.is_alarm()) {
            0
        } else if cells().any(|c| !c.as_expected()) {
            1
        } else {
            2
        }
    });
    rows
}

/// The class that colors an outcome. Exhaustive, so a new outcome must
/// choose its color here.
fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Security => "o-security",
        Outcome::Pass => "o-pass",
        Outcome::Fail => "o-fail",
        Outcome::Unsupported => "o-unsupported",
        Outcome::Error => "o-error",
        Outcome::Flaky => "o-flaky",
        Outcome::DataLoss => "o-data-loss",
        Outcome::NoRecovery => "o-no-recovery",
    }
}

fn outcome_meaning(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Security => "accepted a token it must refuse",
        Outcome::Pass => "the scenario's operations succeeded",
        Outcome::Fail => "the registry refused them",
        Outcome::Unsupported => "the version cannot express the scenario",
        Outcome::Error => "the harness could not run it",
        Outcome::Flaky => "repeated runs disagreed",
        Outcome::DataLoss => "acknowledged data it then lost",
        Outcome::NoRecovery => "did not recover after the faults stopped",
    }
}

pub(super) fn badge(outcome: Outcome) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        outcome_class(outcome),
        outcome
    )
}

fn header(report: &MatrixReport) -> String {
    let mut out = String::from("<header>\n<h1>regmatrix compatibility matrix</h1>\n");
    out.push_str(&format!(
        "<p class=\"meta\">Generated <time>{}</time> by regmatrix {} (report schema {}): \
         {} scenarios &times; {} versions, {} cells.</p>\n",
        escape(&report.generated_at),
        escape(&report.harness_version),
        report.schema_version,
        report.scenarios.len(),
        report.versions.len(),
        report.cells.len()
    ));
    out.push_str(&format!(
        "<p class=\"meta\" id=\"run-stats\">Run: {:.1} s wall with {} jobs; the harness itself used \
         {:.1} s CPU and peaked at {:.1} MiB RSS.</p>\n",
        report.run.wall_ms as f64 / 1000.0,
        report.run.jobs,
        report.run.harness_cpu_ms as f64 / 1000.0,
        report.run.harness_peak_rss_kib as f64 / 1024.0
    ));
    if let Some(shard) = report.shard {
        out.push_str(&format!(
            "<p class=\"note\">Shard {} of {}: this report holds only part of the matrix; \
             cells of other shards show &mdash;.</p>\n",
            shard.index, shard.count
        ));
    }
    let lost = count(report, |c| c.outcome == Outcome::DataLoss);
    if lost > 0 {
        out.push_str(&format!(
            "<p class=\"alert\" role=\"alert\">{lost} {} <code>data-loss</code>: a registry \
             acknowledged data it then could not return. These rows come first.</p>\n",
            if lost == 1 { "cell is" } else { "cells are" }
        ));
    }
    let security = count(report, |c| c.outcome == Outcome::Security);
    if security > 0 {
        out.push_str(&format!(
            "<p class=\"alert\" role=\"alert\">{security} {} <code>security</code>: a registry \
             accepted a token it must refuse. These rows come first.</p>\n",
            if security == 1 {
                "cell is"
            } else {
                "cells are"
            }
        ));
    }
    let errors = count(report, |c| c.outcome == Outcome::Error);
    if errors > 0 {
        out.push_str(&format!(
            "<p class=\"alert alert-error\" role=\"alert\">{errors} {} <code>error</code>: the \
             harness could not run {}.</p>\n",
            if errors == 1 { "cell is" } else { "cells are" },
            if errors == 1 { "it" } else { "them" }
        ));
    }
    let unexpected = count(report, |c| !c.as_expected());
    out.push_str(&format!(
        "<p class=\"{}\">{unexpected} {} from the scenario's expectation{}.</p>\n",
        if unexpected > 0 { "warn" } else { "meta" },
        if unexpected == 1 {
            "cell differs"
        } else {
            "cells differ"
        },
        if unexpected > 0 {
            "; they are outlined and marked <b>!</b>"
        } else {
            ""
        }
    ));
    out.push_str("<ul class=\"legend\" aria-label=\"Outcomes\">\n");
    for outcome in OUTCOMES {
        out.push_str(&format!(
            "<li>{} <span>{} ({})</span></li>\n",
            badge(outcome),
            outcome_meaning(outcome),
            count(report, |c| c.outcome == outcome)
        ));
    }
    out.push_str(
        "<li><span class=\"badge o-fail unexpected-sample\"><b>!</b> fail</span> \
         <span>outlined: not the expected outcome</span></li>\n</ul>\n",
    );
    out.push_str("<details class=\"versions\"><summary>Versions</summary><ul>\n");
    for v in &report.versions {
        out.push_str(&format!(
            "<li><code>{}</code>: <code>{}</code></li>\n",
            escape(&v.tag),
            escape(&v.version_line)
        ));
    }
    out.push_str("</ul></details>\n</header>\n");
    out
}

fn count(report: &MatrixReport, pred: impl Fn(&Cell) -> bool) -> usize {
    report.cells.iter().filter(|c| pred(c)).count()
}

fn filters(report: &MatrixReport, areas: &BTreeMap<&str, usize>) -> String {
    let checkbox = |value: &str, label: String| {
        format!(
            "<label><input type=\"checkbox\" value=\"{}\" checked> {label}</label>",
            escape(value)
        )
    };
    let mut out = String::from("<form class=\"filters\" id=\"filters\" aria-label=\"Filters\">\n");
    out.push_str("<fieldset id=\"filter-area\"><legend>Area</legend>");
    for (area, n) in areas {
        out.push_str(&checkbox(area, format!("{} ({n})", escape(area))));
    }
    out.push_str("</fieldset>\n<fieldset id=\"filter-version\"><legend>Version</legend>");
    for v in &report.versions {
        out.push_str(&checkbox(&v.tag, escape(&v.tag)));
    }
    out.push_str("</fieldset>\n<fieldset id=\"filter-outcome\"><legend>Outcome</legend>");
    for outcome in OUTCOMES {
        out.push_str(&checkbox(outcome.as_str(), badge(outcome)));
    }
    out.push_str(
        "</fieldset>\n<fieldset><legend>Show</legend><label><input type=\"checkbox\" \
         id=\"filter-unexpected\"> only unexpected</label> \
         <button type=\"reset\" id=\"filter-reset\">show all</button> \
         <output id=\"shown-count\"></output></fieldset>\n</form>\n",
    );
    out
}

fn matrix(report: &MatrixReport, rows: &[&ScenarioInfo]) -> String {
    let mut out = String::from(
        "<table class=\"matrix\" id=\"matrix\">\n<thead><tr><th scope=\"col\">scenario</th>",
    );
    for v in &report.versions {
        out.push_str(&format!(
            "<th scope=\"col\" data-version=\"{}\" title=\"{}\">{}</th>",
            escape(&v.tag),
            escape(&v.version_line),
            escape(&v.tag)
        ));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (row, s) in rows.iter().enumerate() {
        let area = escape(area(&s.id));
        let id = escape(&s.id);
        out.push_str(&format!(
            "<tr data-scenario=\"{id}\" data-area=\"{area}\"><th scope=\"row\" title=\"{}\">\
             <code>{id}</code><span class=\"scenario-title\">{}</span></th>",
            escape(&s.title),
            escape(&s.title)
        ));
        for (col, v) in report.versions.iter().enumerate() {
            let version = escape(&v.tag);
            let Some(cell) = report.cell(&s.id, &v.tag) else {
                out.push_str(&format!(
                    "<td class=\"absent\" data-version=\"{version}\" title=\"not in this report\">&mdash;</td>"
                ));
                continue;
            };
            let unexpected = !cell.as_expected();
            let mut text = String::new();
            if unexpected {
                text.push_str("<b class=\"bang\">!</b> ");
            }
            text.push_str(cell.outcome.as_str());
            if unexpected {
                text.push_str(&format!(
                    "<small>expected {}</small>",
                    cell.expected.as_str()
                ));
            }
            if !cell.observations.is_empty() {
                text.push_str(&format!("<small>{}</small>", tally(cell)));
            }
            out.push_str(&format!(
                "<td class=\"cell {}{}\" data-scenario=\"{id}\" data-version=\"{version}\" \
                 data-outcome=\"{}\" data-expected=\"{}\" data-area=\"{area}\" \
                 data-detail=\"{}\" title=\"{}\"><button type=\"button\" aria-pressed=\"false\" \
                 aria-controls=\"details\">{text}</button></td>",
                outcome_class(cell.outcome),
                if unexpected { " unexpected" } else { "" },
                cell.outcome.as_str(),
                cell.expected.as_str(),
                detail_id(row, col),
                escape(&cell.evidence),
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

pub(super) fn detail_id(row: usize, col: usize) -> String {
    format!("detail-{row}-{col}")
}
