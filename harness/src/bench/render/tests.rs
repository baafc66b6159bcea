use super::*;
use crate::bench::report::tests::row;

#[test]
fn queries_are_cut_from_notes_and_nothing_else() {
    assert_eq!(
        without_queries(
            "push: PUT /v2/r/blobs/uploads/u?_state=abc&digest=sha256:1 answered 500 UNKNOWN: why?"
        ),
        "push: PUT /v2/r/blobs/uploads/u answered 500 UNKNOWN: why?"
    );
}

#[test]
fn unmeasured_rows_are_grouped_by_reason() {
    let mut a = row(
        BenchPath::RegistryAzureOauth,
        BenchClient::Regmatrix,
        Some("v2.8.3"),
        0.0,
        0.0,
    );
    a.status = RowStatus::Unsupported;
    a.note = "client-secret: no token support".into();
    let mut b = a.clone();
    b.concurrency = 4;
    let notes = unmeasured_notes(&BenchReport {
        schema_version: 1,
        generated_at: "now".into(),
        host: crate::bench::report::HostInfo {
            cpus: 2,
            azurite: "3.35.0".into(),
        },
        plan: crate::bench::BenchPlan::default(),
        versions: vec![],
        loopback_tcp: vec![],
        rows: vec![a, b],
        comparisons: vec![],
        wall_s: 1.0,
        harness_cpu_s: 1.0,
        harness_peak_rss_mib: 1.0,
    });
    assert_eq!(
        notes,
        vec!["unsupported: v2.8.3 registry, Azure, OAuth, regmatrix: client-secret: no token support [16 MiB monolithic x1, 16 MiB monolithic x4]"]
    );
}
