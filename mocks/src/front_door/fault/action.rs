//! What a fault does to a request it hits. Actions are data only: the text
//! syntax lives in `parse.rs`, the body wrappers and timing in `apply.rs`.
//! Some actions replace the target's answer (a status, a reset, a stall);
//! the others shape the real answer on its way through (latency, bandwidth,
//! a cut partway through the body).

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
        }
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
