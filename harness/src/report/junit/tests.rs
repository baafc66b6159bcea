use super::*;
use crate::report::{
    Observation, RegistryErrorCode, RegistryErrorRecord, ScenarioInfo, StepObservation,
    TrafficSummary, VersionInfo, SCHEMA_VERSION,
};

fn cell(scenario: &str, version: &str, outcome: Outcome, expected: Outcome) -> Cell {
    Cell {
        scenario: scenario.into(),
        version: Some(version.into()),
        path: None,
        refusal: false,
        outcome,
        expected,
        evidence: format!("{outcome} evidence"),
        expectation_from_range: false,
        expected_because: None,
        expected_reference: None,
        duration_ms: 1500,
        process_cpu_ms: Default::default(),
        steps: Vec::new(),
        registry_log: Vec::new(),
        storage_traffic: TrafficSummary::default(),
        identity: Default::default(),
        observations: Vec::new(),
        faults: Vec::new(),
        seed: None,
        conformance: None,
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
                image: None,
            })
            .collect(),
        paths: Vec::new(),
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
        version_set: None,
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
    c.refusal = true;
    c.evidence = r#"step 1 push-denied: accepted "jwk" <kid> & stored"#.into();
    c.expected_because = Some("alpha.1 trusts the embedded key".into());
    c.registry_log = vec!["level=warning msg=\"authorization token required\"".into()];
    c.steps = vec![StepObservation {
        index: 0,
        phase: None,
        served_by: None,
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
        r#"<failure message="accepted, expected accepted: step 1 push-denied: accepted &quot;jwk&quot; &lt;kid&gt; &amp; stored" type="security">"#
    ), "{xml}");
    for line in [
        "outcome: security (reads accepted: accepted a token it must refuse; security or data loss: an alarm even when expected)\nexpected: security (reads accepted)\n",
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
    let v28 = xml.find(
        r#"<testsuite name="v2.8.3" tests="3" failures="1" errors="1" skipped="1" time="4.500">"#,
    );
    let v30 = xml.find(
        r#"<testsuite name="v3.0.0" tests="1" failures="0" errors="0" skipped="0" time="1.500">"#,
    );
    let v99 = xml.find(r#"<testsuite name="v9.9.9" tests="1""#);
    assert!(v28 < v30 && v30 < v99 && v28.is_some(), "{xml}");
    assert!(xml.contains(
        r#"<testsuites name="regmatrix" tests="5" failures="1" errors="1" skipped="1" time="7.500">"#
    ));
    assert!(xml.contains(r#"<skipped message="unsupported: 2.8 has no credentials block"/>"#));
    assert!(xml.contains(r#"<error message="error, expected pass: error evidence" type="error">"#));
    assert!(xml.contains(
        r#"<property name="version_line" value="github.com/distribution/distribution/v3 v2.8.3"/>"#
    ));
}

#[test]
fn a_refused_attack_passes_and_an_accepted_one_reads_accepted() {
    let mut refused = cell(
        "auth/attack-alg-none",
        "v3.0.0",
        Outcome::Pass,
        Outcome::Pass,
    );
    refused.refusal = true;
    let mut accepted = cell(
        "auth/attack-alg-none",
        "v2.8.3",
        Outcome::Security,
        Outcome::Pass,
    );
    accepted.refusal = true;
    accepted.evidence = "step 1 push-denied: the registry accepted a push".into();
    let xml = render(&report(vec![refused, accepted]));
    assert!(
        xml.contains(
            r#"<testcase classname="auth" name="auth/attack-alg-none on v3.0.0" time="1.500"/>"#
        ),
        "{xml}"
    );
    assert!(xml.contains(
        r#"<failure message="accepted, expected refused: step 1 push-denied: the registry accepted a push" type="security">"#
    ), "{xml}");
}

#[test]
fn upgrade_paths_are_suites_after_the_versions() {
    use crate::report::fixtures::path_cell;
    let mut rollback = path_cell("upgrade/in-place", "v3.0.0", "v2.8.3", Outcome::Fail);
    rollback.duration_ms = 1500;
    rollback.steps[1].ok = false;
    rollback.steps[1].error = Some("GET /v2/r/manifests/latest answered 404".into());
    rollback.expected_reference =
        Some("https://github.com/distribution/distribution/issues/4871".into());
    let mut forward = path_cell("upgrade/in-place", "v2.8.3", "v3.0.0", Outcome::Pass);
    forward.duration_ms = 1500;
    let mut r = report(vec![
        cell("auth/a", "v3.0.0", Outcome::Pass, Outcome::Pass),
        rollback,
        forward,
    ]);
    r.paths = vec![
        crate::report::UpgradePath {
            from: "v2.8.3".into(),
            to: "v3.0.0".into(),
        },
        crate::report::UpgradePath {
            from: "v3.0.0".into(),
            to: "v2.8.3".into(),
        },
    ];
    let xml = render(&r);
    let names: Vec<&str> = xml
        .match_indices("<testsuite name=\"")
        .map(|(at, m)| {
            let rest = &xml[at + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(
        names,
        [
            "v2.8.3",
            "v3.0.0",
            "v2.8.3 -&gt; v3.0.0",
            "v3.0.0 -&gt; v2.8.3"
        ],
        "{xml}"
    );
    assert!(xml.contains(
        r#"<testcase classname="upgrade" name="upgrade/in-place on v2.8.3 -&gt; v3.0.0" time="1.500"/>"#
    ), "{xml}");
    assert!(xml.contains(
        r#"<failure message="fail, expected pass: upgrade/in-place on v3.0.0 -&gt; v2.8.3: fail" type="fail">"#
    ), "{xml}");
    for line in [
        r#"<property name="from" value="v3.0.0"/>"#,
        r#"<property name="to" value="v2.8.3"/>"#,
        r#"<property name="rollback" value="true"/>"#,
        r#"<property name="rollback" value="false"/>"#,
        r#"<property name="to_version_line" value="github.com/distribution/distribution/v3 v2.8.3"/>"#,
        "path: v3.0.0 writes, then v2.8.3 starts on the same storage\n",
        "reference: https://github.com/distribution/distribution/issues/4871\n",
        "  step 2 (2 to, on v2.8.3) pull: pull on v2.8.3\n    error: GET /v2/r/manifests/latest answered 404\n",
    ] {
        assert!(xml.contains(line), "no {line:?} in\n{xml}");
    }
}
