//! Routing by host: in-process services (IMDS over plain HTTP, an identity
//! endpoint over HTTPS by IP), unrouted hosts refused with 502, and an
//! upstream that is down reported as such. Every case lands in the log.

mod support;

use http_body_util::BodyExt;
use hyper::header::HeaderValue;
use hyper::Response;
use regmatrix_mocks::front_door::body::full;
use regmatrix_mocks::front_door::{
    AuthScheme, FrontDoor, FrontDoorConfig, Route, RouteError, Scheme, ServiceRequest, Target,
    FRONT_DOOR_HEADER,
};

const IMDS_TOKEN_PATH: &str =
    "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com";

/// Echoes what a service is handed, so tests can see the proxy's view.
async fn describe(request: ServiceRequest) -> Response<regmatrix_mocks::front_door::ProxyBody> {
    let scheme = match request.scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    let (parts, body) = request.request.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let json = serde_json::json!({
        "host": request.host,
        "scheme": scheme,
        "uri": parts.uri.to_string(),
        "host_header": parts.headers.get("host").map(|v| v.to_str().unwrap().to_owned()),
        "metadata": parts.headers.get("metadata").map(|v| v.to_str().unwrap().to_owned()),
        "body": String::from_utf8(body.to_vec()).unwrap(),
    });
    let mut response = Response::new(full(json.to_string()));
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

#[tokio::test]
async fn absolute_form_http_reaches_a_service_added_after_start() {
    let ca = support::ca();
    let front_door = FrontDoor::start(FrontDoorConfig::new(ca.clone())).unwrap();
    front_door
        .add_route(Route::to("169.254.169.254", Target::service(describe)).unwrap())
        .unwrap();
    let client = support::client(&ca, &front_door.proxy_url());

    let response = client
        .get(format!("http://169.254.169.254{IMDS_TOKEN_PATH}"))
        .header("metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen: serde_json::Value = response.json().await.unwrap();
    assert_eq!(seen["host"], "169.254.169.254");
    assert_eq!(seen["scheme"], "http");
    assert_eq!(
        seen["uri"], IMDS_TOKEN_PATH,
        "services get origin-form URIs"
    );
    assert_eq!(seen["host_header"], "169.254.169.254");
    assert_eq!(seen["metadata"], "true");

    let record = front_door.traffic().snapshot().pop().unwrap();
    assert_eq!(record.host, "169.254.169.254");
    assert_eq!(record.path, IMDS_TOKEN_PATH);
    assert_eq!(record.status, 200);
    assert_eq!(record.auth_scheme, AuthScheme::None);
}

#[tokio::test]
async fn https_to_an_ip_address_gets_an_ip_leaf_without_sni() {
    // rustls, like Go, sends no SNI for IP addresses: the CONNECT target
    // names the certificate.
    let ca = support::ca();
    let front_door = FrontDoor::start(
        FrontDoorConfig::new(ca.clone())
            .with_route(Route::to("169.254.169.254", Target::service(describe)).unwrap()),
    )
    .unwrap();
    let client = support::client(&ca, &front_door.proxy_url());

    let response = client
        .post("https://169.254.169.254/token")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let seen: serde_json::Value = response.json().await.unwrap();
    assert_eq!(seen["scheme"], "https");
    assert_eq!(seen["body"], "grant_type=client_credentials");

    let record = front_door.traffic().snapshot().pop().unwrap();
    assert_eq!(
        record.request_bytes,
        "grant_type=client_credentials".len() as u64
    );
}

#[tokio::test]
async fn unrouted_hosts_get_502_naming_the_host_and_are_recorded() {
    let ca = support::ca();
    let front_door = FrontDoor::start(FrontDoorConfig::new(ca.clone())).unwrap();
    let client = support::client(&ca, &front_door.proxy_url());

    for url in [
        "http://nowhere.example/plain?x=1",
        "https://login.microsoftonline.com/common/discovery/instance",
    ] {
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 502, "{url}");
        assert_eq!(response.headers()[FRONT_DOOR_HEADER], "unrouted");
        let text = response.text().await.unwrap();
        let host = url::Url::parse(url).unwrap().host_str().unwrap().to_owned();
        assert!(text.contains(&host), "{text}");
    }

    let records = front_door.traffic().snapshot();
    let summary: Vec<_> = records
        .iter()
        .map(|record| (record.host.as_str(), record.path.as_str(), record.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("nowhere.example", "/plain?x=1", 502),
            (
                "login.microsoftonline.com",
                "/common/discovery/instance",
                502
            ),
        ]
    );
}

#[tokio::test]
async fn a_down_upstream_is_a_502_from_the_front_door() {
    let ca = support::ca();
    // Bind and drop, so the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("https://127.0.0.1:{port}").parse().unwrap();
    let front_door = FrontDoor::start(
        FrontDoorConfig::new(ca.clone()).with_route(
            Route::to(
                support::BLOB_HOST,
                Target::upstream(base, ca.rustls_root_store()),
            )
            .unwrap(),
        ),
    )
    .unwrap();
    let client = support::client(&ca, &front_door.proxy_url());

    let response = client
        .get(format!(
            "https://{}/c?restype=container",
            support::BLOB_HOST
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()[FRONT_DOOR_HEADER], "upstream-error");
    assert_eq!(front_door.traffic().snapshot().pop().unwrap().status, 502);
}

#[tokio::test]
async fn upstreams_off_loopback_are_refused() {
    let ca = support::ca();
    let front_door = FrontDoor::start(FrontDoorConfig::new(ca.clone())).unwrap();
    for base in [
        "https://203.0.113.1:443",
        "https://example.com",
        "ftp://127.0.0.1",
    ] {
        let target = Target::upstream(base.parse().unwrap(), ca.rustls_root_store());
        let error = front_door
            .add_route(Route::to("*.blob.core.windows.net", target).unwrap())
            .unwrap_err();
        assert!(
            matches!(
                error,
                RouteError::NotLoopback { .. } | RouteError::InvalidUpstream { .. }
            ),
            "{base}: {error}"
        );
    }
}
