//! The users' nightly workflow calls the commands the tests exercise, with
//! the flags they exercise; a renamed flag breaks this test, not a user's night.

mod common;

fn run_lines() -> Vec<String> {
    let path = common::repo_root().join("ci/github/regmatrix-nightly.yml");
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut lines = Vec::new();
    for (_, job) in doc["jobs"].as_mapping().unwrap() {
        for step in job["steps"].as_sequence().unwrap() {
            if let Some(run) = step.get("run").and_then(|r| r.as_str()) {
                lines.extend(run.lines().map(str::to_string));
            }
        }
    }
    lines
}

#[test]
fn the_workflow_shards_merges_and_diffs_with_real_flags() {
    let lines = run_lines();
    let calls: Vec<&String> = lines.iter().filter(|l| l.contains("regmatrix ")).collect();
    for needle in [
        "regmatrix --quiet versions --versions ",
        // Not quiet: a shard's log gets a line per finished cell.
        "regmatrix install --versions ",
        "regmatrix matrix --versions \"$TAGS\" --shard ",
        "regmatrix --quiet report merge ",
        "regmatrix --quiet report diff ",
    ] {
        assert!(
            calls.iter().any(|l| l.contains(needle)),
            "{needle} in {calls:?}"
        );
    }
    // Every flag the workflow passes is one the CLI accepts.
    for call in calls {
        let words: Vec<&str> = call.split_whitespace().collect();
        let Some(start) = words.iter().position(|w| w.ends_with("regmatrix")) else {
            continue;
        };
        let sub: Vec<&str> = words[start + 1..]
            .iter()
            .copied()
            .filter(|w| {
                !w.starts_with("--") && !w.contains('/') && !w.contains('$') && !w.contains('|')
            })
            .take(2)
            .collect();
        let mut help = common::regmatrix();
        for word in &sub {
            if ["install", "versions", "matrix", "report", "merge", "diff"].contains(word) {
                help.arg(word);
            }
        }
        let text = String::from_utf8(help.arg("--help").output().unwrap().stdout).unwrap();
        for flag in words[start + 1..]
            .iter()
            .filter(|w| w.starts_with("--") && **w != "--quiet")
        {
            assert!(
                text.contains(flag),
                "{flag} is not a flag of `{}`:\n{text}",
                sub.join(" ")
            );
        }
    }
}

/// actionlint, built from its Go module (pinned) into the test's target
/// directory once; the workflow must pass it: expressions, job outputs,
/// `needs`, action inputs.
#[test]
fn the_workflow_passes_actionlint() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("actionlint-v1.7.12");
    let binary = dir.join("actionlint");
    if !binary.is_file() {
        let status = std::process::Command::new("go")
            .args([
                "install",
                "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12",
            ])
            .env("GOBIN", &dir)
            .env("GOFLAGS", "-mod=mod")
            .status()
            .expect("go runs");
        assert!(status.success(), "building actionlint failed: {status}");
    }
    let workflow = common::repo_root().join("ci/github/regmatrix-nightly.yml");
    // No shellcheck or pyflakes: whether they are installed must not decide.
    let output = std::process::Command::new(&binary)
        .args(["-shellcheck=", "-pyflakes=", "-no-color"])
        .arg(&workflow)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "actionlint: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The workflow resolves the version set once and every shard gets the
/// same tags, which also key the registry cache.
#[test]
fn the_workflow_resolves_the_versions_once_for_every_shard() {
    let path = common::repo_root().join("ci/github/regmatrix-nightly.yml");
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let matrix = &doc["jobs"]["matrix"];
    assert_eq!(matrix["needs"].as_str(), Some("versions"));
    assert_eq!(
        matrix["env"]["TAGS"].as_str(),
        Some("${{ needs.versions.outputs.tags }}")
    );
    let cache = matrix["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["uses"].as_str() == Some("actions/cache@v4"))
        .expect("a cache step");
    let key = cache["with"]["key"].as_str().unwrap();
    assert!(key.contains("needs.versions.outputs.tags"), "{key}");
    assert!(cache["with"]["restore-keys"].as_str().is_some());
    assert_eq!(doc["env"]["GO_VERSION"].as_str(), Some("1.26"));
}
