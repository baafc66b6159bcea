use super::*;

const GOOD: &str = r#"
id = "storage/x"
title = "x"
repository = "r/x"

[[step]]
kind = "push-blob"
blob = "a"
size = "1MiB"
mode = "monolithic"

[[expect]]
versions = "*"
outcome = "pass"

[[expect]]
versions = "v2.8.3"
outcome = "unsupported"
because = "2.8 has shared key only"
"#;

#[test]
fn last_matching_expectation_wins() {
    let s = parse(Path::new("x.toml"), GOOD).unwrap();
    assert_eq!(
        s.expectation_for(&"v2.8.3".parse().unwrap()).outcome,
        Outcome::Unsupported
    );
    assert_eq!(
        s.expectation_for(&"v3.0.0".parse().unwrap()).outcome,
        Outcome::Pass
    );
}

#[test]
fn unknown_key_names_line_and_column() {
    let bad = GOOD.replace("mode = \"monolithic\"", "mode = \"monolithic\"\nsise = 3");
    let err = parse(Path::new("s.toml"), &bad).unwrap_err().to_string();
    assert!(err.starts_with("s.toml:6:1:"), "{err}");
    assert!(err.contains("sise"), "{err}");
}

#[test]
fn syntax_error_names_line_and_column() {
    let bad = GOOD.replace("title = \"x\"", "title = \"x");
    let err = parse(Path::new("s.toml"), &bad).unwrap_err().to_string();
    assert!(err.starts_with("s.toml:3:"), "{err}");
}

#[test]
fn unknown_blob_reference_points_at_the_step() {
    let bad = format!("{GOOD}\n[[step]]\nkind = \"pull-blobs\"\nblobs = [\"nope\"]\n");
    let err = parse(Path::new("s.toml"), &bad).unwrap_err().to_string();
    assert!(err.contains("\"nope\""), "{err}");
    assert!(err.starts_with("s.toml:2"), "{err}");
}

#[test]
fn an_expected_failure_needs_evidence_and_reference() {
    let bad = GOOD.replace(
        "outcome = \"unsupported\"\nbecause = \"2.8 has shared key only\"",
        "outcome = \"fail\"\nbecause = \"x\"",
    );
    let err = parse(Path::new("s.toml"), &bad).unwrap_err().to_string();
    assert!(err.contains("reference"), "{err}");
}

const UPGRADE: &str = r#"
id = "upgrade/x"
title = "x"
repository = "r/x"

[[phase]]
run = "from"

[[phase.step]]
kind = "push-blob"
blob = "a"
size = "1MiB"
mode = "monolithic"

[[phase]]
run = "both"

[[phase.step]]
kind = "pull-blobs"
via = "from"
blobs = ["a"]

[[phase.step]]
kind = "pull-blobs"
via = "to"
blobs = ["a"]

[[expect]]
outcome = "pass"

[[expect]]
from = "v2.8.3"
to = ">=v3.0.0"
outcome = "fail"
because = "x"
reference = "y"
"#;

#[test]
fn phases_plan_each_step_on_the_process_it_names() {
    let s = parse(Path::new("u.toml"), UPGRADE).unwrap();
    assert!(s.is_upgrade());
    let plan: Vec<String> = s
        .plan()
        .iter()
        .map(|item| match item {
            PlanItem::Enter { number, run } => format!("enter {number} {}", run.as_str()),
            PlanItem::Step { step, via, .. } => format!("{} via {via}", step.kind()),
        })
        .collect();
    assert_eq!(
        plan,
        [
            "enter 1 from",
            "push-blob via from",
            "enter 2 both",
            "pull-blobs via from",
            "pull-blobs via to"
        ]
    );
    let v = |t: &str| t.parse::<RegistryVersion>().unwrap();
    let outcome = |f: &str, t: &str| s.expectation_for_path(&v(f), &v(t)).outcome;
    assert_eq!(outcome("v2.8.3", "v3.1.1"), Outcome::Fail);
    assert_eq!(outcome("v3.0.0", "v3.1.1"), Outcome::Pass);
    assert_eq!(outcome("v2.8.3", "v3.0.0-alpha.1"), Outcome::Pass);
}

#[test]
fn phase_mistakes_name_line_and_column() {
    let no_via = UPGRADE.replace("via = \"to\"\n", "");
    let err = parse(Path::new("u.toml"), &no_via).unwrap_err().to_string();
    assert!(err.contains("`via = \"from\"`"), "{err}");
    assert!(err.starts_with("u.toml:2"), "{err}");

    let via_alone = UPGRADE.replacen(
        "mode = \"monolithic\"",
        "mode = \"monolithic\"\nvia = \"to\"",
        1,
    );
    let err = parse(Path::new("u.toml"), &via_alone)
        .unwrap_err()
        .to_string();
    assert!(err.contains("only in a `both` phase"), "{err}");

    let versions = UPGRADE.replace("from = \"v2.8.3\"", "versions = \"v2.8.3\"");
    let err = parse(Path::new("u.toml"), &versions)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not `versions`"), "{err}");

    let typo = UPGRADE.replace(
        "blobs = [\"a\"]\n\n[[phase.step]]",
        "blobz = [\"a\"]\n\n[[phase.step]]",
    );
    let err = parse(Path::new("u.toml"), &typo).unwrap_err().to_string();
    assert!(err.contains("blobz"), "{err}");
    assert!(err.starts_with("u.toml:"), "{err}");

    let later_blob = UPGRADE.replacen("blobs = [\"a\"]", "blobs = [\"b\"]", 1);
    let err = parse(Path::new("u.toml"), &later_blob)
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"b\""), "{err}");

    let mixed = format!("{GOOD}\n[[phase]]\nrun = \"to\"\n[[phase.step]]\nkind = \"catalog\"\n");
    let err = parse(Path::new("u.toml"), &mixed).unwrap_err().to_string();
    assert!(err.contains("not both"), "{err}");

    let single_with_from = GOOD.replace(
        "versions = \"v2.8.3\"",
        "versions = \"v2.8.3\"\nfrom = \"v2.8.3\"",
    );
    let err = parse(Path::new("s.toml"), &single_with_from)
        .unwrap_err()
        .to_string();
    assert!(err.contains("upgrade scenarios"), "{err}");
}
