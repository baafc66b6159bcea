//! The matrix as JUnit XML, for CI servers' test views (GitLab, Jenkins,
//! GitHub test-report actions). It only reads the report model; it writes no
//! file and judges nothing the model has not already judged.
//!
//! Layout: one `<testsuite>` per registry version (name = tag, in the
//! report's version order), because a CI view then answers "what is wrong
//! with v3.0.0" at a glance; the scenario's area (`auth`, `storage`: the id
//! before its first `/`) is the `classname`, so views that group by class
//! still show the other axis. One `<testcase name="<scenario id> on <tag>">`
//! per cell; cells whose version is not in `versions` get a suite of their
//! own after the listed ones, so no cell is ever dropped.
//!
//! How a cell reads, first rule that applies:
//! - `error`: `<error>`, whatever was expected (the harness could not run it);
//! - `security`: `<failure>`, even when expected (a registry accepted a token
//!   it must refuse);
//! - `flaky`: `<failure>` listing every observation;
//! - any other outcome that differs from the expectation: `<failure>`;
//! - `unsupported`, as expected: `<skipped>` with the scenario's reason;
//! - `pass` or `fail`, as expected: a passing testcase.
//!
//! So failures and errors are the cells that make [`MatrixReport::exit_code`]
//! non-zero, plus a `flaky` cell a scenario expected (which `exit_code` lets
//! through: a CI view should still show runs that disagree). `type` is the
//! outcome; the message is `<outcome>, expected <expected>: <evidence>`; the
//! body adds the reason for the expectation, every run, the failed steps
//! with the registry's error verbatim, and the registry log excerpt. Text is
//! escaped for XML 1.0, and characters it cannot carry are dropped.

use super::{Cell, MatrixReport, Outcome};

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
    match cell.outcome {
        Outcome::Error => Verdict::Error,
        Outcome::Security | Outcome::DataLoss | Outcome::NoRecovery | Outcome::Flaky => {
            Verdict::Failure
        }
        _ if !cell.as_expected() => Verdict::Failure,
        Outcome::Unsupported => Verdict::Skipped,
        Outcome::Pass | Outcome::Fail => Verdict::Passed,
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

/// One version's cells, in report order.
struct Suite<'a> {
    tag: &'a str,
    cells: Vec<&'a Cell>,
    tally: Tally,
}

fn suites(report: &MatrixReport) -> Vec<Suite<'_>> {
    let mut tags: Vec<&str> = report.versions.iter().map(|v| v.tag.as_str()).collect();
    for cell in &report.cells {
        if !tags.contains(&cell.version.as_str()) {
            tags.push(&cell.version);
        }
    }
    tags.into_iter()
        .map(|tag| {
            let cells: Vec<&Cell> = report.cells.iter().filter(|c| c.version == tag).collect();
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
        attr(suite.tag),
        suite.tally.attributes()
    ));
    out.push_str("    <properties>\n");
    let version_line = report
        .versions
        .iter()
        .find(|v| v.tag == suite.tag)
        .map(|v| v.version_line.as_str());
    let mut properties = vec![
        ("schema_version", report.schema_version.to_string()),
        ("harness_version", report.harness_version.clone()),
        ("generated_at", report.generated_at.clone()),
    ];
    if let Some(line) = version_line {
        properties.push(("version_line", line.to_string()));
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
        attr(&cell.version),
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
            out.push_str(&format!(
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                attr(&format!("unsupported: {reason}"))
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

/// `security, expected security: step 1 push-denied: the registry accepted ...`
fn headline(cell: &Cell) -> String {
    format!(
        "{}, expected {}: {}",
        cell.outcome, cell.expected, cell.evidence
    )
}

/// The failure's body: everything a reader needs before opening the JSON.
fn details(cell: &Cell) -> String {
    let mut lines = vec![
        format!("outcome: {}", cell.outcome),
        format!("expected: {}", cell.expected),
    ];
    if let Some(because) = &cell.expected_because {
        lines.push(format!("because: {because}"));
    }
    lines.push(format!("evidence: {}", cell.evidence));
    if !cell.observations.is_empty() {
        lines.push(format!("runs ({}):", cell.observations.len()));
        for (i, run) in cell.observations.iter().enumerate() {
            lines.push(format!(
                "  {}. {} in {}s: {}",
                i + 1,
                run.outcome,
                seconds(run.duration_ms),
                run.evidence
            ));
        }
    }
    let failed: Vec<_> = cell.steps.iter().filter(|s| !s.ok).collect();
    if !failed.is_empty() {
        lines.push("failed steps:".into());
        for step in failed {
            lines.push(format!(
                "  step {} {}: {}",
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
fn text(raw: &str) -> String {
    escape(raw, false)
}

/// Attribute values (always double-quoted): as [`text`], plus quotes, and
/// tab and newlines as references, which attribute normalization keeps.
fn attr(raw: &str) -> String {
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
mod tests {
    use super::*;
    use crate::report::{
        Observation, RegistryErrorCode, RegistryErrorRecord, ScenarioInfo, StepObservation,
        TrafficSummary, VersionInfo, SCHEMA_VERSION,
    };

    fn cell(scenario: &str, version: &str, outcome: Outcome, expected: Outcome) -> Cell {
        Cell {
            scenario: scenario.into(),
            version: version.into(),
            outcome,
            expected,
            evidence: format!("{outcome} evidence"),
            expected_because: None,
            duration_ms: 1500,
            steps: Vec::new(),
            registry_log: Vec::new(),
            storage_traffic: TrafficSummary::default(),
            identity: Default::default(),
            observations: Vec::new(),
            faults: Vec::new(),
        }
    }

    fn report(cells: Vec<Cell>) -> MatrixReport {
        MatrixReport {
            schema_version: SCHEMA_VERSION,
            generated_at: "Sat, 28 Nov 2026 14:19:02 GMT".into(),
            harness_version: "0.1.0".into(),
            versions: ["v2.8.3", "v3.0.0"]
                .iter()
                .map(|t| VersionInfo {
                    tag: t.to_string(),
                    version_line: format!("github.com/distribution/distribution/v3 {t}"),
                })
                .collect(),
            scenarios: cells
                .iter()
                .map(|c| ScenarioInfo {
                    id: c.scenario.clone(),
                    title: c.scenario.clone(),
                    file: format!("scenarios/{}.toml", c.scenario),
                })
                .collect(),
            cells,
            run: Default::default(),
            shard: None,
        }
    }

    #[test]
    fn text_escapes_markup_and_drops_control_characters() {
        assert_eq!(
            text("a < b && c > d \"q\" 'a' ]]>"),
            "a &lt; b &amp;&amp; c &gt; d \"q\" 'a' ]]&gt;"
        );
        assert_eq!(
            text("bell\u{7}nul\u{0}esc\u{1b}[31mdel\u{7f}c1\u{85}ok"),
            "bellnulesc[31mdelc1ok"
        );
        assert_eq!(text("tab\tline\ncr\r"), "tab\tline\ncr&#13;");
        assert_eq!(text("\u{FFFE}\u{FFFF}é🦀"), "é🦀");
    }

    #[test]
    fn attributes_escape_quotes_and_keep_newlines_as_references() {
        assert_eq!(
            attr(r#"error="invalid_token" <x> & 'y'"#),
            "error=&quot;invalid_token&quot; &lt;x&gt; &amp; &apos;y&apos;"
        );
        assert_eq!(attr("a\tb\nc\rd\u{1}e"), "a&#9;b&#10;c&#13;de");
    }

    #[test]
    fn seconds_are_exact() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(7), "0.007");
        assert_eq!(seconds(1653), "1.653");
        assert_eq!(seconds(239_571), "239.571");
    }

    #[test]
    fn the_area_is_the_id_before_its_first_slash() {
        assert_eq!(area("auth/attack-embedded-jwk"), "auth");
        assert_eq!(area("storage/a/b"), "storage");
        assert_eq!(area("smoke"), "smoke");
    }

    #[test]
    fn cells_are_classified_by_outcome_and_expectation() {
        use Outcome::*;
        let cases = [
            (Pass, Pass, Verdict::Passed),
            (Fail, Fail, Verdict::Passed),
            (Unsupported, Unsupported, Verdict::Skipped),
            (Security, Security, Verdict::Failure),
            (Security, Pass, Verdict::Failure),
            (Fail, Pass, Verdict::Failure),
            (Pass, Fail, Verdict::Failure),
            (Pass, Unsupported, Verdict::Failure),
            (Unsupported, Pass, Verdict::Failure),
            (Flaky, Pass, Verdict::Failure),
            (Flaky, Flaky, Verdict::Failure),
            (Error, Pass, Verdict::Error),
            (Error, Error, Verdict::Error),
        ];
        for (outcome, expected, want) in cases {
            let c = cell("auth/x", "v3.0.0", outcome, expected);
            assert_eq!(verdict(&c), want, "{outcome} expected {expected}");
        }
    }

    #[test]
    fn failures_and_errors_are_the_cells_that_fail_the_run() {
        use Outcome::*;
        for outcome in [Security, Pass, Fail, Unsupported, Error, Flaky] {
            for expected in [Security, Pass, Fail, Unsupported, Error, Flaky] {
                let r = report(vec![cell("auth/x", "v3.0.0", outcome, expected)]);
                let counted = matches!(verdict(&r.cells[0]), Verdict::Failure | Verdict::Error);
                // An expected `flaky` passes the run but still shows as a failure.
                let fails_run = r.exit_code() != 0 || (outcome, expected) == (Flaky, Flaky);
                assert_eq!(counted, fails_run, "{outcome} expected {expected}");
            }
        }
    }

    #[test]
    fn an_expected_security_cell_is_a_failure_with_its_evidence_and_log() {
        let mut c = cell(
            "auth/attack-embedded-jwk",
            "v3.0.0",
            Outcome::Security,
            Outcome::Security,
        );
        c.evidence = r#"step 1 push-denied: accepted "jwk" <kid> & stored"#.into();
        c.expected_because = Some("alpha.1 trusts the embedded key".into());
        c.registry_log = vec!["level=warning msg=\"authorization token required\"".into()];
        c.steps = vec![StepObservation {
            index: 0,
            kind: "push-denied".into(),
            summary: "push must be refused".into(),
            ok: false,
            duration_ms: 120,
            requests: Vec::new(),
            storage_requests: 26,
            error: Some("the registry accepted a push".into()),
            registry_error: Some(RegistryErrorRecord {
                method: "POST".into(),
                path: "/v2/r/blobs/uploads/".into(),
                status: 401,
                errors: vec![RegistryErrorCode {
                    code: "UNAUTHORIZED".into(),
                    message: "authentication required".into(),
                }],
                www_authenticate: Some(r#"Bearer error="invalid_token""#.into()),
                raw_body: Some("<html>\u{0}</html>".into()),
            }),
        }];
        let xml = render(&report(vec![c]));
        assert!(xml.contains(
            r#"<testcase classname="auth" name="auth/attack-embedded-jwk on v3.0.0" time="1.500">"#
        ));
        assert!(xml.contains(
            r#"<failure message="security, expected security: step 1 push-denied: accepted &quot;jwk&quot; &lt;kid&gt; &amp; stored" type="security">"#
        ), "{xml}");
        for line in [
            "because: alpha.1 trusts the embedded key",
            "  step 1 push-denied: push must be refused",
            "    error: the registry accepted a push",
            r#"    registry: POST /v2/r/blobs/uploads/ answered 401 UNAUTHORIZED: authentication required (WWW-Authenticate: Bearer error="invalid_token")"#,
            "    body: &lt;html&gt;&lt;/html&gt;",
            "registry log:\n  level=warning msg=\"authorization token required\"",
        ] {
            assert!(xml.contains(line), "no {line:?} in\n{xml}");
        }
    }

    #[test]
    fn a_flaky_cell_lists_every_run() {
        let mut c = cell("storage/x", "v3.0.0", Outcome::Flaky, Outcome::Pass);
        c.observations = vec![
            Observation {
                outcome: Outcome::Pass,
                evidence: "1 steps ok".into(),
                duration_ms: 1100,
            },
            Observation {
                outcome: Outcome::Fail,
                evidence: "step 1 push: 503".into(),
                duration_ms: 1300,
            },
        ];
        let xml = render(&report(vec![c]));
        assert!(xml.contains(r#"type="flaky">"#), "{xml}");
        assert!(xml.contains(
            "runs (2):\n  1. pass in 1.100s: 1 steps ok\n  2. fail in 1.300s: step 1 push: 503\n"
        ));
    }

    #[test]
    fn suites_follow_versions_and_count_their_cells() {
        let mut skipped = cell(
            "storage/client-secret",
            "v2.8.3",
            Outcome::Unsupported,
            Outcome::Unsupported,
        );
        skipped.expected_because = Some("2.8 has no credentials block".into());
        let xml = render(&report(vec![
            cell("auth/a", "v3.0.0", Outcome::Pass, Outcome::Pass),
            skipped,
            cell("auth/a", "v2.8.3", Outcome::Fail, Outcome::Pass),
            cell("auth/b", "v2.8.3", Outcome::Error, Outcome::Pass),
            cell("auth/a", "v9.9.9", Outcome::Pass, Outcome::Pass),
        ]));
        let v28 = xml.find(r#"<testsuite name="v2.8.3" tests="3" failures="1" errors="1" skipped="1" time="4.500">"#);
        let v30 = xml.find(r#"<testsuite name="v3.0.0" tests="1" failures="0" errors="0" skipped="0" time="1.500">"#);
        let v99 = xml.find(r#"<testsuite name="v9.9.9" tests="1""#);
        assert!(v28 < v30 && v30 < v99 && v28.is_some(), "{xml}");
        assert!(xml.contains(
            r#"<testsuites name="regmatrix" tests="5" failures="1" errors="1" skipped="1" time="7.500">"#
        ));
        assert!(xml.contains(r#"<skipped message="unsupported: 2.8 has no credentials block"/>"#));
        assert!(
            xml.contains(r#"<error message="error, expected pass: error evidence" type="error">"#)
        );
        assert!(xml.contains(r#"<property name="version_line" value="github.com/distribution/distribution/v3 v2.8.3"/>"#));
    }
}
