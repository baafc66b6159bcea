//! A notification endpoint as the registry's `notifications.endpoints`
//! posts to: each request carries an envelope of events
//! (`application/vnd.docker.distribution.events.v1+json`, a JSON object
//! whose `events` is a list, each with `action`, `target.repository`,
//! `target.mediaType` and for a tagged manifest `target.tag`). The recorder
//! answers 200 and keeps what arrived, per endpoint (the request path's
//! first segment), so a run can say which events each version sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use hyper::{Method, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::front_door::{ProxyBody, Service, ServiceFuture, ServiceRequest};
use crate::service_http::json_response;

/// The host notification endpoints are pointed at; the front door routes it here.
pub const NOTIFICATIONS_HOST: &str = "notifications.regmatrix.test";

/// Envelopes are a few events; a larger body is not one.
const MAX_ENVELOPE_BYTES: usize = 4 * 1024 * 1024;

/// One event as the recorder keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub endpoint: String,
    pub action: String,
    pub repository: String,
    pub media_type: String,
    pub tag: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Envelope {
    events: Vec<Event>,
}

#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: Target,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    #[serde(default)]
    repository: String,
    #[serde(default)]
    media_type: String,
    #[serde(default)]
    tag: Option<String>,
}

/// Requests the recorder could not read as an envelope, kept as evidence.
#[derive(Debug, Clone, Default)]
struct Log {
    events: Vec<RecordedEvent>,
    malformed: usize,
}

#[derive(Debug, Clone, Default)]
pub struct NotificationRecorder {
    log: Arc<Mutex<Log>>,
}

impl NotificationRecorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The base URL endpoints post to; the endpoint's name follows it.
    pub fn base_url() -> String {
        format!("http://{NOTIFICATIONS_HOST}")
    }

    pub fn events(&self) -> Vec<RecordedEvent> {
        self.log
            .lock()
            .map(|l| l.events.clone())
            .unwrap_or_default()
    }

    /// Requests whose body was not an envelope of events.
    pub fn malformed(&self) -> usize {
        self.log.lock().map(|l| l.malformed).unwrap_or_default()
    }

    /// Per endpoint, the number of events per action: `events to "audit":
    /// push x3, pull x2`.
    pub fn summary(&self) -> BTreeMap<String, BTreeMap<String, usize>> {
        let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for event in self.events() {
            *out.entry(event.endpoint)
                .or_default()
                .entry(event.action)
                .or_default() += 1;
        }
        out
    }

    async fn answer(&self, request: ServiceRequest) -> Response<ProxyBody> {
        let (parts, mut body) = request.request.into_parts();
        if parts.method != Method::POST {
            return json_response(StatusCode::METHOD_NOT_ALLOWED, &json!({}));
        }
        let endpoint = parts
            .uri
            .path()
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        bytes.extend_from_slice(&data);
                    }
                }
                Err(_) => break,
            }
            if bytes.len() > MAX_ENVELOPE_BYTES {
                break;
            }
        }
        let Ok(mut log) = self.log.lock() else {
            return json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({}));
        };
        match serde_json::from_slice::<Envelope>(&bytes) {
            Ok(envelope) => {
                log.events
                    .extend(envelope.events.into_iter().map(|e| RecordedEvent {
                        endpoint: endpoint.clone(),
                        action: e.action,
                        repository: e.target.repository,
                        media_type: e.target.media_type,
                        tag: e.target.tag,
                    }));
                json_response(StatusCode::OK, &json!({}))
            }
            Err(_) => {
                log.malformed += 1;
                json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": "not an envelope of events"}),
                )
            }
        }
    }
}

impl Service for NotificationRecorder {
    fn handle(&self, request: ServiceRequest) -> ServiceFuture<'_> {
        Box::pin(self.answer(request))
    }
}

#[cfg(test)]
mod tests;
