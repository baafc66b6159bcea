//! The one body type that flows through the front door, in both directions,
//! and small constructors for bodies the front door writes itself.
//!
//! Bodies are always streamed: nothing here collects a body into memory, so a
//! 1 GiB blob crosses the proxy in bounded space.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};

/// Any error a body can fail with (client reset, upstream reset, a service's own).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A streaming request or response body as the front door passes it on.
pub type ProxyBody = BoxBody<Bytes, BoxError>;

/// A body holding `bytes` in full (for small bodies that services and the
/// proxy itself write).
pub fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// An empty body.
pub fn empty() -> ProxyBody {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// Boxes any streaming body into a [`ProxyBody`] without buffering it.
pub fn stream<B>(body: B) -> ProxyBody
where
    B: hyper::body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed()
}

/// Marks responses the front door wrote itself (no route, upstream down), so
/// a report can tell them from an upstream's own 502.
pub const FRONT_DOOR_HEADER: &str = "x-regmatrix-front-door";

/// A plain-text response written by the front door itself; `reason` goes in
/// [`FRONT_DOOR_HEADER`] (`unrouted`, `upstream-error`, ...).
pub(crate) fn own_response(
    status: hyper::StatusCode,
    reason: &'static str,
    text: String,
) -> hyper::Response<ProxyBody> {
    let mut response = hyper::Response::new(full(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        FRONT_DOOR_HEADER,
        hyper::header::HeaderValue::from_static(reason),
    );
    response
}

/// An error and all its causes on one line: hyper's own `Display` says only
/// "client error (Connect)", the cause says "connection refused".
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
