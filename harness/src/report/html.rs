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

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{Cell, MatrixReport, Outcome, ScenarioInfo, TrafficSummary};
use regmatrix_model::StepObservation;

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

/// HTTP exchanges listed per step; the rest are counted, not shown.
const REQUESTS_PER_STEP: usize = 20;
/// Request paths longer than this (upload `_state` tokens) are cut.
const PATH_CHARS: usize = 160;

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

/// A self-contained page around `body`: its inline style and optional
/// script are the only ones the Content-Security-Policy allows (by hash),
/// and it may fetch nothing. The bench report uses it too.
pub fn page(title: &str, style: &str, body: &str, script: Option<&str>) -> String {
    let script_src = script.map_or("'none'".to_string(), |s| format!("'{}'", csp_hash(s)));
    let csp = format!(
        "default-src 'none'; style-src '{}'; script-src {script_src}; img-src 'none'; \
         base-uri 'none'; form-action 'none'",
        csp_hash(style),
    );
    let mut out = String::with_capacity(body.len() + style.len() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n",
        escape(&csp)
    ));
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(title)));
    out.push_str(&format!("<style>{style}</style>\n</head>\n<body>\n"));
    out.push_str(body);
    if let Some(script) = script {
        out.push_str(&format!("<script>{script}</script>\n"));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A horizontal SVG bar chart of `series` (label, value), for inlining in
/// the page; empty when the series is. Non-finite and negative values draw
/// no bar. Labels are escaped; the SVG has no external references.
pub fn bar_chart_svg(title: &str, unit: &str, series: &[(String, f64)]) -> String {
    if series.is_empty() {
        return String::new();
    }
    const BAR_AREA: f64 = 420.0;
    const ROW: f64 = 24.0;
    const TOP: f64 = 28.0;
    let label_width = series
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 40) as f64
        * 7.5
        + 12.0;
    let drawable = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
    let max = series
        .iter()
        .map(|(_, v)| drawable(*v))
        .fold(0.0_f64, f64::max);
    let width = label_width + BAR_AREA + 110.0;
    let height = TOP + ROW * series.len() as f64 + 8.0;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{t}\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\"><title>{t}</title>\
         <text x=\"0\" y=\"16\" class=\"chart-title\">{t}</text>",
        t = escape(title)
    );
    for (i, (label, value)) in series.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let bar = if max > 0.0 {
            drawable(*value) / max * BAR_AREA
        } else {
            0.0
        };
        let shown = if value.is_finite() {
            format!("{} {}", format_number(*value), unit)
        } else {
            "n/a".to_string()
        };
        svg.push_str(&format!(
            "<g class=\"bar\"><text x=\"{lx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{label_width:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" rx=\"2\"></rect>\
             <text x=\"{vx:.1}\" y=\"{ty:.1}\">{shown}</text></g>",
            lx = label_width - 8.0,
            ty = y + 15.0,
            h = ROW - 6.0,
            vx = label_width + bar + 6.0,
            label = escape(label),
            shown = escape(shown.trim_end()),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Escapes text for HTML element content and double- or single-quoted
/// attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn csp_hash(inline: &str) -> String {
    let digest = Sha256::digest(inline.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
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

fn badge(outcome: Outcome) -> String {
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

fn detail_id(row: usize, col: usize) -> String {
    format!("detail-{row}-{col}")
}

/// `2 pass, 1 fail` over a repeated cell's runs.
fn tally(cell: &Cell) -> String {
    let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
    for o in &cell.observations {
        *counts.entry(o.outcome).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(o, n)| format!("{n} {o}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every cell's detail, rendered once and hidden; the script copies the
/// clicked one into `#details`.
fn detail_store(report: &MatrixReport, rows: &[&ScenarioInfo]) -> String {
    let mut out = String::from("<div id=\"cell-details\" hidden>\n");
    for (row, s) in rows.iter().enumerate() {
        for (col, v) in report.versions.iter().enumerate() {
            if let Some(cell) = report.cell(&s.id, &v.tag) {
                out.push_str(&detail(s, cell, &detail_id(row, col)));
            }
        }
    }
    out.push_str("</div>\n");
    out
}

fn detail(scenario: &ScenarioInfo, cell: &Cell, id: &str) -> String {
    let mut out = format!(
        "<article class=\"cell-detail\" id=\"{id}\" data-scenario=\"{}\" data-version=\"{}\">\n\
         <h2><code>{}</code> on <code>{}</code></h2>\n<p class=\"scenario-title\">{}</p>\n\
         <p class=\"file\"><code>{}</code></p>\n",
        escape(&cell.scenario),
        escape(&cell.version),
        escape(&cell.scenario),
        escape(&cell.version),
        escape(&scenario.title),
        escape(&scenario.file)
    );
    out.push_str("<dl class=\"facts\">");
    out.push_str(&format!("<dt>outcome</dt><dd>{}", badge(cell.outcome)));
    if !cell.as_expected() {
        out.push_str(" <strong class=\"unexpected-note\">unexpected</strong>");
    }
    out.push_str("</dd>");
    out.push_str(&format!(
        "<dt>expected</dt><dd>{}</dd>",
        badge(cell.expected)
    ));
    if let Some(because) = &cell.expected_because {
        out.push_str(&format!(
            "<dt>because</dt><dd class=\"because\">{}</dd>",
            escape(because)
        ));
    }
    out.push_str(&format!(
        "<dt>duration</dt><dd>{}</dd></dl>\n",
        duration(cell.duration_ms)
    ));
    out.push_str(&format!(
        "<h3>Evidence</h3>\n<p class=\"evidence\">{}</p>\n",
        escape(&cell.evidence)
    ));
    if !cell.observations.is_empty() {
        out.push_str(&format!(
            "<h3>Observations ({} runs: {})</h3>\n<table class=\"observations\"><thead><tr>\
             <th>run</th><th>outcome</th><th>duration</th><th>evidence</th></tr></thead><tbody>",
            cell.observations.len(),
            tally(cell)
        ));
        for (i, o) in cell.observations.iter().enumerate() {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                badge(o.outcome),
                duration(o.duration_ms),
                escape(&o.evidence)
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str(&steps(&cell.steps));
    out.push_str(&traffic(&cell.storage_traffic));
    out.push_str(&identity(cell));
    out.push_str("<h3>Registry log</h3>\n");
    if cell.registry_log.is_empty() {
        out.push_str("<p class=\"muted\">No lines kept (the log is kept around a failure).</p>\n");
    } else {
        out.push_str(&format!(
            "<pre class=\"log\">{}</pre>\n",
            escape(&cell.registry_log.join("\n"))
        ));
    }
    out.push_str("</article>\n");
    out
}

fn steps(steps: &[StepObservation]) -> String {
    if steps.is_empty() {
        return "<h3>Steps</h3>\n<p class=\"muted\">No steps ran.</p>\n".into();
    }
    let mut out = String::from(
        "<h3>Steps</h3>\n<table class=\"steps\"><thead><tr><th>#</th><th>kind</th>\
         <th>summary</th><th>ok</th><th>duration</th><th title=\"requests to Blob storage\">\
         storage</th></tr></thead><tbody>\n",
    );
    for s in steps {
        out.push_str(&format!(
            "<tr class=\"{}\"><td>{}</td><td><code>{}</code></td><td>{}",
            if s.ok { "ok" } else { "not-ok" },
            s.index + 1,
            escape(&s.kind),
            escape(&s.summary)
        ));
        if let Some(error) = &s.error {
            out.push_str(&format!(
                "<div class=\"step-error\">{}</div>",
                escape(error)
            ));
        }
        // The step's error already carries the registry's codes and challenge;
        // its structured form is shown only when there is no message.
        if let (None, Some(e)) = (&s.error, &s.registry_error) {
            out.push_str(&format!(
                "<div class=\"step-error\">{} {} answered {}",
                escape(&e.method),
                escape(&e.path),
                e.status
            ));
            for entry in &e.errors {
                out.push_str(&format!(
                    "; <code>{}</code> {}",
                    escape(&entry.code),
                    escape(&entry.message)
                ));
            }
            if let Some(challenge) = &e.www_authenticate {
                out.push_str(&format!(
                    "; WWW-Authenticate: <code>{}</code>",
                    escape(challenge)
                ));
            }
            out.push_str("</div>");
        }
        if !s.requests.is_empty() {
            out.push_str(&format!(
                "<details class=\"requests\"><summary>{} HTTP {}</summary><ol>",
                s.requests.len(),
                if s.requests.len() == 1 {
                    "exchange"
                } else {
                    "exchanges"
                }
            ));
            for r in s.requests.iter().take(REQUESTS_PER_STEP) {
                out.push_str(&format!(
                    "<li><code>{} {} &rarr; {}</code> {}</li>",
                    escape(&r.method),
                    escape(&truncate(&r.path, PATH_CHARS)),
                    r.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "no answer".into()),
                    duration(r.duration_ms)
                ));
            }
            out.push_str("</ol>");
            if s.requests.len() > REQUESTS_PER_STEP {
                out.push_str(&format!(
                    "<p class=\"muted\">&hellip; and {} more.</p>",
                    s.requests.len() - REQUESTS_PER_STEP
                ));
            }
            out.push_str("</details>");
        }
        out.push_str(&format!(
            "</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            if s.ok { "&#10003;" } else { "&#10007;" },
            duration(s.duration_ms),
            s.storage_requests
        ));
    }
    out.push_str("</tbody></table>\n");
    out
}

fn traffic(t: &TrafficSummary) -> String {
    let mut out = String::from("<h3>Storage traffic</h3>\n<dl class=\"facts\">");
    out.push_str(&format!(
        "<dt>requests</dt><dd>{}</dd><dt>bytes</dt><dd>{} up, {} down</dd>",
        t.requests,
        bytes(t.bytes_up),
        bytes(t.bytes_down)
    ));
    out.push_str(&format!(
        "<dt>by auth scheme</dt><dd>{}</dd><dt>by status</dt><dd>{}</dd>",
        counts(&t.by_auth_scheme),
        counts(&t.by_status)
    ));
    if !t.emulator_rewrites.is_empty() {
        out.push_str(&format!(
            "<dt>emulator rewrites</dt><dd>{}</dd>",
            counts(&t.emulator_rewrites)
        ));
    }
    out.push_str("</dl>\n");
    out
}

fn identity(cell: &Cell) -> String {
    let id = &cell.identity;
    let mut out = String::from("<h3>Identity</h3>\n");
    if id.is_empty() && id.errors.is_empty() {
        out.push_str("<p class=\"muted\">No calls to identity endpoints.</p>\n");
        return out;
    }
    out.push_str("<dl class=\"facts\">");
    out.push_str(&format!("<dt>calls</dt><dd>{}</dd>", counts(&id.calls)));
    if !id.errors.is_empty() {
        out.push_str(&format!(
            "<dt>refusals</dt><dd>{}</dd>",
            id.errors
                .iter()
                .map(|e| format!("<code>{}</code>", escape(e)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !id.unanswered.is_empty() {
        out.push_str(&format!(
            "<dt>unanswered</dt><dd>{}</dd>",
            counts(&id.unanswered)
        ));
    }
    out.push_str("</dl>\n");
    out
}

/// `shared_key &times; 90, bearer &times; 3`, escaped.
fn counts(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(k, n)| format!("<code>{}</code>&nbsp;&times;&nbsp;{n}", escape(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.2} s", ms as f64 / 1000.0)
    }
}

fn bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f < KIB {
        format!("{n} B")
    } else if f < KIB * KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{:.1} MiB", f / KIB / KIB)
    }
}

fn format_number(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

const STYLE: &str = r##"
:root{--sec:#b00020;--err:#d84315;--ink:#1c1c1e;--muted:#666;--line:#d9d9de;color-scheme:light}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#f6f6f8}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
header{padding:14px 24px 10px;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0 0 4px}
p{margin:4px 0}
.meta,.muted{color:var(--muted)}
.note{color:#5d4037}
.warn{color:#8a4b00;font-weight:600}
.alert{background:var(--sec);color:#fff;font-weight:700;padding:8px 12px;border-radius:4px;margin:8px 0;background-image:repeating-linear-gradient(135deg,rgba(255,255,255,.10) 0 8px,transparent 8px 16px)}
.alert code{color:#fff}
.alert-error{background-color:var(--err)}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;list-style:none;padding:0;margin:10px 0 4px}
.legend li{display:flex;align-items:center;gap:6px;color:#444}
.versions{margin-top:4px;color:#444}
.versions ul{margin:4px 0;padding-left:20px}
.badge{display:inline-block;padding:1px 8px;border-radius:3px;font-weight:600;font-size:12.5px}
.o-security{background:var(--sec);color:#fff;font-weight:800;background-image:repeating-linear-gradient(135deg,rgba(255,255,255,.16) 0 5px,transparent 5px 10px);box-shadow:0 0 0 2px #ffd54f inset}
.o-error{background:var(--err);color:#fff;font-weight:800}
.o-flaky{background:#f3e5f5;color:#6a1b9a;box-shadow:0 0 0 2px #8e24aa inset}
.o-data-loss{background:#000;color:#ffeb3b;font-weight:800;background-image:repeating-linear-gradient(135deg,rgba(255,235,59,.25) 0 5px,transparent 5px 10px);box-shadow:0 0 0 2px #ffeb3b inset}
.o-no-recovery{background:#bf360c;color:#fff;font-weight:700}
.o-fail{background:#fde3df;color:#9c2a1c}
.o-pass{background:#ddf2e1;color:#1b5e20}
.o-unsupported{background:#ececef;color:#6b6b73}
.unexpected-sample,.cell.unexpected{outline:3px solid #111;outline-offset:-3px}
main{display:grid;grid-template-columns:min-content minmax(420px,1fr);gap:16px;padding:14px 24px;align-items:start}
@media (max-width:1100px){main{grid-template-columns:1fr}}
.filters{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px}
.filters fieldset{border:1px solid var(--line);border-radius:6px;background:#fff;padding:4px 10px 6px;margin:0}
.filters legend{font-size:12px;color:var(--muted);padding:0 4px}
.filters label{margin-right:10px;white-space:nowrap;cursor:pointer}
.filters output{color:var(--muted);margin-left:8px}
table.matrix{border-collapse:separate;border-spacing:3px;background:#fff;border:1px solid var(--line);border-radius:6px;padding:4px}
.matrix thead th{font-size:12.5px;text-align:center;padding:4px 6px;white-space:nowrap}
.matrix thead th:first-child{text-align:left}
.matrix tbody th{text-align:left;font-weight:400;padding:3px 8px 3px 4px;max-width:360px}
.matrix tbody th code{font-weight:600}
.matrix .scenario-title{display:block;color:var(--muted);font-size:11.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:350px}
.matrix td{padding:0;min-width:112px;border-radius:4px;text-align:center}
.matrix td.absent{color:#aaa}
.cell button{all:unset;box-sizing:border-box;display:block;width:100%;padding:6px 8px;cursor:pointer;border-radius:4px;font-weight:inherit;text-align:center}
.cell button:focus-visible{outline:3px solid #1565c0;outline-offset:1px}
.cell small{display:block;font-size:11px;font-weight:600}
.cell .bang{font-size:15px}
.cell.dim{opacity:.18}
.cell.selected{box-shadow:0 0 0 3px #1565c0}
.cell:hover{filter:brightness(.94)}
.details{position:sticky;top:8px;max-height:calc(100vh - 16px);overflow:auto;background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 16px 14px}
.details .placeholder{color:var(--muted)}
.cell-detail h2{font-size:16px;margin:4px 0}
.cell-detail h3{font-size:13.5px;margin:14px 0 4px;border-bottom:1px solid var(--line);padding-bottom:2px}
.cell-detail .file{color:var(--muted)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.unexpected-note{color:#b00020;text-transform:uppercase;font-size:12px;margin-left:6px}
.evidence{background:#f6f6f8;border-left:3px solid #9e9e9e;padding:6px 8px;overflow-wrap:anywhere}
.steps,.observations{border-collapse:collapse;width:100%;font-size:12.5px}
.steps th,.steps td,.observations th,.observations td{border-bottom:1px solid #eee;padding:3px 5px;text-align:left;vertical-align:top}
.steps td:nth-child(3),.observations td:last-child{overflow-wrap:anywhere}
.steps tr.not-ok td{background:#fff4f2}
.step-error{color:#9c2a1c;margin-top:2px;overflow-wrap:anywhere}
.requests summary{cursor:pointer;color:#1565c0}
.requests ol{margin:2px 0;padding-left:22px}
.requests code{overflow-wrap:anywhere;font-size:11.5px}
.log{background:#1e1e24;color:#e8e8ea;padding:8px 10px;border-radius:4px;overflow:auto;max-height:320px;white-space:pre-wrap;overflow-wrap:anywhere}
.chart text{font-size:12px;fill:var(--ink)}
.chart .chart-title{font-weight:600}
.chart rect{fill:#3f6fb5}
"##;

const SCRIPT: &str = r##"
(function () {
  "use strict";
  var matrix = document.getElementById("matrix");
  var panel = document.getElementById("details");
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(matrix.querySelectorAll("tbody tr"));
  var cells = Array.prototype.slice.call(matrix.querySelectorAll(".cell"));
  var keys = ["area", "version", "outcome"];
  var selected = null;

  function boxes(key) {
    return Array.prototype.slice.call(document.querySelectorAll("#filter-" + key + " input[type=checkbox]"));
  }
  function chosen(key) {
    var out = {};
    boxes(key).forEach(function (b) { if (b.checked) { out[b.value] = true; } });
    return out;
  }
  function apply() {
    var areas = chosen("area"), versions = chosen("version"), outcomes = chosen("outcome");
    var onlyUnexpected = document.getElementById("filter-unexpected").checked;
    matrix.querySelectorAll("[data-version]").forEach(function (el) {
      el.hidden = !versions[el.getAttribute("data-version")];
    });
    var shown = 0;
    rows.forEach(function (row) {
      var any = false;
      row.querySelectorAll(".cell").forEach(function (cell) {
        var d = cell.dataset;
        var match = !!(versions[d.version] && outcomes[d.outcome] &&
          (!onlyUnexpected || d.outcome !== d.expected));
        cell.classList.toggle("dim", !match);
        if (match) { any = true; }
      });
      row.hidden = !(areas[row.dataset.area] && any);
      if (!row.hidden) { shown += 1; }
    });
    document.getElementById("shown-count").textContent = shown + " of " + rows.length + " scenarios shown";
  }

  function readHash() {
    var state = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at < 0) { return; }
      try {
        state[decodeURIComponent(part.slice(0, at))] = decodeURIComponent(part.slice(at + 1));
      } catch (e) { /* a malformed fragment selects nothing */ }
    });
    return state;
  }
  function enc(v) {
    return encodeURIComponent(v).replace(/%2F/g, "/").replace(/%40/g, "@").replace(/%2C/g, ",");
  }
  function writeHash() {
    var parts = [];
    keys.forEach(function (key) {
      var all = boxes(key);
      var on = all.filter(function (b) { return b.checked; });
      if (on.length !== all.length) {
        parts.push(key + "=" + on.map(function (b) { return enc(b.value); }).join(","));
      }
    });
    if (document.getElementById("filter-unexpected").checked) { parts.push("unexpected=1"); }
    if (selected) { parts.push("open=" + enc(selected.dataset.scenario + "@" + selected.dataset.version)); }
    try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search); } catch (e) { /* file: URLs in some browsers */ }
  }
  function restore(state) {
    keys.forEach(function (key) {
      if (state[key] === undefined) { return; }
      var wanted = {};
      state[key].split(",").forEach(function (v) { wanted[v] = true; });
      boxes(key).forEach(function (b) { b.checked = !!wanted[b.value]; });
    });
    document.getElementById("filter-unexpected").checked = state.unexpected === "1";
    apply();
  }

  function open(cell, byUser) {
    var source = document.getElementById(cell.dataset.detail);
    if (!source) { return; }
    var copy = source.cloneNode(true);
    copy.removeAttribute("id");
    while (panel.firstChild) { panel.removeChild(panel.firstChild); }
    panel.appendChild(copy);
    panel.scrollTop = 0;
    if (selected) {
      selected.classList.remove("selected");
      selected.querySelector("button").setAttribute("aria-pressed", "false");
    }
    selected = cell;
    cell.classList.add("selected");
    cell.querySelector("button").setAttribute("aria-pressed", "true");
    writeHash();
    var box = panel.getBoundingClientRect();
    if (byUser && (box.top > window.innerHeight || box.bottom < 0)) { panel.scrollIntoView({ block: "start" }); }
  }

  matrix.addEventListener("click", function (event) {
    var cell = event.target.closest(".cell");
    if (cell) { open(cell, event.isTrusted); }
  });
  form.addEventListener("change", function () { apply(); writeHash(); });
  form.addEventListener("reset", function () {
    setTimeout(function () { apply(); writeHash(); }, 0);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  function fromHash() {
    var state = readHash();
    restore(state);
    if (state.open) {
      var target = cells.filter(function (c) {
        return c.dataset.scenario + "@" + c.dataset.version === state.open;
      })[0];
      if (target) { target.click(); }
    }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
  document.documentElement.setAttribute("data-ready", "true");
})();
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_chart_scales_bars_to_the_largest_value_and_escapes_labels() {
        let svg = bar_chart_svg(
            "push <1 MiB>",
            "ms",
            &[
                ("v2.8.3 \"old\"".to_string(), 50.0),
                ("v3.1.1 & co".to_string(), 100.0),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains("width=\"210.0\""), "half bar: {svg}");
        assert!(svg.contains("width=\"420.0\""), "full bar: {svg}");
        assert!(svg.contains("v2.8.3 &quot;old&quot;"), "{svg}");
        assert!(svg.contains("v3.1.1 &amp; co"), "{svg}");
        assert!(svg.contains("push &lt;1 MiB&gt;"), "{svg}");
        assert!(svg.contains(">100 ms<"), "{svg}");
        assert!(!svg.contains("http"), "no external references: {svg}");
    }

    #[test]
    fn bar_chart_of_nothing_is_empty_and_bad_values_draw_no_bar() {
        assert_eq!(bar_chart_svg("t", "s", &[]), "");
        let svg = bar_chart_svg(
            "t",
            "s",
            &[("nan".into(), f64::NAN), ("negative".into(), -3.0)],
        );
        assert_eq!(svg.matches("width=\"0.0\"").count(), 2, "{svg}");
        assert!(svg.contains(">n/a<") && svg.contains(">-3.00 s<"), "{svg}");
    }

    #[test]
    fn escape_covers_markup_and_both_quotes() {
        assert_eq!(escape(r#"<b>"&'"#), "&lt;b&gt;&quot;&amp;&#39;".to_string());
    }

    #[test]
    fn truncate_cuts_on_char_boundaries() {
        assert_eq!(truncate("ääää", 2), "ää…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
