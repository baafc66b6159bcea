//! `reports/schema/matrix.schema.json` describes the report the model writes:
//! the committed `reports/matrix.json` and a report built here with every
//! field and every outcome both validate, the schema requires exactly the
//! fields the model cannot read without, and it names no field the model
//! lacks. When the model changes, these fail until the schema follows.

mod common;

use std::collections::BTreeMap;

use regmatrix::report::{
    Cell, FaultSummary, IdentitySummary, MatrixReport, Observation, Outcome, RunStats,
    ScenarioInfo, ShardInfo, TrafficSummary, VersionInfo, SCHEMA_VERSION,
};
use regmatrix::report::{ExchangeRecord, StepObservation};
use regmatrix::report::{RegistryErrorCode, RegistryErrorRecord};
use serde_json::Value;

fn schema() -> Value {
    let path = common::repo_root().join("reports/schema/matrix.schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema compiles as draft 2020-12")
}

/// Every violation, one per line, with the JSON pointer it is at.
fn violations(instance: &Value) -> Vec<String> {
    validator()
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(instance: &Value, what: &str) {
    let errors = violations(instance);
    const SHOWN: usize = 40;
    assert!(
        errors.is_empty(),
        "{what} does not match reports/schema/matrix.schema.json ({} violations; either the model changed and the schema must follow, or the report was written by another model):\n{}{}",
        errors.len(),
        errors[..errors.len().min(SHOWN)].join("\n"),
        if errors.len() > SHOWN { "\n..." } else { "" }
    );
}

/// Every outcome; the match fails to compile when one is added, so the
/// list (and the schema's enum, checked below) cannot fall behind.
fn every_outcome() -> Vec<Outcome> {
    let all = vec![
        Outcome::Security,
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Unsupported,
        Outcome::Error,
        Outcome::Flaky,
        Outcome::DataLoss,
        Outcome::NoRecovery,
    ];
    for outcome in &all {
        match outcome {
            Outcome::Security
            | Outcome::Pass
            | Outcome::Fail
            | Outcome::Unsupported
            | Outcome::Error
            | Outcome::Flaky
            | Outcome::DataLoss
            | Outcome::NoRecovery => {}
        }
    }
    all
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn step(index: usize, ok: bool) -> StepObservation {
    StepObservation {
        index,
        phase: Some("2 to".into()),
        served_by: Some("v3.1.1".into()),
        kind: "push".into(),
        summary: "push a 1 MiB blob and its manifest".into(),
        ok,
        duration_ms: 40,
        requests: vec![
            ExchangeRecord {
                method: "POST".into(),
                path: "/v2/regmatrix/synthetic/blobs/uploads/".into(),
                status: Some(202),
                duration_ms: 3,
            },
            ExchangeRecord {
                method: "PUT".into(),
                path: "/v2/regmatrix/synthetic/blobs/uploads/1?digest=sha256:00".into(),
                status: None,
                duration_ms: 30_000,
            },
        ],
        storage_requests: 7,
        error: None,
        registry_error: None,
    }
}

fn cell(scenario: &str, outcome: Outcome, expected: Outcome) -> Cell {
    Cell {
        scenario: scenario.into(),
        version: Some("v3.0.0".into()),
        path: None,
        refusal: true,
        outcome,
        expected,
        evidence: format!("{outcome}: 1 steps ok; Blob storage saw 7 requests"),
        expectation_from_range: true,
        expected_because: None,
        expected_reference: None,
        duration_ms: 1200,
        process_cpu_ms: [
            ("registry v3.1.2".to_string(), 830),
            ("azurite".to_string(), 1210),
        ]
        .into(),
        steps: vec![step(0, true)],
        registry_log: Vec::new(),
        storage_traffic: TrafficSummary {
            requests: 7,
            bytes_up: 1_048_576,
            bytes_down: 512,
            by_auth_scheme: counts(&[("shared_key", 7)]),
            by_status: counts(&[("201", 6), ("404", 1)]),
            emulator_rewrites: BTreeMap::new(),
        },
        identity: IdentitySummary::default(),
        observations: Vec::new(),
        faults: Vec::new(),
        seed: Some(1),
        conformance: None,
    }
}

/// A report with one cell of each outcome, and every optional field set
/// somewhere: shard, expected_because, registry_error (with and without a
/// JSON body), registry_log, identity (calls, errors, unanswered),
/// emulator_rewrites, observations, conformance.
fn synthetic_report() -> MatrixReport {
    let mut security = cell(
        "auth/attack-embedded-jwk",
        Outcome::Security,
        Outcome::Security,
    );
    security.expected_because = Some("alpha.1 trusts the embedded jwk".into());
    security.expected_reference =
        Some("https://github.com/distribution/distribution/pull/4257".into());
    security.steps[0].ok = false;
    security.steps[0].error = Some("the registry accepted a push with this token".into());

    let mut pass = cell("storage/shared-key", Outcome::Pass, Outcome::Pass);
    pass.conformance = Some(regmatrix::report::ConformanceSummary {
        suite: "v0.0.0-20260831232431-97274622c111".into(),
        passed: 410,
        failed: 2,
        skipped: 30,
        categories: vec![regmatrix::report::ConformanceCategory {
            name: "Blobs sha256".into(),
            passed: 60,
            failed: 2,
            skipped: 0,
        }],
        failing: vec!["OCI Conformance Test/Blobs sha256/blob range".into()],
        results: Some("cells/storage/shared-key/v3.0.0/conformance-0".into()),
    });

    let mut fail = cell("auth/expired-token", Outcome::Fail, Outcome::Pass);
    fail.steps.push(StepObservation {
        ok: false,
        error: Some("POST /v2/regmatrix/synthetic/blobs/uploads/ answered 401".into()),
        registry_error: Some(RegistryErrorRecord {
            method: "POST".into(),
            path: "/v2/regmatrix/synthetic/blobs/uploads/".into(),
            status: 401,
            errors: vec![RegistryErrorCode {
                code: "UNAUTHORIZED".into(),
                message: "authentication required".into(),
            }],
            www_authenticate: Some(
                r#"Bearer realm="https://auth.regmatrix.test/token",error="invalid_token""#.into(),
            ),
            raw_body: None,
        }),
        ..step(1, false)
    });
    fail.steps.push(StepObservation {
        ok: false,
        registry_error: Some(RegistryErrorRecord {
            method: "GET".into(),
            path: "/v2/".into(),
            status: 502,
            errors: Vec::new(),
            www_authenticate: None,
            raw_body: Some("<html>Bad Gateway</html>".into()),
        }),
        ..step(2, false)
    });
    fail.registry_log = vec![
        r#"time="2026-11-28T14:18:03Z" level=error msg="token expired""#.into(),
        "level=info msg=\"response completed\" http.response.status=401".into(),
    ];
    fail.identity = IdentitySummary {
        calls: counts(&[("entra-token client_assertion 200", 2)]),
        errors: vec!["AADSTS700024".into()],
        unanswered: counts(&[("169.254.169.254 unreachable", 1)]),
    };
    fail.storage_traffic.emulator_rewrites = counts(&[("copy-source-auth", 1)]);

    let mut unsupported = cell(
        "storage/client-secret",
        Outcome::Unsupported,
        Outcome::Unsupported,
    );
    unsupported.expected_because = Some("2.8's azure driver has no credentials block".into());
    unsupported.steps.clear();

    let mut error = cell("storage/token-refresh", Outcome::Error, Outcome::Pass);
    error.steps.clear();
    error.storage_traffic = TrafficSummary::default();

    let mut flaky = cell("storage/identity-outage", Outcome::Flaky, Outcome::Pass);
    flaky.observations = vec![
        Observation {
            outcome: Outcome::Pass,
            evidence: "1 steps ok".into(),
            duration_ms: 1100,
        },
        Observation {
            outcome: Outcome::Fail,
            evidence: "step 1 push: PUT answered 503".into(),
            duration_ms: 1300,
        },
    ];

    let mut lost = cell(
        "faults/azurite-restart-during-push",
        Outcome::DataLoss,
        Outcome::Pass,
    );
    let stuck = cell(
        "faults/storage-503-chunked-push",
        Outcome::NoRecovery,
        Outcome::Pass,
    );

    lost.faults = vec![FaultSummary {
        rule: "host=*.blob.core.windows.net action=status:503 schedule=prob:0.1,seed:42".into(),
        kind: "status".into(),
        seed: Some(42),
        matched: 40,
        injected: 4,
    }];

    // An upgrade cell: a path instead of a version.
    fail.version = None;
    fail.path = Some(regmatrix::report::UpgradePath {
        from: "v3.0.0".into(),
        to: "v3.1.1".into(),
    });
    let cells = vec![security, pass, fail, unsupported, error, flaky, lost, stuck];
    MatrixReport {
        schema_version: SCHEMA_VERSION,
        generated_at: "Sat, 28 Nov 2026 14:19:02 GMT".into(),
        harness_version: "0.1.0".into(),
        versions: vec![VersionInfo {
            tag: "v3.0.0".into(),
            version_line: "github.com/distribution/distribution/v3 v3.0.0".into(),
            // Every optional field is set: the schema test compares keys.
            image: Some("registry:3.0.0".into()),
        }],
        paths: vec![regmatrix::report::UpgradePath {
            from: "v3.0.0".into(),
            to: "v3.1.1".into(),
        }],
        scenarios: cells
            .iter()
            .map(|c| ScenarioInfo {
                id: c.scenario.clone(),
                title: format!("synthetic {}", c.scenario),
                file: format!("scenarios/{}.toml", c.scenario),
            })
            .collect(),
        cells,
        run: RunStats {
            wall_ms: 9000,
            jobs: 2,
            harness_peak_rss_kib: 28_588,
            harness_cpu_ms: 2100,
            cores: 2,
            process_cpu_ms: 2040,
            lower_bound_ms: 2070,
            wall_to_lower_bound: 4.35,
        },
        shard: Some(ShardInfo { index: 2, count: 3 }),
        version_set: Some(regmatrix::report::VersionSetInfo {
            expression: ">=v3.0.0, !v3.1.0".into(),
            releases: 14,
            offline: Some(
                "https://proxy.golang.org/github.com/docker/distribution/@v/list: timed out".into(),
            ),
        }),
    }
}

fn synthetic_json() -> Value {
    serde_json::to_value(synthetic_report()).unwrap()
}

fn model_reads(instance: &Value) -> bool {
    serde_json::from_value::<MatrixReport>(instance.clone()).is_ok()
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema() {
    let schema = schema();
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("matrix.schema.json violates its meta-schema: {e}");
    }
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["properties"]["schema_version"]["const"], SCHEMA_VERSION,
        "the schema describes another schema_version than the model writes"
    );
}

#[test]
fn the_committed_report_matches_the_schema() {
    let path = common::repo_root().join("reports/matrix.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_valid(&report, "reports/matrix.json");
}

#[test]
fn a_report_with_every_outcome_and_every_optional_field_matches_the_schema() {
    let json = synthetic_json();
    assert_valid(&json, "the synthetic report");
    let outcomes: Vec<&str> = json["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    let every: Vec<&str> = every_outcome().into_iter().map(Outcome::as_str).collect();
    assert_eq!(outcomes, every, "one cell per outcome");
    // It reads back as it was written.
    let read: MatrixReport = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(read).unwrap(), json);
}

#[test]
fn the_outcome_enum_lists_exactly_the_models_outcomes() {
    let schema = schema();
    let listed: Vec<Value> = schema["$defs"]["outcome"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    let model: Vec<Value> = every_outcome()
        .into_iter()
        .map(|o| serde_json::to_value(o).unwrap())
        .collect();
    assert_eq!(listed, model);
}

#[test]
fn an_unknown_outcome_is_rejected() {
    for field in ["outcome", "expected"] {
        let mut json = synthetic_json();
        json["cells"][1][field] = Value::from("skipped");
        let errors = violations(&json);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("/cells/1/{field}"))),
            "{field} \"skipped\" was accepted: {errors:?}"
        );
        assert!(!model_reads(&json), "the model reads {field} \"skipped\"");
    }
    let mut json = synthetic_json();
    json["cells"][5]["observations"][0]["outcome"] = Value::from("PASS");
    assert!(!violations(&json).is_empty(), "observation outcome PASS");
}

#[test]
fn a_report_without_schema_version_or_with_another_is_rejected() {
    let mut json = synthetic_json();
    json.as_object_mut().unwrap().remove("schema_version");
    let errors = violations(&json);
    assert!(
        errors.iter().any(|e| e.contains("schema_version")),
        "a report without schema_version was accepted: {errors:?}"
    );

    let mut json = synthetic_json();
    json["schema_version"] = Value::from(SCHEMA_VERSION + 1);
    assert!(
        !violations(&json).is_empty(),
        "schema_version {} was accepted",
        SCHEMA_VERSION + 1
    );
}

#[test]
fn closed_objects_reject_unknown_fields() {
    for pointer in ["", "/cells/0", "/cells/2/steps/1/registry_error", "/run"] {
        let mut json = synthetic_json();
        json.pointer_mut(pointer)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("surprise".into(), Value::from(1));
        assert!(
            !violations(&json).is_empty(),
            "an unknown field at {pointer:?} was accepted"
        );
    }
}

/// Every object in `value`, by JSON pointer.
fn objects(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                objects(child, format!("{pointer}/{key}"), out);
            }
            out.push(pointer);
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                objects(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_schema_requires_exactly_the_fields_the_model_cannot_read_without() {
    let json = synthetic_json();
    assert_valid(&json, "the synthetic report");
    let mut pointers = Vec::new();
    objects(&json, String::new(), &mut pointers);
    let validator = validator();
    let mut disagreements = Vec::new();
    for pointer in &pointers {
        let keys: Vec<String> = json
            .pointer(pointer)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for key in keys {
            let mut without = json.clone();
            without
                .pointer_mut(pointer)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove(&key);
            let schema_accepts = validator.is_valid(&without);
            let model_accepts = model_reads(&without);
            if schema_accepts != model_accepts {
                disagreements.push(format!(
                    "{pointer}/{key} missing: schema {}, model {}",
                    verdict(schema_accepts),
                    verdict(model_accepts)
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "the schema's `required` lists disagree with the model:\n{}",
        disagreements.join("\n")
    );
}

fn verdict(accepts: bool) -> &'static str {
    if accepts {
        "accepts"
    } else {
        "rejects"
    }
}

/// `properties` of a schema object, with `$ref`s followed.
fn property_names(schema: &Value, def: &Value) -> Vec<String> {
    let def = match def.get("$ref").and_then(Value::as_str) {
        Some(reference) => schema
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {reference}")),
        None => def,
    };
    let mut names: Vec<String> = def["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no properties in {def}"))
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

#[test]
fn the_schema_names_no_field_the_model_does_not_write() {
    // The synthetic report sets every field; each closed object in it must
    // carry exactly the properties its schema lists.
    let schema = schema();
    let json = synthetic_json();
    let defs = &schema["$defs"];
    let pairs: [(&str, &Value); 11] = [
        ("", &schema),
        ("/versions/0", &defs["version"]),
        ("/scenarios/0", &defs["scenario"]),
        ("/run", &defs["runStats"]),
        ("/shard", &defs["shard"]),
        ("/cells/2/steps/1", &defs["step"]),
        ("/cells/2/steps/1/requests/0", &defs["exchange"]),
        ("/cells/2/steps/1/registry_error", &defs["registryError"]),
        ("/cells/2/storage_traffic", &defs["traffic"]),
        ("/cells/2/identity", &defs["identity"]),
        ("/cells/5/observations/0", &defs["observation"]),
    ];
    let mut mismatches = Vec::new();
    for (pointer, def) in pairs {
        let mut written: Vec<String> = json
            .pointer(pointer)
            .unwrap_or_else(|| panic!("the synthetic report has nothing at {pointer:?}"))
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        written.sort();
        let listed = property_names(&schema, def);
        if written != listed {
            mismatches.push(format!(
                "{pointer:?}: the model writes {written:?}, the schema lists {listed:?}"
            ));
        }
    }
    // No one cell carries every optional field (`observations` belong to
    // the flaky one): the cells together must.
    let cell_fields: std::collections::BTreeSet<String> = json["cells"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c.as_object().unwrap().keys().cloned())
        .collect();
    let listed: std::collections::BTreeSet<String> =
        property_names(&schema, &defs["cell"]).into_iter().collect();
    if cell_fields != listed {
        mismatches.push(format!(
            "cells: the model writes {cell_fields:?}, the schema lists {listed:?}"
        ));
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
