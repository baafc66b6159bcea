//! The token-auth scenarios on the real registries: the libtrust seed
//! incident, its JWKS migration, the ACR exchange, and an attack a version
//! accepts. Each asserts what the registry answered and what it logged.

mod common;

use common::run_committed_scenario;
use regmatrix::report::Outcome;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_libtrust_kid_works_on_2_8_and_is_untrusted_on_3_1_1() {
    let old = run_committed_scenario("auth/libtrust-kid-rootcert", "v2.8.3").await;
    assert_eq!(old.outcome, Outcome::Pass, "{}", old.evidence);
    assert!(
        old.evidence.contains("token server: token basic 200"),
        "{}",
        old.evidence
    );

    let new = run_committed_scenario("auth/libtrust-kid-rootcert", "v3.1.1").await;
    assert_eq!(new.outcome, Outcome::Fail, "{}", new.evidence);
    assert!(new.as_expected());
    assert!(
        new.evidence
            .contains("token signed by untrusted key with ID"),
        "{}",
        new.evidence
    );
    assert!(
        new.evidence.contains("error=\"invalid_token\""),
        "{}",
        new.evidence
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_jwks_makes_the_libtrust_token_server_work_on_3_1_1() {
    let cell = run_committed_scenario("auth/jwks-libtrust-kid", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    assert!(cell.storage_traffic.bytes_up > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_acr_exchange_turns_an_entra_token_into_registry_tokens() {
    let cell = run_committed_scenario("auth/acr-exchange", "v3.1.1").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    for call in [
        "oauth2/exchange access_token 200 x1",
        "oauth2/token refresh_token 200",
        "entra-token client_secret 200",
    ] {
        assert!(cell.evidence.contains(call), "{call} in {}", cell.evidence);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_only_users_are_refused_a_push_with_insufficient_scope() {
    let cell = run_committed_scenario("auth/scope-pull-cannot-push", "v3.0.0").await;
    assert_eq!(cell.outcome, Outcome::Pass, "{}", cell.evidence);
    let step = &cell.steps[0];
    assert!(
        step.summary.contains("answered 401") && step.summary.contains("insufficient_scope"),
        "{}",
        step.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alpha_1_accepts_an_embedded_attacker_jwk_and_2_8_does_not() {
    let alpha = run_committed_scenario("auth/attack-embedded-jwk", "v3.0.0-alpha.1").await;
    assert_eq!(alpha.outcome, Outcome::Security, "{}", alpha.evidence);
    assert!(alpha.as_expected());
    assert!(
        alpha.evidence.contains("accepted a push"),
        "{}",
        alpha.evidence
    );

    let old = run_committed_scenario("auth/attack-embedded-jwk", "v2.8.3").await;
    assert_eq!(old.outcome, Outcome::Pass, "{}", old.evidence);
    assert!(
        old.steps[0].summary.contains("refused"),
        "{}",
        old.steps[0].summary
    );
}
