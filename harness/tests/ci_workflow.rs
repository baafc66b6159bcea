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
        "regmatrix --quiet install",
        "regmatrix --quiet matrix --shard ",
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
            if ["install", "matrix", "report", "merge", "diff"].contains(word) {
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
