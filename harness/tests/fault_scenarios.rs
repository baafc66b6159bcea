//! Fault scenarios on the real registries: injected storage faults with
//! their counts, a process crashed mid-upload, and the invariants after.

mod common;

use common::run_committed_scenario;
use regmatrix::report::Outcome;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_with_retry_after_breaks_2_8_and_3_1_1_waits_it_out() {
    let old = run_committed_scenario("faults/storage-429-retry-after", "v2.8.3").await;
    assert_eq!(old.outcome, Outcome::Fail, "{}", old.evidence);
    assert!(old.as_expected());
    assert!(old.evidence.contains("StatusCode=429"), "{}", old.evidence);
    assert_eq!(old.faults[0].injected, 1, "{:?}", old.faults);

    let new = run_committed_scenario("faults/storage-429-retry-after", "v3.1.1").await;
    assert_eq!(new.outcome, Outcome::Pass, "{}", new.evidence);
    assert_eq!(new.faults[0].injected, 3, "{:?}", new.faults);
    assert_eq!(new.faults[0].kind, "status");
    assert!(
        new.duration_ms >= 4000,
        "honoured Retry-After: {} ms",
        new.duration_ms
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_crash_mid_upload_loses_nothing_acknowledged() {
    let cell = run_committed_scenario("faults/registry-restart-mid-upload", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    let across = common::step(&cell, "push-across-restart");
    assert!(
        across
            .summary
            .contains("the registry crashed (SIGKILL) after chunk 3"),
        "{}",
        across.summary
    );
    let invariants = common::step(&cell, "check-invariants");
    assert!(
        invariants
            .summary
            .contains("3 acknowledged blobs and manifests intact"),
        "{}",
        invariants.summary
    );
}

/// A tag's link applied by storage, its answer lost, the Append Block
/// retried: v3.1.1 stores the digest twice (#4887); v3.1.2 writes one Put
/// Blob and keeps one.
#[tokio::test]
async fn a_lost_acknowledgement_duplicates_the_link_on_3_1_1_only() {
    let broken = common::run_committed_scenario("faults/ack-lost-put-content", "v3.1.1").await;
    assert_eq!(broken.outcome, Outcome::DataLoss, "{}", broken.evidence);
    assert_eq!(broken.expected, Outcome::DataLoss);
    assert!(
        broken.evidence.contains("AppendBlob, 142 bytes"),
        "{}",
        broken.evidence
    );
    assert!(
        broken
            .evidence
            .contains("storage applied, the registry was told otherwise: 201->500 x1"),
        "{}",
        broken.evidence
    );
    let fixed = common::run_committed_scenario("faults/ack-lost-put-content", "v3.1.2").await;
    assert_eq!(fixed.outcome, Outcome::Pass, "{}", fixed.evidence);
    assert!(
        fixed.evidence.contains("BlockBlob, 71 bytes"),
        "{}",
        fixed.evidence
    );
}
