//! The matrix as JUnit XML, for CI servers' test views (GitLab, Jenkins,
//! GitHub test-report actions). It only reads the report model; it writes no
//! file and judges nothing the model has not already judged.
//!
//! Layout: one `<testsuite>` per column, in the report's column order: each
//! registry version (name = tag), then each upgrade path (name =
//! `from -> to`), because a CI view then answers "what is wrong with
//! v3.0.0" or "with the upgrade from v3.0.0 to v3.1.1" at a glance; the
//! scenario's area (`auth`, `storage`, `upgrade`: the id before its first
//! `/`) is the `classname`, so views that group by class still show the other
//! axis. One `<testcase name="<scenario id> on <column>">` per cell
//! (`upgrade/in-place on v3.0.0 -> v3.1.1`); cells whose column the report
//! does not list get a suite of their own after the listed ones, so no cell
//! is ever dropped.
//!
//! How a cell counts, by its [`Reading`](super::Reading) tone, first rule
//! that applies:
//! - harness error (`error`): `<error>`, whatever was expected;
//! - alarm (`security`, `data-loss`): `<failure>`, even when expected;
//! - `flaky` or `no-recovery`: `<failure>` (with every observation), even
//!   when expected;
//! - regression or improvement (not the expected outcome): `<failure>`;
//! - muted (`unsupported`, as expected): `<skipped>` with the scenario's reason;
//! - good or known (`pass`/`refused`, or `fail`, as expected): a passing testcase.
//!
//! So failures and errors are the cells that make [`MatrixReport::exit_code`]
//! non-zero, plus a `flaky` cell a scenario expected (which `exit_code` lets
//! through: a CI view should still show runs that disagree). `type` is the
//! outcome (what machines read); the message is how the cell reads,
//! `<label>, expected <label>: <evidence>` (`accepted, expected refused: ...`
//! for an attack a registry let in); the body adds the outcome strings, the
//! reason for the expectation and its reference, every run, the failed
//! steps (with their phase and serving version in an upgrade) and the
//! registry's error verbatim, and the registry log excerpt. Text is escaped
//! for XML 1.0, and characters it cannot carry are dropped.

use super::{reading, Cell, MatrixReport, Outcome, Tone};

/// The whole report as one JUnit XML document (`<testsuites>`), UTF-8.
pub fn render(report: &MatrixReport) -> String {
    let suites: Vec<Suite> = suites(report);
    let total = suites.iter().fold(Tally::default(), |mut sum, s| {
        sum.add(&s.tally);
        sum
    });
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"regmatrix\"{}>\n",
        total.attributes()
    ));
    for suite in &suites {
        render_suite(report, suite, &mut out);
    }
    out.push_str("</testsuites>\n");
    out
}

/// How a CI server should count a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Passed,
    Failure,
    Error,
    Skipped,
}

fn verdict(cell: &Cell) -> Verdict {
    match cell.reading().tone {
        Tone::HarnessError => Verdict::Error,
        Tone::Alarm | Tone::Regression | Tone::Improvement => Verdict::Failure,
        // Runs that disagree or a registry that never came back show even
        // when a scenario expects them.
        Tone::Known if matches!(cell.outcome, Outcome::Flaky | Outcome::NoRecovery) => {
            Verdict::Failure
        }
        Tone::Muted => Verdict::Skipped,
        Tone::Known | Tone::Good => Verdict::Passed,
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Tally {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    duration_ms: u64,
}

impl Tally {
    fn count(&mut self, cell: &Cell) {
        self.tests += 1;
        self.duration_ms += cell.duration_ms;
        match verdict(cell) {
            Verdict::Passed => {}
            Verdict::Failure => self.failures += 1,
            Verdict::Error => self.errors += 1,
            Verdict::Skipped => self.skipped += 1,
        }
    }

    fn add(&mut self, other: &Tally) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
        self.duration_ms += other.duration_ms;
    }

    /// ` tests=".." failures=".." errors=".." skipped=".." time=".."`.
    fn attributes(&self) -> String {
        format!(
            " tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\"",
            self.tests,
            self.failures,
            self.errors,
            self.skipped,
            seconds(self.duration_ms)
        )
    }
}

/// One column's cells (a version, or an upgrade path), in report order.
struct Suite<'a> {
    tag: String,
    cells: Vec<&'a Cell>,
    tally: Tally,
}

fn suites(report: &MatrixReport) -> Vec<Suite<'_>> {
    let mut tags: Vec<String> = report.columns();
    for cell in &report.cells {
        if !tags.contains(&cell.column()) {
            tags.push(cell.column());
        }
    }
    tags.into_iter()
        .map(|tag| {
            let cells: Vec<&Cell> = report.cells.iter().filter(|c| c.column() == tag).collect();
            let mut tally = Tally::default();
            for cell in &cells {
                tally.count(cell);
            }
            Suite { tag, cells, tally }
        })
        .collect()
}

fn render_suite(report: &MatrixReport, suite: &Suite<'_>, out: &mut String) {
    out.push_str(&format!(
        "  <testsuite name=\"{}\"{}>\n",
        attr(&suite.tag),
        suite.tally.attributes()
    ));
    out.push_str("    <properties>\n");
    let version_line = |tag: &str| {
        report
            .versions
            .iter()
            .find(|v| v.tag == tag)
            .map(|v| v.version_line.clone())
    };
    let mut properties = vec![
        ("schema_version", report.schema_version.to_string()),
        ("harness_version", report.harness_version.clone()),
        ("generated_at", report.generated_at.clone()),
    ];
    let path = suite
        .cells
        .iter()
        .find_map(|c| c.path.as_ref())
        .or_else(|| report.paths.iter().find(|p| p.to_string() == suite.tag));
    match path {
        Some(path) => {
            properties.push(("from", path.from.clone()));
            properties.push(("to", path.to.clone()));
            properties.push(("rollback", report.is_rollback(path).to_string()));
            if let Some(line) = version_line(&path.from) {
                properties.push(("from_version_line", line));
            }
            if let Some(line) = version_line(&path.to) {
                properties.push(("to_version_line", line));
            }
        }
        None => {
            if let Some(line) = version_line(&suite.tag) {
                properties.push(("version_line", line));
            }
        }
    }
    if let Some(shard) = report.shard {
        properties.push(("shard", format!("{}/{}", shard.index, shard.count)));
    }
    for (name, value) in properties {
        out.push_str(&format!(
            "      <property name=\"{name}\" value=\"{}\"/>\n",
            attr(&value)
        ));
    }
    out.push_str("    </properties>\n");
    for cell in &suite.cells {
        render_case(cell, out);
    }
    out.push_str("  </testsuite>\n");
}

fn render_case(cell: &Cell, out: &mut String) {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{} on {}\" time=\"{}\"",
        attr(area(&cell.scenario)),
        attr(&cell.scenario),
        attr(&cell.column()),
        seconds(cell.duration_ms)
    );
    let (element, message) = match verdict(cell) {
        Verdict::Passed => {
            out.push_str(&open);
            out.push_str("/>\n");
            return;
        }
        Verdict::Skipped => {
            let reason = cell.expected_because.as_deref().unwrap_or(&cell.evidence);
            let reference = cell
                .expected_reference
                .as_deref()
                .map(|r| format!(" (reference: {r})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                attr(&format!("unsupported: {reason}{reference}"))
            ));
            return;
        }
        Verdict::Failure => ("failure", headline(cell)),
        Verdict::Error => ("error", headline(cell)),
    };
    out.push_str(&format!(
        "{open}>\n      <{element} message=\"{}\" type=\"{}\">{}</{element}>\n    </testcase>\n",
        attr(&message),
        cell.outcome,
        text(&details(cell))
    ));
}

/// `accepted, expected refused: step 1 push-denied: the registry accepted ...`
fn headline(cell: &Cell) -> String {
    let r = cell.reading();
    format!(
        "{}, expected {}: {}",
        r.label, r.expected_label, cell.evidence
    )
}

/// The failure's body: everything a reader needs before opening the JSON.
fn details(cell: &Cell) -> String {
    let r = cell.reading();
    let mut lines = vec![
        format!(
            "outcome: {} (reads {}: {}; {})",
            cell.outcome,
            r.label,
            reading::meaning(cell.outcome, cell.refusal),
            r.tone.meaning()
        ),
        format!("expected: {} (reads {})", cell.expected, r.expected_label),
    ];
    if let Some(path) = &cell.path {
        lines.push(format!(
            "path: {} writes, then {} starts on the same storage",
            path.from, path.to
        ));
    }
    if let Some(because) = &cell.expected_because {
        lines.push(format!("because: {because}"));
    }
    if let Some(reference) = &cell.expected_reference {
        lines.push(format!("reference: {reference}"));
    }
    lines.push(format!("evidence: {}", cell.evidence));
    if let Some(seed) = cell.seed {
        lines.push(format!(
            "seed: {seed} (regmatrix matrix --seed {seed} --scenarios {} {})",
            cell.scenario,
            cell.column_option()
        ));
    }
    if !cell.observations.is_empty() {
        lines.push(format!("runs ({}):", cell.observations.len()));
        for (i, run) in cell.observations.iter().enumerate() {
            lines.push(format!(
                "  {}. {} in {}s: {}",
                i + 1,
                reading::label(run.outcome, cell.refusal),
                seconds(run.duration_ms),
                run.evidence
            ));
        }
    }
    let failed: Vec<_> = cell.steps.iter().filter(|s| !s.ok).collect();
    if !failed.is_empty() {
        lines.push("failed steps:".into());
        for step in failed {
            let phase = match (&step.phase, &step.served_by) {
                (Some(phase), Some(by)) => format!(" ({phase}, on {by})"),
                (Some(phase), None) => format!(" ({phase})"),
                (None, Some(by)) => format!(" (on {by})"),
                (None, None) => String::new(),
            };
            lines.push(format!(
                "  step {}{phase} {}: {}",
                step.index + 1,
                step.kind,
                step.summary
            ));
            if let Some(error) = &step.error {
                lines.push(format!("    error: {error}"));
            }
            if let Some(registry) = &step.registry_error {
                lines.push(format!("    registry: {registry}"));
                if let Some(body) = &registry.raw_body {
                    lines.push(format!("    body: {body}"));
                }
            }
        }
    }
    if !cell.registry_log.is_empty() {
        lines.push("registry log:".into());
        lines.extend(cell.registry_log.iter().map(|l| format!("  {l}")));
    }
    lines.join("\n") + "\n"
}

/// `auth/attack-embedded-jwk` -> `auth`; an id without an area is its own.
fn area(scenario: &str) -> &str {
    scenario.split_once('/').map_or(scenario, |(area, _)| area)
}

/// Milliseconds as JUnit's seconds, exactly: 1653 -> `1.653`.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Whether XML 1.0 can carry `c` at all. Control characters other than tab,
/// line feed and carriage return (C0, DEL, C1) and U+FFFE/U+FFFF cannot, not
/// even as character references; they are dropped.
fn xml_char(c: char) -> bool {
    !(c.is_control() && !matches!(c, '\t' | '\n' | '\r') || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

/// Element content: `&`, `<` and `>` escaped (`>` so `]]>` cannot appear);
/// a carriage return as a reference, so parsers do not turn it into `\n`.
pub(crate) fn text(raw: &str) -> String {
    escape(raw, false)
}

/// Attribute values (always double-quoted): as [`text`], plus quotes, and
/// tab and newlines as references, which attribute normalization keeps.
pub(crate) fn attr(raw: &str) -> String {
    escape(raw, true)
}

fn escape(raw: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars().filter(|c| xml_char(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
