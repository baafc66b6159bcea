//! The storage identity scenarios on the real registries: what each version
//! does with workload identity, managed identity and client secrets against
//! the mock Entra ID and the real Azurite, and that the evidence names it.

mod common;

use common::run_committed_scenario;
use regmatrix::report::{Cell, Outcome};

fn auth(cell: &Cell, scheme: &str) -> u64 {
    cell.storage_traffic
        .by_auth_scheme
        .get(scheme)
        .copied()
        .unwrap_or(0)
}

fn identity_calls(cell: &Cell, prefix: &str) -> u64 {
    cell.identity
        .calls
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(_, v)| v)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workload_identity_works_on_3_1_1_with_bearer_tokens_only() {
    let cell = run_committed_scenario("storage/workload-identity", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    assert!(
        identity_calls(&cell, "entra-token client_assertion(initial token) 200") >= 1,
        "{:?}",
        cell.identity
    );
    assert_eq!(auth(&cell, "shared_key"), 0, "{:?}", cell.storage_traffic);
    assert!(auth(&cell, "bearer") > 0);
    assert!(
        cell.evidence.contains("client_assertion"),
        "{}",
        cell.evidence
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workload_identity_on_3_0_0_falls_back_to_an_empty_shared_key() {
    let cell = run_committed_scenario("storage/workload-identity", "v3.0.0").await;
    assert_eq!(cell.outcome, Outcome::Fail, "{}", cell.evidence);
    assert!(cell.as_expected(), "the scenario expects this failure");
    assert!(auth(&cell, "shared_key") >= 1, "{:?}", cell.storage_traffic);
    assert_eq!(
        identity_calls(&cell, "entra-token"),
        0,
        "{:?}",
        cell.identity
    );
    assert!(
        cell.evidence.contains("InvalidAuthenticationInfo"),
        "{}",
        cell.evidence
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_works_on_the_alpha_and_2_8_cannot_express_it() {
    let cell = run_committed_scenario("storage/client-secret", "v3.0.0-alpha.1").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    assert!(identity_calls(&cell, "entra-token client_secret 200") >= 1);

    let old = run_committed_scenario("storage/client-secret", "v2.8.3").await;
    assert_eq!(old.outcome, Outcome::Unsupported, "{}", old.evidence);
    assert!(old.evidence.contains("accountkey only"), "{}", old.evidence);
    assert!(old.as_expected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_projected_token_fails_with_its_aadsts_code() {
    let cell = run_committed_scenario("storage/federated-token-expired", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Fail, "{}", cell.evidence);
    assert!(cell.evidence.contains("AADSTS700024"), "{}", cell.evidence);
    assert_eq!(cell.identity.errors, vec!["AADSTS700024".to_string()]);
    assert_eq!(cell.storage_traffic.requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_is_probed_then_asked_for_the_user_assigned_identity() {
    let cell = run_committed_scenario("storage/managed-identity-imds", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    // azidentity 1.8 probes without the Metadata header first.
    assert_eq!(
        identity_calls(&cell, "imds probe 400"),
        1,
        "{:?}",
        cell.identity
    );
    assert!(
        identity_calls(&cell, "imds managed_identity(user-assigned) 200") >= 1,
        "AZURE_CLIENT_ID selects the user-assigned identity: {:?}",
        cell.identity
    );
    assert_eq!(auth(&cell, "shared_key"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_outage_refuses_pushes_then_recovers() {
    let cell = run_committed_scenario("storage/identity-outage", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    let outage = common::step(&cell, "identity-outage");
    assert!(outage.summary.contains("recovered"), "{}", outage.summary);
    assert!(!outage.summary.contains(" 0 of "), "{}", outage.summary);
    assert!(
        cell.identity
            .unanswered
            .keys()
            .any(|k| k.contains("identity-outage 500")),
        "{:?}",
        cell.identity
    );
}
