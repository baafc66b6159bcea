//! A race that needs the machine to itself: eight clients push to one tag
//! at once on a real registry. Whether v3.1.1's delete-then-create of a
//! link lets the writers' appends land in one blob depends on how close
//! together they arrive; with other cells running beside it on two cores,
//! the writers spread out and v3.1.1 kept every tag in 2 of 4 runs. Cargo
//! runs test binaries one at a time, so this file holds this test alone.

mod common;

use regmatrix::report::Outcome;

/// Eight clients race one tag, three rounds: v3.1.1 appends several
/// digests to a tag's link (#4887), and the cell quotes the link as the
/// container holds it.
#[tokio::test]
async fn racing_pushes_to_one_tag_corrupt_its_link_on_3_1_1() {
    let cell = common::run_committed_scenario("faults/concurrent-tag-push", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::DataLoss, "{}", cell.evidence);
    assert_eq!(cell.expected, Outcome::DataLoss);
    // Lost when a tag stops resolving (the link then quoted after the
    // failure) or when check-storage finds the link holding several digests.
    assert!(
        cell.evidence.contains("/current/link (AppendBlob") && cell.evidence.contains(" digests"),
        "{}",
        cell.evidence
    );
}
