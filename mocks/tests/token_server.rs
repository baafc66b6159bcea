//! The registry token server through the front door, as docker and
//! `az acr login` reach it: Basic at GET /token (with offline_token), the
//! password and refresh_token grants, per-repository rules, and the ACR
//! exchange of an Entra ID access token.

mod support;

use std::sync::Arc;
use std::time::Duration;

use regmatrix_mocks::front_door::{FrontDoor, FrontDoorConfig, Route, Target};
use regmatrix_mocks::identity::{
    Application, Directory, EntraId, IdentityPlane, ManagedIdentities, ENTRA_HOST,
};
use regmatrix_mocks::jose::{AnyKey, CompactJws, KeyKind, SigningKey};
use regmatrix_mocks::token_server::{
    AccessRule, Audience, Signature, TokenProfile, TokenServer, TokenServerConfig, TokenService,
    TokenSigner, User, Validity, ACR_REFRESH_USER,
};
use serde_json::Value;

const HOST: &str = "auth.example.test";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const APP: &str = "11111111-2222-3333-4444-555555555555";

struct Setup {
    _front_door: FrontDoor,
    client: reqwest::Client,
    key: Arc<AnyKey>,
}

fn setup() -> Setup {
    let ca = support::ca();
    let key = Arc::new(AnyKey::generate(KeyKind::Es256).unwrap());
    let plane = IdentityPlane::new(Directory {
        tenant_id: TENANT.into(),
        applications: vec![Application {
            client_id: APP.into(),
            secrets: vec!["s".into()],
            federated_credentials: vec![],
        }],
        managed_identities: ManagedIdentities::default(),
    })
    .unwrap();
    let rules = |actions: &[&str]| {
        vec![AccessRule {
            repository: "team/*".into(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
        }]
    };
    let server = TokenServer::new(TokenServerConfig {
        service: "registry".into(),
        users: vec![
            User {
                name: "alice".into(),
                password: "pw".into(),
                rules: rules(&["pull", "push"]),
            },
            User {
                name: "bob".into(),
                password: "pw".into(),
                rules: rules(&["pull"]),
            },
        ],
        profile: TokenProfile {
            issuer: "issuer".into(),
            audience: Audience::Single("registry".into()),
            lifetime: Duration::from_secs(300),
            validity: Validity::Current,
        },
        signer: TokenSigner {
            header: serde_json::Map::new(),
            signature: Signature::Key(key.clone() as Arc<dyn SigningKey + Send + Sync>),
        },
        entra: Some((plane.clone(), rules(&["pull"]))),
    });
    let front_door = FrontDoor::start(
        FrontDoorConfig::new(ca.clone())
            .with_route(Route::to(HOST, Target::service(TokenService(server))).unwrap())
            .with_route(Route::to(ENTRA_HOST, Target::service(EntraId::new(plane))).unwrap()),
    )
    .unwrap();
    let client = support::client(&ca, &front_door.proxy_url());
    Setup {
        _front_door: front_door,
        client,
        key,
    }
}

fn access(token: &str, key: &AnyKey) -> Value {
    let jws = CompactJws::parse(token).unwrap();
    jws.verify(&key.public()).unwrap();
    assert_eq!(jws.claim_str("iss"), Some("issuer"));
    jws.claims["access"].clone()
}

#[tokio::test]
async fn basic_get_grants_what_the_rules_allow_and_offline_gives_a_refresh_token() {
    let s = setup();
    let body: Value = s
        .client
        .get(format!(
            "https://{HOST}/token?service=registry&scope=repository:team/app:pull,push&offline_token=true"
        ))
        .basic_auth("bob", Some("pw"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["token"], body["access_token"]);
    assert_eq!(
        access(body["token"].as_str().unwrap(), &s.key)[0]["actions"],
        serde_json::json!(["pull"])
    );
    let refresh = body["refresh_token"].as_str().unwrap();

    let refreshed: Value = s
        .client
        .post(format!("https://{HOST}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("service", "registry"),
            ("refresh_token", refresh),
            ("scope", "repository:team/app:pull"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(refreshed["access_token"].is_string(), "{refreshed}");

    let refused = s
        .client
        .get(format!(
            "https://{HOST}/token?service=registry&scope=repository:team/app:pull"
        ))
        .basic_auth("alice", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let other_service = s
        .client
        .get(format!("https://{HOST}/token?service=elsewhere"))
        .basic_auth("alice", Some("pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(other_service.status(), 400);
}

#[tokio::test]
async fn password_grant_and_a_repository_outside_the_rules() {
    let s = setup();
    let body: Value = s
        .client
        .post(format!("https://{HOST}/token"))
        .form(&[
            ("grant_type", "password"),
            ("service", "registry"),
            ("username", "alice"),
            ("password", "pw"),
            ("scope", "repository:team/app:pull,push"),
            ("scope", "repository:other/app:pull"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let granted = access(body["access_token"].as_str().unwrap(), &s.key);
    assert_eq!(granted[0]["actions"], serde_json::json!(["pull", "push"]));
    assert_eq!(granted[1]["name"], "other/app");
    assert_eq!(granted[1]["actions"], serde_json::json!([]));
}

#[tokio::test]
async fn acr_exchange_then_the_all_zero_user() {
    let s = setup();
    let entra: Value = s
        .client
        .post(format!("https://{ENTRA_HOST}/{TENANT}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP),
            ("client_secret", "s"),
            ("scope", "https://containerregistry.azure.net/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let exchange = |token: String| {
        let client = s.client.clone();
        async move {
            client
                .post(format!("https://{HOST}/oauth2/exchange"))
                .form(&[
                    ("grant_type", "access_token"),
                    ("service", "registry"),
                    ("tenant", TENANT),
                    ("access_token", token.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let forged = exchange("a.b.c".into()).await;
    assert_eq!(forged.status(), 401);
    let exchanged: Value = exchange(entra["access_token"].as_str().unwrap().to_string())
        .await
        .json()
        .await
        .unwrap();
    let refresh = exchanged["refresh_token"].as_str().unwrap();
    let body: Value = s
        .client
        .get(format!(
            "https://{HOST}/oauth2/token?service=registry&scope=repository:team/app:pull,push"
        ))
        .basic_auth(ACR_REFRESH_USER, Some(refresh))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let granted = access(body["access_token"].as_str().unwrap(), &s.key);
    assert_eq!(granted[0]["actions"], serde_json::json!(["pull"]));
    let jws = CompactJws::parse(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(jws.claim_str("sub"), Some(APP));
}
