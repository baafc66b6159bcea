//! The matrix as one self-contained HTML page: a filterable grid with one
//! row per scenario and one column per version, a second grid with one
//! column per upgrade path (`from -> to`) when the report has upgrade cells,
//! and a detail panel with a cell's evidence, reason and reference, steps
//! (with their phase and the version that served them), storage traffic,
//! identity calls and registry log. Cells read and are coloured as
//! `Cell::reading` says: by tone (expected or not, and how bad), not by
//! pass/fail; a refused attack reads `refused`.
//!
//! It only reads the report model. It must fetch nothing: CSS, JS and SVG are
//! inline, the page's Content-Security-Policy allows only its own script and
//! style (by hash), and every string from the report passes through
//! [`escape`]. Everything is rendered here, in Rust; the inline script only
//! filters rows and copies a cell's pre-rendered detail into the panel, so it
//! never turns report text into markup.

use std::collections::BTreeMap;

use super::grid::{self, Grid, GridKind};
use super::{reading, Cell, MatrixReport, Outcome, Reading, ScenarioInfo, Tone};

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
    let grids = grid::grids(report);
    let mut body = String::new();
    body.push_str(&header(report));
    body.push_str("<main>\n<div class=\"matrix-pane\" id=\"matrices\">\n");
    body.push_str(&filters(&grids, &areas));
    for grid in &grids {
        body.push_str(&matrix(grid));
    }
    body.push_str("</div>\n");
    body.push_str(
        "<section id=\"details\" class=\"details\" aria-live=\"polite\" aria-label=\"Cell details\">\
         <p class=\"placeholder\">Click a cell to see its evidence, the scenario's reason and \
         reference, steps, storage traffic, identity calls and registry log.</p></section>\n",
    );
    body.push_str("</main>\n");
    body.push_str(&detail_store(report, &grids));
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

/// The class that colours a tone.
fn tone_class(tone: Tone) -> String {
    format!("t-{}", tone.as_str())
}

/// A reading as a coloured label.
pub(super) fn badge(reading: Reading) -> String {
    format!(
        "<span class=\"badge {}\" title=\"{}\">{}</span>",
        tone_class(reading.tone),
        escape(reading.outcome.as_str()),
        escape(reading.label)
    )
}

/// The words an outcome can read as: `pass / refused`, `security`
/// (`accepted`): from the model, for legends and filters.
fn outcome_words(outcome: Outcome) -> String {
    let plain = reading::label(outcome, false);
    let refusal = reading::label(outcome, true);
    let mut words = vec![outcome.as_str()];
    for label in [plain, refusal] {
        if !words.contains(&label) {
            words.push(label);
        }
    }
    words.join(" / ")
}

fn header(report: &MatrixReport) -> String {
    let mut out = String::from("<header>\n<h1>regmatrix compatibility matrix</h1>\n");
    let paths = if report.paths.is_empty() {
        String::new()
    } else {
        format!(" and {} upgrade paths", report.paths.len())
    };
    out.push_str(&format!(
        "<p class=\"meta\">Generated <time>{}</time> by regmatrix {} (report schema {}): \
         {} scenarios &times; {} versions{paths}, {} cells.</p>\n",
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
    if report.run.lower_bound_ms > 0 {
        out.push_str(&format!(
            "<p class=\"meta\" id=\"schedule\">Schedule: lower bound {:.1} s (the longest cell, or \
             all CPU over {} cores: {:.1} s); wall time is {:.2}&times; the bound.</p>\n",
            report.run.lower_bound_ms as f64 / 1000.0,
            report.run.cores,
            (report.run.harness_cpu_ms + report.run.process_cpu_ms) as f64 / 1000.0,
            report.run.wall_to_lower_bound
        ));
    }
    if let Some(set) = &report.version_set {
        out.push_str(&format!(
            "<p class=\"meta\" id=\"version-set\">Versions: <code>{}</code>{}{}</p>\n",
            escape(&set.expression),
            match set.releases {
                0 => String::new(),
                n => format!(", resolved against {n} releases"),
            },
            set.offline
                .as_ref()
                .map(|why| format!(
                    "; offline (the Go module proxy did not answer: {}), the versions built in the cache stood in",
                    escape(why)
                ))
                .unwrap_or_default()
        ));
    }
    let from_range = count(report, |c| c.expectation_from_range);
    if from_range > 0 {
        out.push_str(&format!(
            "<p class=\"note\" id=\"from-range\">{from_range} {} <em>expected from a range</em>: \
             no expectation row names the version, as for a release newer than the scenarios; \
             what they show is new.</p>\n",
            if from_range == 1 {
                "cell is"
            } else {
                "cells are"
            }
        ));
    }
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
            "<p class=\"alert\" role=\"alert\">{security} {} <code>security</code> (accepted): a \
             registry accepted a token it must refuse. These rows come first.</p>\n",
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
    out.push_str("<ul class=\"legend\" id=\"legend-tones\" aria-label=\"Colours\">\n");
    for tone in Tone::ALL {
        out.push_str(&format!(
            "<li><span class=\"badge {}\">{}</span> <span>{} ({})</span></li>\n",
            tone_class(tone),
            tone.as_str(),
            escape(tone.meaning()),
            count(report, |c| c.reading().tone == tone)
        ));
    }
    out.push_str(
        "<li><span class=\"badge t-regression unexpected-sample\"><b>!</b> fail</span> \
         <span>outlined: not the expected outcome</span></li>\n</ul>\n",
    );
    out.push_str("<ul class=\"legend legend-words\" aria-label=\"Outcomes\">\n");
    for outcome in OUTCOMES {
        let mut meaning = reading::meaning(outcome, false).to_string();
        let refusal = reading::meaning(outcome, true);
        if refusal != meaning {
            meaning = format!(
                "{meaning}; {} (a scenario that checks a refusal): {refusal}",
                reading::label(outcome, true)
            );
        }
        out.push_str(&format!(
            "<li><code>{}</code> <span>{} ({})</span></li>\n",
            escape(&outcome_words(outcome)),
            escape(&meaning),
            count(report, |c| c.outcome == outcome)
        ));
    }
    out.push_str("</ul>\n");
    out.push_str("<details class=\"versions\"><summary>Versions</summary><ul>\n");
    for v in &report.versions {
        let image = v.image.as_deref().map_or(String::new(), |image| {
            format!(", as image <code>{}</code>", escape(image))
        });
        out.push_str(&format!(
            "<li><code>{}</code>: <code>{}</code>{image}</li>\n",
            escape(&v.tag),
            escape(&v.version_line)
        ));
    }
    for p in &report.paths {
        out.push_str(&format!(
            "<li><code>{}</code>: <code>{}</code> writes, then <code>{}</code> starts on the \
             same storage{}</li>\n",
            escape(&p.to_string()),
            escape(&p.from),
            escape(&p.to),
            if report.is_rollback(p) {
                " (a rollback)"
            } else {
                ""
            }
        ));
    }
    out.push_str("</ul></details>\n</header>\n");
    out
}

fn count(report: &MatrixReport, pred: impl Fn(&Cell) -> bool) -> usize {
    report.cells.iter().filter(|c| pred(c)).count()
}

fn filters(grids: &[Grid<'_>], areas: &BTreeMap<&str, usize>) -> String {
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
    out.push_str("</fieldset>\n<fieldset id=\"filter-version\"><legend>Version or path</legend>");
    for column in grids.iter().flat_map(|g| &g.columns) {
        out.push_str(&checkbox(&column.key, escape(&column.key)));
    }
    out.push_str("</fieldset>\n<fieldset id=\"filter-outcome\"><legend>Outcome</legend>");
    for outcome in OUTCOMES {
        out.push_str(&checkbox(
            outcome.as_str(),
            format!("<code>{}</code>", escape(&outcome_words(outcome))),
        ));
    }
    out.push_str(
        "</fieldset>\n<fieldset><legend>Show</legend><label><input type=\"checkbox\" \
         id=\"filter-unexpected\"> only unexpected</label> \
         <button type=\"reset\" id=\"filter-reset\">show all</button> \
         <output id=\"shown-count\"></output></fieldset>\n</form>\n",
    );
    out
}

/// A cell's tooltip: its reading, evidence, and the scenario's reason and
/// reference.
fn cell_title(cell: &Cell, r: Reading) -> String {
    let mut lines = vec![format!(
        "{}: {}",
        r.text(),
        reading::meaning(cell.outcome, cell.refusal)
    )];
    lines.push(cell.evidence.clone());
    if let Some(because) = &cell.expected_because {
        lines.push(format!("because: {because}"));
    }
    if let Some(reference) = &cell.expected_reference {
        lines.push(format!("reference: {reference}"));
    }
    lines.join("\n")
}

fn matrix(grid: &Grid<'_>) -> String {
    let (id, caption) = match grid.kind {
        GridKind::Versions => ("matrix", String::new()),
        GridKind::Paths => (
            "paths",
            "<caption>Upgrade paths: <code>from -&gt; to</code>, <code>from</code> writes, then \
             <code>to</code> starts on the same storage</caption>"
                .to_string(),
        ),
    };
    let mut out = format!(
        "<table class=\"matrix\" id=\"{id}\" data-grid=\"{}\">{caption}\n<thead><tr><th scope=\"col\">scenario</th>",
        grid.kind.id()
    );
    for column in &grid.columns {
        let title = column
            .version_line
            .map(str::to_string)
            .unwrap_or_else(|| column.title());
        out.push_str(&format!(
            "<th scope=\"col\" data-version=\"{}\" title=\"{}\"{}>{}{}</th>",
            escape(&column.key),
            escape(&title),
            if column.rollback {
                " class=\"rollback\""
            } else {
                ""
            },
            escape(&column.key),
            if column.rollback {
                "<small>rollback</small>"
            } else {
                ""
            }
        ));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (row, s) in grid.rows.iter().enumerate() {
        let area = escape(area(&s.id));
        let id = escape(&s.id);
        out.push_str(&format!(
            "<tr data-scenario=\"{id}\" data-area=\"{area}\"><th scope=\"row\" title=\"{}\">\
             <code>{id}</code><span class=\"scenario-title\">{}</span></th>",
            escape(&s.title),
            escape(&s.title)
        ));
        for (col, column) in grid.columns.iter().enumerate() {
            let version = escape(&column.key);
            let Some(cell) = grid.cell(&s.id, column) else {
                out.push_str(&format!(
                    "<td class=\"absent\" data-version=\"{version}\" title=\"not in this report\">&mdash;</td>"
                ));
                continue;
            };
            let r = cell.reading();
            let unexpected = !r.as_expected();
            let mut text = String::new();
            if unexpected {
                text.push_str("<b class=\"bang\">!</b> ");
            }
            text.push_str(&escape(r.label));
            if r.tone == Tone::Alarm && r.label != r.outcome.as_str() {
                text.push_str(&format!("<small>{}</small>", r.outcome));
            }
            if unexpected {
                text.push_str(&format!(
                    "<small>expected {}</small>",
                    escape(r.expected_label)
                ));
            }
            if !cell.observations.is_empty() {
                text.push_str(&format!("<small>{}</small>", tally(cell)));
            }
            if cell.expectation_from_range {
                text.push_str("<small class=\"from-range\">expected from a range</small>");
            }
            out.push_str(&format!(
                "<td class=\"cell {}{}\"{} data-scenario=\"{id}\" data-version=\"{version}\" \
                 data-outcome=\"{}\" data-expected=\"{}\" data-area=\"{area}\" data-tone=\"{}\" \
                 data-detail=\"{}\" title=\"{}\"><button type=\"button\" aria-pressed=\"false\" \
                 aria-controls=\"details\">{text}</button></td>",
                tone_class(r.tone),
                if unexpected { " unexpected" } else { "" },
                if cell.expectation_from_range {
                    " data-from-range=\"true\""
                } else {
                    ""
                },
                cell.outcome.as_str(),
                cell.expected.as_str(),
                r.tone.as_str(),
                detail_id(grid.kind, row, col),
                escape(&cell_title(cell, r)),
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

pub(super) fn detail_id(kind: GridKind, row: usize, col: usize) -> String {
    format!("detail-{}-{row}-{col}", kind.id())
}
