//! Pre-checks through the real front door: a check reads from the request's
//! own upstream and may answer instead of it; its answer is named in the
//! traffic record like a rewrite, its reads are not recorded, and a fault
//! that answers first leaves the check unrun.

mod support;

use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode};
use regmatrix_mocks::front_door::body::full;
use regmatrix_mocks::front_door::{PrecheckFuture, Probe, RequestPrecheck};
use support::{echo::HEAD_LENGTH, BLOB_HOST};

/// Answers 409 for paths under `/c/refused/`, after reading the blob with a
/// HEAD the way a state-dependent correction does.
struct RefuseAfterHead;

impl RequestPrecheck for RefuseAfterHead {
    fn name(&self) -> &'static str {
        "test-refuse-after-head"
    }

    fn check<'a>(
        &'a self,
        _host: &'a str,
        request: &'a Parts,
        upstream: Probe<'a>,
    ) -> PrecheckFuture<'a> {
        Box::pin(async move {
            let head = Request::head(request.uri.clone())
                .header("host", request.headers["host"].clone())
                .body(())
                .unwrap();
            let existing = upstream.send(head).await;
            // The echo upstream gives every HEAD this length: the read
            // really reached it.
            assert_eq!(
                existing.headers()["content-length"],
                HEAD_LENGTH.to_string()
            );
            if !request.uri.path().starts_with("/c/refused/") {
                return None;
            }
            let mut answer = Response::new(full("refused"));
            *answer.status_mut() = StatusCode::CONFLICT;
            Some(answer)
        })
    }
}

#[tokio::test]
async fn a_check_answers_or_lets_through_and_only_its_answer_is_recorded() {
    let ca = support::ca();
    let upstream = support::EchoUpstream::start(&ca).await;
    let front_door = support::front_door_to(&ca, &upstream);
    front_door.add_precheck(RefuseAfterHead);
    let client = support::client(&ca, &front_door.proxy_url());

    let refused = client
        .put(format!("https://{BLOB_HOST}/c/refused/blob"))
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    assert_eq!(refused.text().await.unwrap(), "refused");

    let passed = client
        .put(format!("https://{BLOB_HOST}/c/blob"))
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(passed.status(), 201);
    let echo: serde_json::Value = serde_json::from_slice(&passed.bytes().await.unwrap()).unwrap();
    assert_eq!(echo["length"], 3);

    let seen: Vec<(Method, String)> = upstream
        .seen()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Method::HEAD, "/c/refused/blob".to_string()),
            (Method::HEAD, "/c/blob".to_string()),
            (Method::PUT, "/c/blob".to_string()),
        ]
    );
    let records: Vec<(String, String, u16, Vec<&str>)> = front_door
        .traffic()
        .snapshot()
        .into_iter()
        .map(|r| (r.method, r.path, r.status, r.rewrites))
        .collect();
    assert_eq!(
        records,
        vec![
            (
                "PUT".to_string(),
                "/c/refused/blob".to_string(),
                409,
                vec!["test-refuse-after-head"]
            ),
            ("PUT".to_string(), "/c/blob".to_string(), 201, vec![]),
        ]
    );
}

#[tokio::test]
async fn a_fault_that_answers_comes_before_the_check() {
    let ca = support::ca();
    let upstream = support::EchoUpstream::start(&ca).await;
    let front_door = support::front_door_to(&ca, &upstream);
    front_door.add_precheck(RefuseAfterHead);
    front_door
        .add_fault_text("host=*.blob.core.windows.net action=status:503")
        .unwrap();
    let client = support::client(&ca, &front_door.proxy_url());

    let answered = client
        .put(format!("https://{BLOB_HOST}/c/refused/blob"))
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 503);
    assert!(upstream.seen().is_empty());
    let records = front_door.traffic().snapshot();
    assert_eq!(records.len(), 1);
    assert!(records[0].rewrites.is_empty());
    assert_eq!(records[0].fault.as_deref(), Some("status:503"));
}
