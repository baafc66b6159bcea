//! What a fault does to a request it hits. Actions are data only: the text
//! syntax lives in `parse.rs`, the body wrappers and timing in `apply.rs`.
//! Some actions replace the target's answer (a status, a reset, a stall);
//! the others shape the real answer on its way through (latency, bandwidth,
//! a cut partway through the body). `ack-lost` does both: the target gets
//! the request and answers, and the client gets a failure instead.

use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};

use super::azure_error::AzureError;
use crate::front_door::body::{full, ProxyBody};

/// What a matching request gets.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// A response written by the fault, shaped like the real service's error
    /// (JSON for identity endpoints). Not expressible in the text syntax.
    Respond(CannedResponse),
    /// The connection is closed before any response byte.
    Reset,
    /// An Azure Storage error response (XML body, `x-ms-error-code`, a fresh
    /// `x-ms-request-id` per response) instead of the target's answer.
    AzureError(AzureError),
    /// The real answer, its head held back for a while.
    Latency(Latency),
    /// The real answer, with one body direction capped in bytes per second.
    Bandwidth(Bandwidth),
    /// The real response head and the first `after` body bytes, then the
    /// connection is aborted.
    ResetMidBody { after: u64 },
    /// The real response head (its `Content-Length` intact) and the first
    /// `after` body bytes, then the body ends and the connection closes.
    Truncate { after: u64 },
    /// No answer, and the request body is left unread, until the client
    /// gives up or the front door shuts down.
    Stall,
    /// The request body is read to its end and dropped; no answer follows,
    /// until the client gives up or the front door shuts down.
    Blackhole,
    /// The ambiguous write: the request goes to the target whole, the
    /// target's complete answer is read and dropped (so a write has been
    /// applied), and the client gets a failure instead. The traffic record
    /// keeps the dropped status (`discarded_status`).
    AckLost(AckLost),
}

/// What the client of an [`FaultAction::AckLost`] request gets instead of
/// the target's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum AckLost {
    /// An Azure Storage error, e.g. 500 OperationTimedOut or 503 ServerBusy.
    AzureError(AzureError),
    /// The connection is closed without a response.
    Reset,
}

impl FaultAction {
    /// A short, stable label for reports ("faults injected by kind").
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Respond(_) => "respond",
            Self::Reset => "reset",
            Self::AzureError(_) => "status",
            Self::Latency(_) => "latency",
            Self::Bandwidth(Bandwidth {
                direction: BodyDirection::Response,
                ..
            }) => "bandwidth",
            Self::Bandwidth(Bandwidth {
                direction: BodyDirection::Request,
                ..
            }) => "bandwidth-up",
            Self::ResetMidBody { .. } => "reset-mid-body",
            Self::Truncate { .. } => "truncate",
            Self::Stall => "stall",
            Self::Blackhole => "blackhole",
            Self::AckLost(_) => "ack-lost",
        }
    }

    /// Whether an answer the client gets is the fault's own rather than the
    /// target's (shaped or not).
    pub(crate) fn writes_the_answer(&self) -> bool {
        matches!(
            self,
            Self::Respond(_) | Self::AzureError(_) | Self::AckLost(_)
        )
    }
}

/// A delay before the response head, fixed (`min == max`) or drawn
/// uniformly from `min..=max` per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub min: Duration,
    pub max: Duration,
}

impl Latency {
    pub fn fixed(delay: Duration) -> Self {
        Self {
            min: delay,
            max: delay,
        }
    }

    /// `None` when `min > max`.
    pub fn jittered(min: Duration, max: Duration) -> Option<Self> {
        (min <= max).then_some(Self { min, max })
    }
}

/// Which body a bandwidth cap slows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyDirection {
    /// Client to target (uploads, `PUT` blocks).
    Request,
    /// Target to client (downloads, `GET` blob).
    Response,
}

/// A cap on one body direction, in bytes per second (never zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bandwidth {
    pub direction: BodyDirection,
    pub bytes_per_second: u64,
}

/// A fixed response, for endpoints whose errors are not Azure Storage XML.
#[derive(Debug, Clone, PartialEq)]
pub struct CannedResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: String,
}

impl CannedResponse {
    pub fn json(status: StatusCode, body: &serde_json::Value) -> Self {
        CannedResponse {
            status,
            headers: vec![(
                hyper::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            body: body.to_string(),
        }
    }

    pub(crate) fn to_response(&self) -> Response<ProxyBody> {
        let mut response = Response::new(full(self.body.clone()));
        *response.status_mut() = self.status;
        for (name, value) in &self.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}
