use hyper::{Request, StatusCode};

use super::*;
use crate::front_door::body::full;
use crate::front_door::Scheme;

fn post(path: &str, body: &str) -> ServiceRequest {
    ServiceRequest {
        host: NOTIFICATIONS_HOST.into(),
        scheme: Scheme::Http,
        request: Request::post(path).body(full(body.to_string())).unwrap(),
    }
}

#[tokio::test]
async fn events_are_kept_per_endpoint_and_action() {
    let recorder = NotificationRecorder::new();
    let envelope = r#"{"events":[
        {"id":"1","action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"team/app","tag":"v1"}},
        {"id":"2","action":"pull","target":{"mediaType":"application/octet-stream","repository":"team/app"}}
    ]}"#;
    let response = recorder.handle(post("/audit", envelope)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = recorder
        .handle(post(
            "/mirror/x",
            r#"{"events":[{"action":"push","target":{}}]}"#,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let events = recorder.events();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].endpoint, "audit");
    assert_eq!(events[0].tag.as_deref(), Some("v1"));
    assert_eq!(events[1].media_type, "application/octet-stream");
    let summary = recorder.summary();
    assert_eq!(summary["audit"]["push"], 1);
    assert_eq!(summary["audit"]["pull"], 1);
    assert_eq!(summary["mirror"]["push"], 1);
}

#[tokio::test]
async fn a_body_that_is_not_an_envelope_is_refused_and_counted() {
    let recorder = NotificationRecorder::new();
    let response = recorder.handle(post("/audit", "not json")).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(recorder.malformed(), 1);
    assert!(recorder.events().is_empty());
}
