//! The committed `reports/matrix.json` as JUnit XML, read back with a real
//! XML parser the way a CI server reads it: one testcase per cell, security
//! findings and surprises as failures, unsupported cells skipped, and suite
//! counts that add up; with upgrade cells added, one suite per path after
//! the versions. Independent of which cells the current report holds,
//! except for the one known security finding (embedded jwk on alpha.1).

mod common;

use regmatrix::report::{junit, Cell, MatrixReport, Outcome};
use roxmltree::{Document, Node};

fn committed_report() -> MatrixReport {
    let path = common::repo_root().join("reports/matrix.json");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn elements<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Vec<Node<'a, 'input>> {
    node.children()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .collect()
}

/// The one child saying how the testcase ended, if any.
fn result<'a, 'input>(case: Node<'a, 'input>) -> Option<Node<'a, 'input>> {
    let results: Vec<_> = case.children().filter(|n| n.is_element()).collect();
    assert!(
        results.len() <= 1,
        "testcase with {} results",
        results.len()
    );
    results.into_iter().next()
}

fn count(node: Node<'_, '_>, attribute: &str) -> usize {
    node.attribute(attribute)
        .unwrap_or_else(|| panic!("no {attribute} on {:?}", node.tag_name()))
        .parse()
        .unwrap()
}

/// `time="1.653"` as milliseconds, without floating point.
fn millis(node: Node<'_, '_>) -> u64 {
    let time = node.attribute("time").unwrap();
    let (s, ms) = time.split_once('.').unwrap();
    assert_eq!(ms.len(), 3, "time {time}");
    s.parse::<u64>().unwrap() * 1000 + ms.parse::<u64>().unwrap()
}

fn case_name(cell: &Cell) -> String {
    format!("{} on {}", cell.scenario, cell.column())
}

/// The JUnit element a cell must end in, stated independently of the renderer.
fn expected_result(cell: &Cell) -> Option<&'static str> {
    match cell.outcome {
        Outcome::Error => Some("error"),
        // Alarms fail a run even when expected (`Outcome::is_alarm`).
        Outcome::Security | Outcome::DataLoss | Outcome::Flaky => Some("failure"),
        _ if cell.outcome != cell.expected => Some("failure"),
        Outcome::Unsupported => Some("skipped"),
        _ => None,
    }
}

#[test]
fn every_cell_is_one_testcase_in_its_versions_suite() {
    let report = committed_report();
    let xml = junit::render(&report);
    let doc = Document::parse(&xml).expect("the JUnit report is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites = elements(root, "testsuite");
    let names: Vec<&str> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(
        names,
        report.columns(),
        "one suite per version, then per upgrade path, in report order"
    );

    let mut seen = 0;
    for cell in &report.cells {
        let suite = suites
            .iter()
            .find(|s| s.attribute("name") == Some(cell.column().as_str()))
            .unwrap();
        let cases: Vec<_> = elements(*suite, "testcase")
            .into_iter()
            .filter(|c| c.attribute("name") == Some(case_name(cell).as_str()))
            .collect();
        assert_eq!(cases.len(), 1, "{}", case_name(cell));
        let case = cases[0];
        let area = cell.scenario.split('/').next().unwrap();
        assert_eq!(case.attribute("classname"), Some(area));
        assert_eq!(millis(case), cell.duration_ms, "{}", case_name(cell));
        assert_eq!(
            result(case).map(|r| r.tag_name().name()),
            expected_result(cell),
            "{} ({} expected {})",
            case_name(cell),
            cell.outcome,
            cell.expected
        );
        seen += 1;
    }
    let all_cases: usize = suites.iter().map(|s| elements(*s, "testcase").len()).sum();
    assert_eq!(all_cases, seen);
    assert_eq!(all_cases, report.cells.len());
}

#[test]
fn the_expected_security_finding_is_a_failure_with_its_evidence() {
    let report = committed_report();
    let cell = report
        .cell("auth/attack-embedded-jwk", "v3.0.0-alpha.1")
        .expect("the committed report has auth/attack-embedded-jwk on v3.0.0-alpha.1");
    assert_eq!(cell.outcome, Outcome::Security);
    assert_eq!(cell.expected, Outcome::Security);

    let xml = junit::render(&report);
    let doc = Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.attribute("name") == Some(case_name(cell).as_str()))
        .unwrap();
    let failure = result(case).expect("a security cell has a result");
    assert_eq!(failure.tag_name().name(), "failure");
    assert_eq!(failure.attribute("type"), Some("security"));
    // The message reads as people read the cell: `security` is `accepted`.
    assert_eq!(
        failure.attribute("message").unwrap(),
        format!("accepted, expected accepted: {}", cell.evidence)
    );
    let body = failure.text().unwrap();
    assert!(body.contains(&format!("evidence: {}", cell.evidence)));
    assert!(body.contains(&format!(
        "because: {}",
        cell.expected_because.as_deref().unwrap()
    )));
    for line in &cell.registry_log {
        assert!(
            body.contains(line.as_str()),
            "registry log line missing: {line}"
        );
    }
    // Every security cell fails the suite, expected or not.
    for cell in report
        .cells
        .iter()
        .filter(|c| c.outcome == Outcome::Security)
    {
        let case = doc
            .descendants()
            .find(|n| n.attribute("name") == Some(case_name(cell).as_str()))
            .unwrap();
        assert_eq!(result(case).unwrap().tag_name().name(), "failure");
    }
}

#[test]
fn unsupported_cells_are_skipped_with_their_reason() {
    let report = committed_report();
    let xml = junit::render(&report);
    let doc = Document::parse(&xml).unwrap();
    let unsupported: Vec<&Cell> = report
        .cells
        .iter()
        .filter(|c| c.outcome == Outcome::Unsupported && c.as_expected())
        .collect();
    assert!(
        !unsupported.is_empty(),
        "the committed report has unsupported cells"
    );
    for cell in unsupported {
        let case = doc
            .descendants()
            .find(|n| n.attribute("name") == Some(case_name(cell).as_str()))
            .unwrap();
        let skipped = result(case).unwrap();
        assert_eq!(skipped.tag_name().name(), "skipped", "{}", case_name(cell));
        let reason = cell.expected_because.as_deref().unwrap_or(&cell.evidence);
        assert_eq!(
            skipped.attribute("message").unwrap(),
            format!("unsupported: {reason}")
        );
    }
}

#[test]
fn suite_counts_add_up() {
    let report = committed_report();
    let xml = junit::render(&report);
    let doc = Document::parse(&xml).unwrap();
    let root = doc.root_element();
    let mut totals = [0usize; 4];
    let mut total_ms = 0;
    for suite in elements(root, "testsuite") {
        let cases = elements(suite, "testcase");
        let with = |name: &str| {
            cases
                .iter()
                .filter(|c| result(**c).map(|r| r.tag_name().name()) == Some(name))
                .count()
        };
        let counted = [cases.len(), with("failure"), with("error"), with("skipped")];
        let stated = [
            count(suite, "tests"),
            count(suite, "failures"),
            count(suite, "errors"),
            count(suite, "skipped"),
        ];
        assert_eq!(
            stated,
            counted,
            "suite {} states tests/failures/errors/skipped {stated:?}, holds {counted:?}",
            suite.attribute("name").unwrap()
        );
        let case_ms: u64 = cases.iter().map(|c| millis(*c)).sum();
        assert_eq!(millis(suite), case_ms);
        for (total, n) in totals.iter_mut().zip(counted) {
            *total += n;
        }
        total_ms += case_ms;
    }
    let stated = [
        count(root, "tests"),
        count(root, "failures"),
        count(root, "errors"),
        count(root, "skipped"),
    ];
    assert_eq!(stated, totals);
    assert_eq!(millis(root), total_ms);
    assert_eq!(totals[0], report.cells.len());
    // Failures and errors are what fails the run.
    assert_eq!(totals[1] + totals[2] > 0, report.exit_code() != 0);
}

#[test]
fn hostile_evidence_survives_a_real_parser() {
    let mut report = committed_report();
    let evil = "accepted \"jwk\" <kid> & 'x' ]]> \u{1b}[31mred\u{7}\u{0}\ttab\r\nnext";
    let clean = "accepted \"jwk\" <kid> & 'x' ]]> [31mred\ttab\r\nnext";
    let cell = &mut report.cells[0];
    cell.outcome = Outcome::Fail;
    cell.expected = Outcome::Pass;
    cell.evidence = evil.into();
    cell.expected_because = Some(format!("because {evil}"));
    cell.registry_log = vec![format!("msg=\"{evil}\"")];
    let name = case_name(cell);

    let xml = junit::render(&report);
    let doc = Document::parse(&xml).expect("control characters are dropped, markup escaped");
    let case = doc
        .descendants()
        .find(|n| n.attribute("name") == Some(name.as_str()))
        .unwrap();
    let failure = result(case).unwrap();
    assert_eq!(failure.tag_name().name(), "failure");
    assert_eq!(failure.attribute("type"), Some("fail"));
    assert_eq!(
        failure.attribute("message").unwrap(),
        format!("fail, expected pass: {clean}")
    );
    let body = failure.text().unwrap();
    assert!(body.contains(&format!("because: because {clean}")));
    assert!(body.contains(&format!("msg=\"{clean}\"")));
}

#[test]
fn upgrade_paths_are_suites_after_the_versions() {
    let report = common::with_upgrade_cells(committed_report());
    let xml = junit::render(&report);
    let doc = Document::parse(&xml).expect("well-formed with paths");
    let suites = elements(doc.root_element(), "testsuite");
    let names: Vec<&str> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(names, report.columns(), "versions, then paths, in order");
    // The last two upgrade paths (same-version pairs, replicas, may follow).
    let upgrades: Vec<_> = report.paths.iter().filter(|p| p.from != p.to).collect();
    for path in &upgrades[upgrades.len() - 2..] {
        let name = path.to_string();
        let suite = suites
            .iter()
            .find(|s| s.attribute("name") == Some(name.as_str()))
            .unwrap();
        let case_name = format!("upgrade/in-place on {name}");
        let cases: Vec<_> = elements(*suite, "testcase")
            .into_iter()
            .filter(|c| c.attribute("name") == Some(case_name.as_str()))
            .collect();
        assert_eq!(cases.len(), 1, "{case_name}");
        assert_eq!(cases[0].attribute("classname"), Some("upgrade"));
        let property = |key: &str| {
            suite
                .descendants()
                .find(|n| n.attribute("name") == Some(key))
                .and_then(|n| n.attribute("value"))
        };
        assert_eq!(property("from"), Some(path.from.as_str()));
        assert_eq!(property("to"), Some(path.to.as_str()));
        assert_eq!(
            property("rollback"),
            Some(if report.is_rollback(path) {
                "true"
            } else {
                "false"
            })
        );
    }
    // Every path cell is a case: a failure exactly when it is not as
    // expected (or an alarm), like any other cell.
    for cell in report.cells.iter().filter(|c| c.path.is_some()) {
        let name = format!("{} on {}", cell.scenario, cell.column());
        let case = doc
            .descendants()
            .find(|n| n.attribute("name") == Some(name.as_str()))
            .unwrap_or_else(|| panic!("no testcase {name}"));
        let failed = result(case).is_some_and(|r| r.tag_name().name() == "failure");
        assert_eq!(
            failed,
            !cell.as_expected() || cell.outcome.is_alarm(),
            "{name}: {}",
            cell.evidence
        );
    }
}
