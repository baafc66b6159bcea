//! `conformance`: runs the OCI distribution-spec conformance suite (the
//! pinned binary `install` builds) against the serving registry, as an
//! operator's own client would reach it: the registry directly, redirected
//! blob URLs and the token realm through the front door, the run's CA. The
//! suite's own variables (`OCI_*`) are the step's `env`, over the
//! harness's. The step records totals, per-category counts and the failing
//! tests, keeps the suite's junit.xml and report.html with the cell, and
//! fails when a test fails that no `known` entry explains for the serving
//! version: known failures are the registry's (or the emulator's), each
//! with its reason and reference, per version range, like `[[expect]]`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::{KeepDir, StepAction, StepContext, StepError, StepKind};
use crate::process::ManagedProcess;
use crate::report::{ConformanceCategory, ConformanceSummary};
use crate::versions::{RegistryVersion, VersionSelector};

/// The whole suite takes about a minute against a local registry; a hung
/// one is stopped well before a cell would look stuck.
const SUITE_TIMEOUT: Duration = Duration::from_secs(600);
/// Failing test names quoted in the step's summary (all are in the cell).
const QUOTED_FAILURES: usize = 5;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Conformance {
    /// The suite's configuration variables, e.g. `OCI_DATA_SHA512 = "false"`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Failures explained, per version range.
    #[serde(default)]
    pub known: Vec<KnownFailure>,
}

/// Suite tests that fail for a stated reason on some versions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KnownFailure {
    /// Globs over the suite's test names (`*/referrers`, `*/sha512*`).
    pub tests: Vec<String>,
    /// `*` (the default), a tag, or comparisons (`>=v3.0.0, <v3.1.0`).
    #[serde(default)]
    pub versions: Option<String>,
    /// What the registry (or the emulator) answered, and why.
    pub because: String,
    /// The upstream issue, PR, advisory or code that explains it.
    #[serde(default)]
    pub reference: Option<String>,
}

impl KnownFailure {
    /// Whether the entry is about `version` (a tag `validate` has checked
    /// the selector against; unparsable text applies nowhere).
    fn applies(&self, version: &RegistryVersion) -> bool {
        self.versions.as_deref().is_none_or(|v| {
            v.parse::<VersionSelector>()
                .is_ok_and(|s| s.matches(version))
        })
    }

    /// The entry's globs, compiled once per run rather than per test name.
    fn patterns(&self) -> Vec<glob::Pattern> {
        self.tests
            .iter()
            .filter_map(|g| glob::Pattern::new(g).ok())
            .collect()
    }
}

impl StepAction for Conformance {
    fn kind(&self) -> StepKind {
        StepKind::Conformance
    }

    fn validate(&self, _cx: &mut super::LoadContext) -> Result<(), String> {
        if let Some(key) = self.env.keys().find(|k| !k.starts_with("OCI_")) {
            return Err(format!(
                "env key {key:?}: the suite reads OCI_* variables only (see its README)"
            ));
        }
        for known in &self.known {
            if known.tests.is_empty() {
                return Err("a `known` entry needs `tests` (globs over test names)".into());
            }
            for test in &known.tests {
                glob::Pattern::new(test).map_err(|e| format!("known test {test:?}: {e}"))?;
            }
            if let Some(versions) = &known.versions {
                versions
                    .parse::<VersionSelector>()
                    .map_err(|e| format!("known versions {versions:?}: {e}"))?;
            }
            if known.because.trim().is_empty() {
                return Err("a `known` entry needs `because`".into());
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        if self.env.is_empty() {
            "OCI conformance suite".into()
        } else {
            let vars: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("OCI conformance suite ({})", vars.join(" "))
        }
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let target = cx.target;
        let Some(binary) = target.tools.conformance.as_ref() else {
            return Err(StepError::Harness(
                "the conformance suite is not installed for this run".into(),
            ));
        };
        let results = target.run_dir.join(format!("conformance-{}", cx.index));
        let access = target.access;
        let repo1 = cx.repository.to_string();
        let mut command = tokio::process::Command::new(&binary.binary);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", target.run_dir)
            .envs(access.client_environment())
            .env("OCI_REGISTRY", access.registry_host())
            .env("OCI_TLS", "disabled")
            .env("OCI_REPO1", &repo1)
            .env("OCI_REPO2", format!("{repo1}-2"))
            .env("OCI_RESULTS_DIR", &results)
            .env("OCI_LOG", "warn")
            .current_dir(target.run_dir);
        if let Some(login) = &access.login {
            command
                .env("OCI_USERNAME", &login.username)
                .env("OCI_PASSWORD", &login.password);
        }
        command.envs(&self.env);
        // A managed process: its own group, registered for teardown (Ctrl-C
        // takes it down with the rest), its CPU in the cell's records.
        let log = target.run_dir.join(format!("conformance-{}.log", cx.index));
        let mut suite = ManagedProcess::spawn("conformance suite", command, &log)
            .map_err(|e| StepError::Harness(e.to_string()))?;
        let status = suite.wait_exit(SUITE_TIMEOUT).await;
        let last_line = || {
            crate::process::last_meaningful_line(suite.log_tail(50).iter().map(String::as_str))
                .unwrap_or_default()
        };
        if status.is_none() {
            let line = last_line();
            suite.stop().await;
            return Err(StepError::Harness(format!(
                "the conformance suite did not finish in {} s: {line}",
                SUITE_TIMEOUT.as_secs()
            )));
        }
        let junit = std::fs::read_to_string(results.join("junit.xml")).map_err(|e| {
            StepError::Harness(format!(
                "the conformance suite wrote no junit.xml ({e}): {}",
                last_line()
            ))
        });
        suite.stop().await;
        let junit = junit?;
        let mut summary = summarize_junit(&junit)
            .map_err(|e| StepError::Harness(format!("the suite's junit.xml: {e}")))?;
        summary.suite = binary.version.clone();
        if let Some(keep) = target.keep_dir {
            summary.results = keep_results(&results, keep, cx.index);
        }
        let version = target.served(cx.via).version;
        let known: Vec<(&KnownFailure, Vec<glob::Pattern>)> = match version.parse() {
            Ok(tag) => self
                .known
                .iter()
                .filter(|k| k.applies(&tag))
                .map(|k| (k, k.patterns()))
                .collect(),
            Err(_) => Vec::new(),
        };
        let matches = |at: usize, test: &str| known[at].1.iter().any(|p| p.matches(test));
        // Entries in the scenario's order, each named once when it explains any.
        let mut explains = vec![false; known.len()];
        let mut explained = 0;
        let mut unexplained: Vec<&str> = Vec::new();
        for test in &summary.failing {
            let mut hit = false;
            for (at, explains) in explains.iter_mut().enumerate() {
                if matches(at, test) {
                    *explains = true;
                    hit = true;
                }
            }
            if hit {
                explained += 1;
            } else {
                unexplained.push(test);
            }
        }
        let reasons: Vec<&str> = known
            .iter()
            .zip(&explains)
            .filter(|(_, explains)| **explains)
            .map(|((k, _), _)| k.because.as_str())
            .collect();
        let mut line = describe_summary(&summary);
        if explained > 0 {
            line.push_str(&format!("; {explained} known ({})", reasons.join("; ")));
        }
        let error = (!unexplained.is_empty()).then(|| {
            format!(
                "{} failing test(s) no `known` entry explains on {version}: {}; {line}",
                unexplained.len(),
                quote(&unexplained)
            )
        });
        cx.conformance = Some(summary);
        match error {
            None => Ok(line),
            Some(error) => Err(StepError::Unmet(error)),
        }
    }
}

/// The first names, and how many more: `a, b (+3 more)`.
fn quote<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<&str> = names
        .iter()
        .take(QUOTED_FAILURES)
        .map(AsRef::as_ref)
        .collect();
    let mut text = quoted.join(", ");
    if names.len() > QUOTED_FAILURES {
        text.push_str(&format!(" (+{} more)", names.len() - QUOTED_FAILURES));
    }
    text
}

/// "conformance: 412 passed, 3 failed, 21 skipped; failing: a, b (+1 more)"
pub fn describe_summary(summary: &ConformanceSummary) -> String {
    let mut line = format!(
        "conformance: {} passed, {} failed, {} skipped",
        summary.passed, summary.failed, summary.skipped
    );
    if !summary.failing.is_empty() {
        line.push_str(&format!("; failing: {}", quote(&summary.failing)));
    }
    line
}

/// Copies the suite's reports next to the report (`<keep>/conformance-N/`)
/// and returns that directory as the report names it.
fn keep_results(results: &Path, keep: &KeepDir, index: usize) -> Option<String> {
    let name = format!("conformance-{index}");
    let dir = keep.absolute.join(&name);
    std::fs::create_dir_all(&dir).ok()?;
    for file in ["junit.xml", "report.html", "results.yaml"] {
        let _ = std::fs::copy(results.join(file), dir.join(file));
    }
    Some(format!("{}/{name}", keep.relative))
}

/// Totals, categories and failing names from the suite's junit.xml: one
/// `testcase` per leaf test, named by its path in the suite's tree
/// (`OCI Conformance Test/<category>/...`), with a `status` attribute.
pub fn summarize_junit(xml: &str) -> Result<ConformanceSummary, String> {
    let document = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let mut summary = ConformanceSummary::default();
    let mut categories: Vec<ConformanceCategory> = Vec::new();
    for case in document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
    {
        let name = case.attribute("name").unwrap_or_default().to_string();
        let status = case.attribute("status").unwrap_or_else(|| {
            if case.children().any(|c| c.has_tag_name("failure")) {
                "failure"
            } else if case.children().any(|c| c.has_tag_name("error")) {
                "error"
            } else if case.children().any(|c| c.has_tag_name("skipped")) {
                "skipped"
            } else {
                "passed"
            }
        });
        let category_name = category_of(&name).to_string();
        let category = match categories.iter_mut().position(|c| c.name == category_name) {
            Some(at) => &mut categories[at],
            None => {
                categories.push(ConformanceCategory {
                    name: category_name,
                    ..Default::default()
                });
                categories.last_mut().expect("just pushed")
            }
        };
        match status {
            "passed" => {
                summary.passed += 1;
                category.passed += 1;
            }
            "skipped" => {
                summary.skipped += 1;
                category.skipped += 1;
            }
            _ => {
                summary.failed += 1;
                category.failed += 1;
                // The suite repeats a leaf name per data item; listed once.
                if !summary.failing.contains(&name) {
                    summary.failing.push(name);
                }
            }
        }
    }
    if summary.passed + summary.failed + summary.skipped == 0 {
        return Err("no test cases".into());
    }
    summary.categories = categories;
    Ok(summary)
}

/// The second level of a test's name (the first is the suite's root).
fn category_of(name: &str) -> &str {
    let mut parts = name.split('/');
    let first = parts.next().unwrap_or(name);
    parts.next().unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JUNIT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4">
  <testsuite name="OCI Conformance Test" tests="4" failures="1" errors="1">
    <testcase name="OCI Conformance Test/Ping" classname="x" status="passed"></testcase>
    <testcase name="OCI Conformance Test/Blobs sha256/blob push/chunked out of order" status="failure"><failure message="416"></failure></testcase>
    <testcase name="OCI Conformance Test/Blobs sha256/blob push/monolithic" status="passed"></testcase>
    <testcase name="OCI Conformance Test/Blobs sha512/blob push" status="skipped"><skipped message="disabled"></skipped></testcase>
    <testcase name="OCI Conformance Test/Referrers/list" status="error"><error message="500"></error></testcase>
  </testsuite>
</testsuites>"#;

    #[test]
    fn junit_becomes_totals_categories_and_failing_names() {
        let summary = summarize_junit(JUNIT).unwrap();
        assert_eq!((summary.passed, summary.failed, summary.skipped), (2, 2, 1));
        assert_eq!(
            summary.failing,
            [
                "OCI Conformance Test/Blobs sha256/blob push/chunked out of order",
                "OCI Conformance Test/Referrers/list"
            ]
        );
        let names: Vec<(&str, u32, u32, u32)> = summary
            .categories
            .iter()
            .map(|c| (c.name.as_str(), c.passed, c.failed, c.skipped))
            .collect();
        assert_eq!(
            names,
            [
                ("Ping", 1, 0, 0),
                ("Blobs sha256", 1, 1, 0),
                ("Blobs sha512", 0, 0, 1),
                ("Referrers", 0, 1, 0)
            ]
        );
        assert_eq!(
            describe_summary(&summary),
            "conformance: 2 passed, 2 failed, 1 skipped; failing: OCI Conformance Test/Blobs sha256/blob push/chunked out of order, OCI Conformance Test/Referrers/list"
        );
    }

    #[test]
    fn a_junit_without_test_cases_is_an_error_not_a_pass() {
        assert!(summarize_junit("<testsuites></testsuites>").is_err());
        assert!(summarize_junit("not xml").is_err());
    }
}
