//! The identity plane through the front door, as a workload reaches it:
//! Entra ID over HTTPS (secrets and federated assertions, refusals in the
//! real shape), IMDS over plain HTTP (the header-less probe, user-assigned
//! selection), the App Service endpoint, an absent IMDS, and an outage
//! fault on the token endpoint.

mod support;

use std::sync::Arc;
use std::time::Duration;

use hyper::StatusCode;
use regmatrix_mocks::front_door::{
    CannedResponse, FaultAction, FaultRule, FrontDoor, FrontDoorConfig, HostPattern, Route,
    Schedule, Target,
};
use regmatrix_mocks::identity::{
    AppServiceIdentity, Application, Directory, EntraId, IdentityPlane, Imds, ManagedIdentities,
    ServiceAccount, ServiceAccountIssuer, ENTRA_HOST, IMDS_HOST,
};
use regmatrix_mocks::jose::CompactJws;
use serde_json::Value;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const APP: &str = "11111111-2222-3333-4444-555555555555";
const USER_ASSIGNED: &str = "99999999-8888-7777-6666-555555555555";
const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";

struct Cloud {
    front_door: FrontDoor,
    plane: Arc<IdentityPlane>,
    issuer: ServiceAccountIssuer,
    account: ServiceAccount,
    client: reqwest::Client,
}

fn cloud(with_imds: bool) -> Cloud {
    let ca = support::ca();
    let issuer = ServiceAccountIssuer::generate().unwrap();
    let account = ServiceAccount {
        namespace: "registry".into(),
        name: "distribution".into(),
    };
    let plane = IdentityPlane::new(Directory {
        tenant_id: TENANT.into(),
        applications: vec![Application {
            client_id: APP.into(),
            secrets: vec!["s3cret".into()],
            federated_credentials: vec![issuer.federated_credential(&account)],
        }],
        managed_identities: ManagedIdentities {
            system_assigned: Some(APP.into()),
            user_assigned: vec![USER_ASSIGNED.into()],
        },
    })
    .unwrap();
    let imds = if with_imds {
        Target::service(Imds::new(plane.clone()))
    } else {
        Target::Unreachable
    };
    let front_door = FrontDoor::start(
        FrontDoorConfig::new(ca.clone())
            .with_route(
                Route::to(ENTRA_HOST, Target::service(EntraId::new(plane.clone()))).unwrap(),
            )
            .with_route(Route::to(IMDS_HOST, imds).unwrap())
            .with_route(
                Route::to(
                    "appservice.identity.local",
                    Target::service(AppServiceIdentity::new(plane.clone(), "hdr".into())),
                )
                .unwrap(),
            ),
    )
    .unwrap();
    let client = support::client(&ca, &front_door.proxy_url());
    Cloud {
        front_door,
        plane,
        issuer,
        account,
        client,
    }
}

async fn token_request(cloud: &Cloud, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = cloud
        .client
        .post(format!("https://{ENTRA_HOST}/{TENANT}/oauth2/v2.0/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn assert_storage_token(token: &str, appid: &str) {
    let jws = CompactJws::parse(token).unwrap();
    assert_eq!(
        jws.claim_str("iss"),
        Some(&*format!("https://sts.windows.net/{TENANT}/"))
    );
    assert_eq!(jws.audiences(), vec!["https://storage.azure.com"]);
    assert_eq!(jws.claim_str("appid"), Some(appid));
    for claim in ["nbf", "exp", "iat"] {
        assert!(jws.claim_i64(claim).is_some(), "{claim}");
    }
}

#[tokio::test]
async fn metadata_documents_point_at_the_tenant() {
    let cloud = cloud(true);
    let discovery: Value = cloud
        .client
        .get(format!("https://{ENTRA_HOST}/common/discovery/instance?api-version=1.1&authorization_endpoint=https://{ENTRA_HOST}/{TENANT}/oauth2/v2.0/authorize"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let oidc_url = discovery["tenant_discovery_endpoint"].as_str().unwrap();
    assert!(oidc_url.contains(TENANT), "{oidc_url}");
    let oidc: Value = cloud
        .client
        .get(oidc_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        oidc["token_endpoint"],
        format!("https://{ENTRA_HOST}/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(
        oidc["issuer"],
        format!("https://{ENTRA_HOST}/{TENANT}/v2.0")
    );

    let unknown = cloud
        .client
        .get(format!(
            "https://{ENTRA_HOST}/not-a-tenant/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error_codes"][0], 90002);
}

#[tokio::test]
async fn client_secret_grant_and_its_refusals() {
    let cloud = cloud(true);
    cloud.plane.set_token_lifetime(Duration::from_secs(42));
    let (status, body) = token_request(
        &cloud,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", APP),
            ("client_secret", "s3cret"),
            ("scope", STORAGE_SCOPE),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 42);
    assert_storage_token(body["access_token"].as_str().unwrap(), APP);

    let (status, body) = token_request(
        &cloud,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", APP),
            ("client_secret", "wrong"),
            ("scope", STORAGE_SCOPE),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"][0], 7000215);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215: "));

    let (status, body) = token_request(
        &cloud,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "00000000-0000-0000-0000-000000000000"),
            ("client_secret", "s3cret"),
            ("scope", STORAGE_SCOPE),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_codes"][0], 700016);

    let calls = cloud.plane.calls();
    let statuses: Vec<u16> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![200, 401, 400]);
    assert_eq!(calls[1].error.as_deref(), Some("AADSTS7000215"));
    assert_eq!(calls[0].grant, "client_secret");
}

async fn assertion_grant(cloud: &Cloud, assertion: &str) -> (StatusCode, Value) {
    token_request(
        cloud,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", APP),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
            ("scope", STORAGE_SCOPE),
        ],
    )
    .await
}

#[tokio::test]
async fn federated_assertions_are_checked_like_entra_checks_them() {
    let cloud = cloud(true);
    let hour = Duration::from_secs(3600);
    let valid = cloud
        .issuer
        .token(&cloud.account, Duration::ZERO, hour)
        .unwrap();
    let (status, body) = assertion_grant(&cloud, &valid).await;
    assert_eq!(status, 200, "{body}");
    assert_storage_token(body["access_token"].as_str().unwrap(), APP);

    let expired = cloud
        .issuer
        .token(&cloud.account, Duration::from_secs(7200), hour)
        .unwrap();
    let (status, body) = assertion_grant(&cloud, &expired).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_codes"][0], 700024, "{body}");

    let stranger = ServiceAccount {
        namespace: "other".into(),
        name: "sa".into(),
    };
    let wrong_subject = cloud.issuer.token(&stranger, Duration::ZERO, hour).unwrap();
    let (_, body) = assertion_grant(&cloud, &wrong_subject).await;
    assert_eq!(body["error_codes"][0], 70021, "{body}");

    let other_cluster = ServiceAccountIssuer::generate().unwrap();
    let wrong_issuer = other_cluster
        .token(&cloud.account, Duration::ZERO, hour)
        .unwrap();
    let (_, body) = assertion_grant(&cloud, &wrong_issuer).await;
    assert_eq!(body["error_codes"][0], 700211, "{body}");

    let (_, body) = assertion_grant(&cloud, "not-a-jwt").await;
    assert_eq!(body["error_codes"][0], 50027, "{body}");
}

#[tokio::test]
async fn forged_assertion_signature_is_refused() {
    let cloud = cloud(true);
    let token = cloud
        .issuer
        .token(&cloud.account, Duration::ZERO, Duration::from_secs(600))
        .unwrap();
    // Same issuer, subject and audience, signed by a key the issuer never had.
    let mut impostor = ServiceAccountIssuer::generate().unwrap();
    impostor.issuer = cloud.issuer.issuer.clone();
    let forged = impostor
        .token(&cloud.account, Duration::ZERO, Duration::from_secs(600))
        .unwrap();
    assert_ne!(token, forged);
    let (status, body) = assertion_grant(&cloud, &forged).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_codes"][0], 700027, "{body}");
}

#[tokio::test]
async fn imds_probe_token_and_user_assigned_selection() {
    let cloud = cloud(true);
    let url = format!(
        "http://{IMDS_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com"
    );
    let probe = cloud.client.get(&url).send().await.unwrap();
    assert_eq!(probe.status(), 400);
    let body: Value = probe.json().await.unwrap();
    assert_eq!(
        body["error_description"],
        "Required metadata header not specified"
    );

    let system: Value = cloud
        .client
        .get(&url)
        .header("Metadata", "true")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(system["client_id"], APP);
    assert!(
        system["expires_in"].is_string(),
        "IMDS writes numbers as strings"
    );
    assert_storage_token(system["access_token"].as_str().unwrap(), APP);

    let user: Value = cloud
        .client
        .get(format!("{url}&client_id={USER_ASSIGNED}"))
        .header("Metadata", "true")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_storage_token(user["access_token"].as_str().unwrap(), USER_ASSIGNED);

    let unknown = cloud
        .client
        .get(format!("{url}&client_id=nobody"))
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let grants: Vec<String> = cloud
        .plane
        .calls()
        .iter()
        .map(|c| c.grant.clone())
        .collect();
    assert_eq!(
        grants,
        vec![
            "probe",
            "managed_identity(system-assigned)",
            "managed_identity(user-assigned)",
            "managed_identity"
        ]
    );
}

#[tokio::test]
async fn app_service_endpoint_requires_its_header() {
    let cloud = cloud(true);
    let url = "http://appservice.identity.local/msi/token?api-version=2019-08-01&resource=https://storage.azure.com";
    let refused = cloud.client.get(url).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let ok: Value = cloud
        .client
        .get(url)
        .header("X-IDENTITY-HEADER", "hdr")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ok["expires_on"].as_str().unwrap().parse::<u64>().is_ok());
    assert_storage_token(ok["access_token"].as_str().unwrap(), APP);
}

#[tokio::test]
async fn an_absent_imds_is_unreachable_not_a_502() {
    let cloud = cloud(false);
    let result = cloud
        .client
        .get(format!(
            "http://{IMDS_HOST}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x"
        ))
        .send()
        .await;
    assert!(
        result.is_err(),
        "expected a connection error, got {result:?}"
    );
    let records = cloud.front_door.traffic().snapshot();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, 0);
}

#[tokio::test]
async fn an_outage_fault_answers_500_until_removed() {
    let cloud = cloud(true);
    let outage = cloud.front_door.add_fault(FaultRule {
        name: "entra-outage".into(),
        host: HostPattern::parse(ENTRA_HOST).unwrap(),
        method: None,
        path_prefix: Some(format!("/{TENANT}/oauth2/")),
        ops: Vec::new(),
        action: FaultAction::Respond(CannedResponse::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({"error": "server_error"}),
        )),
        schedule: Schedule::Always,
    });
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", APP),
        ("client_secret", "s3cret"),
        ("scope", STORAGE_SCOPE),
    ];
    let (status, _) = token_request(&cloud, &form).await;
    assert_eq!(status, 500);
    assert!(
        cloud.plane.calls().is_empty(),
        "the fault answered, not Entra"
    );
    assert!(cloud.front_door.remove_fault(outage));
    let (status, _) = token_request(&cloud, &form).await;
    assert_eq!(status, 200);
    let faults: Vec<Option<String>> = cloud
        .front_door
        .traffic()
        .snapshot()
        .into_iter()
        .map(|r| r.fault)
        .collect();
    assert_eq!(faults, vec![Some("entra-outage".into()), None]);
}
