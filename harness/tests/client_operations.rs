//! The client operations conformance clients use, as steps, on a real
//! v3.1.2 over Azurite: HEAD of blobs and manifests, byte ranges through
//! the redirect to Blob storage and from the registry itself, the upload
//! status after every chunk, a manifest PUT by digest, and the referrers
//! API (absent: 404 with the mux's text). Outcomes are the committed
//! expectations'; the assertions read the evidence the steps recorded.

mod common;

use regmatrix::report::{Cell, Outcome};

const VERSION: &str = "v3.1.2";

fn expected_pass(cell: &Cell) {
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    assert_eq!(cell.outcome, cell.expected, "{}", cell.evidence);
}

#[tokio::test]
async fn ranges_through_the_redirect_come_from_blob_storage_with_their_bytes() {
    let cell = common::run_committed_scenario("storage/client-reads", VERSION).await;
    expected_pass(&cell);
    let head = &common::step(&cell, "head-blob").summary;
    assert!(
        head.contains("200, 3145728 bytes, no Docker-Content-Digest, via redirect to ")
            && head.contains(".blob.core.windows.net"),
        "{head}"
    );
    let ranges = &common::step(&cell, "pull-range").summary;
    for answered in [
        "0-1023 -> 206 bytes 0-1023/3145728",
        "1048570-1048585 -> 206 bytes 1048570-1048585/3145728",
        "3145000- -> 206 bytes 3145000-3145727/3145728",
        "3145727-3200000 -> 206 bytes 3145727-3145727/3145728",
    ] {
        assert!(ranges.contains(answered), "{answered} not in {ranges}");
    }
    assert!(ranges.contains("via redirect to "), "{ranges}");
    // The registry answered each range GET with a redirect; storage served it.
    let step = common::step(&cell, "pull-range");
    assert!(
        step.requests
            .iter()
            .filter(|r| r.status == Some(206))
            .count()
            >= 4,
        "{:?}",
        step.requests
    );
}

#[tokio::test]
async fn without_the_redirect_the_registry_serves_ranges_and_a_digest_header() {
    let cell = common::run_committed_scenario("storage/client-reads-no-redirect", VERSION).await;
    expected_pass(&cell);
    let head = &common::step(&cell, "head-blob").summary;
    assert!(
        head.ends_with("200, 3145728 bytes, Docker-Content-Digest matches"),
        "{head}"
    );
    let ranges = &common::step(&cell, "pull-range").summary;
    assert!(
        ranges.contains("-500 -> 206 bytes 3145228-3145727/3145728"),
        "{ranges}"
    );
    assert!(!ranges.contains("via redirect"), "{ranges}");
    let manifest = &common::step(&cell, "head-manifest").summary;
    assert!(
        manifest.contains("application/vnd.oci.image.manifest.v1+json"),
        "{manifest}"
    );
}

#[tokio::test]
async fn the_upload_status_counts_every_chunk_and_says_0_0_before_any() {
    let cell = common::run_committed_scenario("storage/upload-status", VERSION).await;
    expected_pass(&cell);
    let step = common::step(&cell, "upload-status");
    assert!(
        step.summary.contains(
            "status after the POST: Range 0-0; after each chunk: Range 0-1048575, 0-2097151, 0-2621439; Docker-Upload-UUID constant"
        ),
        "{}",
        step.summary
    );
    // POST, then a status GET before the first PATCH and after each of three.
    let methods: Vec<&str> = step.requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        methods,
        ["POST", "GET", "PATCH", "GET", "PATCH", "GET", "PATCH", "GET", "PUT"]
    );
    assert!(common::step(&cell, "check-storage").ok);
}

#[tokio::test]
async fn a_manifest_put_by_digest_is_served_by_digest_and_makes_no_tag() {
    let cell = common::run_committed_scenario("storage/manifest-by-digest", VERSION).await;
    expected_pass(&cell);
    let push = cell
        .steps
        .iter()
        .find(|s| s.kind == "push-manifest")
        .expect("a push-manifest step");
    assert!(
        push.requests
            .iter()
            .any(|r| r.method == "PUT" && r.path.contains("/manifests/sha256:")),
        "{:?}",
        push.requests
    );
    assert!(common::step(&cell, "list-tags")
        .summary
        .contains(r#"tags list is ["v1"]"#));
    // Both layers (data, layer link), v1 (tag, revision, manifest) and the
    // manifest by digest (revision, manifest; no tag link).
    let check = &common::step(&cell, "check-storage").summary;
    assert!(check.contains("9 acknowledged objects present"), "{check}");
}

#[tokio::test]
async fn the_referrers_api_is_absent_and_the_subject_manifest_accepted() {
    let cell = common::run_committed_scenario("storage/referrers", VERSION).await;
    assert_eq!(cell.outcome, Outcome::Fail, "{}", cell.evidence);
    assert_eq!(cell.outcome, cell.expected, "{}", cell.evidence);
    let pushed_subject = cell
        .steps
        .iter()
        .filter(|s| s.kind == "push-manifest")
        .any(|s| s.ok && s.summary.contains("by digest, subject v1"));
    assert!(pushed_subject, "{}", cell.evidence);
    let failed = cell.steps.iter().find(|s| !s.ok).expect("a failed step");
    assert_eq!(failed.kind, "referrers");
    let error = failed
        .registry_error
        .as_ref()
        .expect("the registry's answer");
    assert_eq!(error.status, 404);
    assert!(error.errors.is_empty());
    assert_eq!(error.raw_body.as_deref(), Some("404 page not found\n"));
}
