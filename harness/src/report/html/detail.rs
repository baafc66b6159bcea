//! One cell's detail panel: how it reads, its expectation with the
//! scenario's reason and reference, its evidence, for an upgrade cell the
//! path and each step's phase and serving version, steps with their HTTP
//! exchanges, storage traffic, identity calls and registry log, rendered
//! ahead of time so the page's script only copies it into place.

use std::collections::BTreeMap;

use super::page::escape;
use super::{badge, detail_id};
use crate::report::grid::Grid;
use crate::report::{
    reading, Cell, ConformanceSummary, MatrixReport, Outcome, Reading, ScenarioInfo,
    StepObservation, TrafficSummary,
};

/// HTTP exchanges listed per step; the rest are counted, not shown.
const REQUESTS_PER_STEP: usize = 20;

/// Request paths longer than this (upload `_state` tokens) are cut.
const PATH_CHARS: usize = 160;

/// `2 pass, 1 fail` (`2 refused, 1 accepted`) over a repeated cell's runs.
pub(super) fn tally(cell: &Cell) -> String {
    let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
    for o in &cell.observations {
        *counts.entry(o.outcome).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(o, n)| format!("{n} {}", reading::label(*o, cell.refusal)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every cell's detail, rendered once and hidden; the script copies the
/// clicked one into `#details`.
pub(super) fn detail_store(report: &MatrixReport, grids: &[Grid<'_>]) -> String {
    let mut out = String::from("<div id=\"cell-details\" hidden>\n");
    for grid in grids {
        for (row, s) in grid.rows.iter().enumerate() {
            for (col, column) in grid.columns.iter().enumerate() {
                if let Some(cell) = grid.cell(&s.id, column) {
                    out.push_str(&detail(report, s, cell, &detail_id(grid.kind, row, col)));
                }
            }
        }
    }
    out.push_str("</div>\n");
    out
}

fn detail(report: &MatrixReport, scenario: &ScenarioInfo, cell: &Cell, id: &str) -> String {
    let r = cell.reading();
    let mut out = format!(
        "<article class=\"cell-detail\" id=\"{id}\" data-scenario=\"{}\" data-version=\"{}\">\n\
         <h2><code>{}</code> on <code>{}</code></h2>\n<p class=\"scenario-title\">{}</p>\n\
         <p class=\"file\"><code>{}</code></p>\n",
        escape(&cell.scenario),
        escape(&cell.column()),
        escape(&cell.scenario),
        escape(&cell.column()),
        escape(&scenario.title),
        escape(&scenario.file)
    );
    out.push_str("<dl class=\"facts\">");
    if let Some(path) = &cell.path {
        out.push_str(&format!(
            "<dt>path</dt><dd class=\"path\"><code>{}</code> writes, then <code>{}</code> starts \
             on the same storage{}</dd>",
            escape(&path.from),
            escape(&path.to),
            if report.is_rollback(path) {
                " <strong class=\"rollback-note\">rollback</strong>: from a newer version to an older one"
            } else {
                ""
            }
        ));
    }
    out.push_str(&format!(
        "<dt>reads</dt><dd>{} {} <span class=\"muted\">(outcome <code>{}</code>)</span>",
        badge(r),
        escape(reading::meaning(cell.outcome, cell.refusal)),
        cell.outcome
    ));
    if !r.as_expected() {
        out.push_str(" <strong class=\"unexpected-note\">unexpected</strong>");
    }
    out.push_str(&format!(
        "<div class=\"tone\">{}</div></dd>",
        escape(r.tone.meaning())
    ));
    out.push_str(&format!(
        "<dt>expected</dt><dd>{} <span class=\"muted\">(outcome <code>{}</code>)</span></dd>",
        badge(Reading::of(cell.expected, cell.expected, cell.refusal)),
        cell.expected
    ));
    if let Some(because) = &cell.expected_because {
        out.push_str(&format!(
            "<dt>because</dt><dd class=\"because\">{}</dd>",
            escape(because)
        ));
    }
    if let Some(reference) = &cell.expected_reference {
        out.push_str(&format!(
            "<dt>reference</dt><dd class=\"reference\">{}</dd>",
            reference_html(reference)
        ));
    }
    if let Some(seed) = cell.seed {
        out.push_str(&format!(
            "<dt>seed</dt><dd><code>{seed}</code> (<code>regmatrix matrix --seed {seed} \
             --scenarios {} {}</code> runs it again)</dd>",
            escape(&cell.scenario),
            escape(&cell.column_option())
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
                badge(cell.run_reading(o.outcome)),
                duration(o.duration_ms),
                escape(&o.evidence)
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str(&steps(&cell.steps));
    if let Some(suite) = &cell.conformance {
        out.push_str(&conformance(suite));
    }
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
    // Upgrade scenarios say which phase each step belongs to and which
    // version served it.
    let phased = steps
        .iter()
        .any(|s| s.phase.is_some() || s.served_by.is_some());
    let mut out = format!(
        "<h3>Steps</h3>\n<table class=\"steps\"><thead><tr><th>#</th>{}<th>kind</th>\
         <th>summary</th><th>ok</th><th>duration</th><th title=\"requests to Blob storage\">\
         storage</th></tr></thead><tbody>\n",
        if phased {
            "<th>phase</th><th>served by</th>"
        } else {
            ""
        }
    );
    for s in steps {
        let phase = if phased {
            format!(
                "<td class=\"phase\">{}</td><td class=\"served-by\"><code>{}</code></td>",
                escape(s.phase.as_deref().unwrap_or("")),
                escape(s.served_by.as_deref().unwrap_or(""))
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<tr class=\"{}\"><td>{}</td>{phase}<td><code>{}</code></td><td class=\"summary\">{}",
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

/// The conformance suite's counts per category, its failing tests, and
/// links to its own reports kept next to this page.
fn conformance(suite: &ConformanceSummary) -> String {
    let mut out = format!(
        "<h3>OCI conformance</h3>\n<p>suite <code>{}</code>: {} passed, {} failed, {} skipped",
        escape(&suite.suite),
        suite.passed,
        suite.failed,
        suite.skipped
    );
    if let Some(dir) = &suite.results {
        out.push_str(&format!(
            " (<a href=\"{0}/report.html\" rel=\"noopener noreferrer\">report.html</a>, \
             <a href=\"{0}/junit.xml\" rel=\"noopener noreferrer\">junit.xml</a>)",
            escape(dir)
        ));
    }
    out.push_str(
        "</p>\n<table class=\"conformance\"><thead><tr><th>category</th><th>passed</th>\
                  <th>failed</th><th>skipped</th></tr></thead><tbody>",
    );
    for c in &suite.categories {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.name),
            c.passed,
            c.failed,
            c.skipped
        ));
    }
    out.push_str("</tbody></table>\n");
    if !suite.failing.is_empty() {
        out.push_str("<ul class=\"failing\">");
        for name in &suite.failing {
            out.push_str(&format!("<li><code>{}</code></li>", escape(name)));
        }
        out.push_str("</ul>\n");
    }
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

pub(super) fn truncate(text: &str, max_chars: usize) -> String {
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

/// A scenario's reference as HTML: escaped text in which every
/// http(s) URL and every GitHub issue or pull request written `owner/repo#N`
/// (`distribution/distribution#4618`) is a link, opened without handing the
/// page to the target. Nothing else becomes markup.
pub(super) fn reference_html(reference: &str) -> String {
    let mut out = String::with_capacity(reference.len() + 64);
    let mut text_start = 0;
    let mut at = 0;
    while at < reference.len() {
        let rest = &reference[at..];
        let boundary = reference[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !is_name_char(c) && c != '/');
        let found = if boundary {
            url_at(rest)
                .map(|url| (url.len(), url.to_string()))
                .or_else(|| {
                    issue_at(rest).map(|(len, owner, repo, number)| {
                        (
                            len,
                            format!("https://github.com/{owner}/{repo}/issues/{number}"),
                        )
                    })
                })
        } else {
            None
        };
        match found {
            Some((len, href)) => {
                out.push_str(&escape(&reference[text_start..at]));
                out.push_str(&format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                    escape(&href),
                    escape(&rest[..len])
                ));
                at += len;
                text_start = at;
            }
            None => at += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    out.push_str(&escape(&reference[text_start..]));
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// An http(s) URL at the start of `text`: up to whitespace, a quote or an
/// angle bracket, without trailing punctuation.
fn url_at(text: &str) -> Option<&str> {
    if !(text.starts_with("https://") || text.starts_with("http://")) {
        return None;
    }
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
        .unwrap_or(text.len());
    let url = text[..end].trim_end_matches(['.', ',', ';', ':', ')', ']', '!', '?']);
    (url.len() > "https://".len()).then_some(url)
}

/// `owner/repo#123` at the start of `text`: its length and parts.
fn issue_at(text: &str) -> Option<(usize, &str, &str, &str)> {
    let owner_len = text.find(|c: char| !is_name_char(c))?;
    let owner = &text[..owner_len];
    let rest = text[owner_len..].strip_prefix('/')?;
    let repo_len = rest.find(|c: char| !is_name_char(c))?;
    let repo = &rest[..repo_len];
    let rest = rest[repo_len..].strip_prefix('#')?;
    let number_len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let number = &rest[..number_len];
    let usable = |part: &str| !part.is_empty() && !part.starts_with('.');
    if !(usable(owner) && usable(repo)) || number.is_empty() {
        return None;
    }
    Some((
        owner_len + 1 + repo_len + 1 + number_len,
        owner,
        repo,
        number,
    ))
}
