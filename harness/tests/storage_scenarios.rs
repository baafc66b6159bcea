//! The storage scenarios of the new steps on real registries: deletes
//! refused with `storage.delete.enabled: false` (and the tag delete 3.0.0
//! lets through, GHSA-6pjf-3r9x-m592), a 251-tag list paged 100 at a time
//! and from a `last` with the storage invariants checked straight in the
//! container, and a catalog of 121 repositories paged.
//! Outcomes are the ones the committed expectations state.

mod common;

use regmatrix::report::{Cell, Outcome};

/// The step of `kind` that failed, with the registry's status and codes.
fn refusal(cell: &Cell, kind: &str) -> (u16, Vec<String>) {
    let step = cell
        .steps
        .iter()
        .find(|s| s.kind == kind && !s.ok)
        .unwrap_or_else(|| panic!("no failed {kind} step: {}", cell.evidence));
    let error = step.registry_error.as_ref().expect("the registry's error");
    let codes = error.errors.iter().map(|e| e.code.clone()).collect();
    (error.status, codes)
}

#[tokio::test]
async fn with_deletes_disabled_v3_1_1_refuses_the_tag_delete() {
    let cell = common::run_committed_scenario("storage/delete-disabled", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Fail, "{}", cell.evidence);
    assert_eq!(cell.outcome, cell.expected, "{}", cell.evidence);
    assert_eq!(
        refusal(&cell, "delete-tag"),
        (405, vec!["UNSUPPORTED".to_string()])
    );
    // Storage held everything pushed before the refusal.
    let check = common::step(&cell, "check-storage");
    assert!(
        check.ok && check.summary.contains("checked 7 links"),
        "{}",
        check.summary
    );
}

#[tokio::test]
async fn with_deletes_disabled_v3_0_0_deletes_the_tag_and_refuses_the_manifest() {
    let cell = common::run_committed_scenario("storage/delete-disabled", "v3.0.0").await;
    assert_eq!(cell.outcome, Outcome::Fail, "{}", cell.evidence);
    assert_eq!(cell.outcome, cell.expected, "{}", cell.evidence);
    assert!(common::step(&cell, "delete-tag").ok, "{}", cell.evidence);
    let checks: Vec<&str> = cell
        .steps
        .iter()
        .filter(|s| s.kind == "check-storage")
        .map(|s| s.summary.as_str())
        .collect();
    assert!(checks[1].contains("checked 5 links"), "{checks:?}");
    assert_eq!(
        refusal(&cell, "delete-manifest"),
        (405, vec!["UNSUPPORTED".to_string()])
    );
    assert!(cell
        .expected_reference
        .as_deref()
        .is_some_and(|r| r.ends_with("GHSA-6pjf-3r9x-m592")));
}

#[tokio::test]
async fn v2_8_3_stores_with_a_leading_slash_and_ignores_n_and_last() {
    let cell = common::run_committed_scenario("storage/tag-pagination", "v2.8.3").await;
    assert_eq!(cell.outcome, Outcome::Fail, "{}", cell.evidence);
    assert_eq!(cell.outcome, cell.expected, "{}", cell.evidence);
    let paged = common::step(&cell, "list-tags");
    assert!(
        paged.summary.contains("(1 page at n=100: 251, 1 over n)"),
        "{}",
        paged.summary
    );
    let check = common::step(&cell, "check-storage");
    assert!(
        check.summary.contains("checked 505 links")
            && check.summary.contains("name form /docker/registry/v2/..."),
        "{}",
        check.summary
    );
    // The listing after `last` names what sorts before it too.
    assert!(
        cell.evidence.starts_with("step 10 list-tags")
            && cell.evidence.contains("unexpected 101 names"),
        "{}",
        cell.evidence
    );
}

#[tokio::test]
async fn v3_1_1_pages_its_tags_by_link_headers() {
    let cell = common::run_committed_scenario("storage/tag-pagination", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    let paged = common::step(&cell, "list-tags");
    assert!(
        paged.summary.contains("(3 pages at n=100: 100, 100, 51)"),
        "{}",
        paged.summary
    );
    // Three GETs: the first page and two next links.
    let gets = paged
        .requests
        .iter()
        .filter(|r| r.path.contains("/tags/list"))
        .count();
    assert_eq!(gets, 3, "{:?}", paged.requests);
    assert!(common::step(&cell, "delete-blob").ok, "{}", cell.evidence);
    let after = cell
        .steps
        .iter()
        .rfind(|s| s.kind == "list-tags")
        .expect("the listing after last");
    assert!(
        after.summary.contains("(3 pages at n=60: 60, 60, 30)"),
        "{}",
        after.summary
    );
    let check = common::step(&cell, "check-storage");
    assert!(
        check.summary.contains("255 acknowledged objects present")
            && check.summary.contains("name form docker/registry/v2/..."),
        "{}",
        check.summary
    );
}

/// 121 repositories made by cross-repository mounts, the catalog paged 50
/// at a time and 25 at a time from a `last` holding a `/`.
#[tokio::test]
async fn v3_1_2_pages_the_catalog_from_a_last_repository() {
    let cell = common::run_committed_scenario("storage/catalog-pagination", "v3.1.2").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    let pages: Vec<&str> = cell
        .steps
        .iter()
        .filter(|s| s.kind == "catalog")
        .map(|s| s.summary.as_str())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[0].contains("121 names") && pages[0].contains("(3 pages at n=50: 50, 50, 21)"));
    assert!(pages[1].contains("60 names") && pages[1].contains("(3 pages at n=25: 25, 25, 10)"));
    let first = cell
        .steps
        .iter()
        .filter(|s| s.kind == "catalog")
        .nth(1)
        .and_then(|s| s.requests.first())
        .expect("a catalog request");
    assert!(
        first.path.contains("last=regmatrix%2Fcatalog%2Fr-059"),
        "{}",
        first.path
    );
}
