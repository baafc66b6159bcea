//! Azure Storage error responses as the service writes them: the XML
//! `<Error>` body whose message ends in `RequestId:` and `Time:` lines, and
//! the `x-ms-error-code` / `x-ms-request-id` headers clients key their retry
//! decisions on. Each response gets its own request id and time, as Azure's
//! do, so a client that logs them can tell retries apart.

use std::time::Duration;

use hyper::header::{HeaderValue, CONTENT_TYPE, DATE, RETRY_AFTER, SERVER};
use hyper::{Response, StatusCode};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

use crate::front_door::body::{full, ProxyBody};

/// The `Time:` line of an Azure error message (7 fractional digits, UTC).
const MESSAGE_TIME: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z");
/// An IMF-fixdate for the `Date` header.
const HTTP_DATE: &[BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// One Azure Storage error: a status, the service's error code and, for
/// throttling, a `Retry-After`. The message is the service's own text for
/// the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureError {
    pub status: StatusCode,
    /// `ServerBusy`, `InternalError`, `OperationTimedOut`, ...
    pub code: String,
    /// Sent as whole seconds, rounded up.
    pub retry_after: Option<Duration>,
}

impl AzureError {
    pub fn new(status: StatusCode, code: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            retry_after: None,
        }
    }

    /// 503 ServerBusy: the documented answer of an overloaded partition.
    pub fn server_busy() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "ServerBusy")
    }

    /// 500 InternalError.
    pub fn internal_error() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError")
    }

    /// 500 OperationTimedOut: may come after the write was committed (the
    /// ambiguous write).
    pub fn operation_timed_out() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "OperationTimedOut")
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: Duration) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests").with_retry_after(retry_after)
    }

    /// 403 AuthenticationFailed: a rejected signature or token.
    pub fn authentication_failed() -> Self {
        Self::new(StatusCode::FORBIDDEN, "AuthenticationFailed")
    }

    /// 409 InvalidBlobType: an operation for one blob type on a blob of
    /// another.
    pub fn invalid_blob_type() -> Self {
        Self::new(StatusCode::CONFLICT, "InvalidBlobType")
    }

    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// The code the text syntax assumes for `status:N` without `code:`.
    pub fn default_code(status: StatusCode) -> Option<&'static str> {
        Some(match status.as_u16() {
            400 => "InvalidInput",
            403 => "AuthenticationFailed",
            404 => "ResourceNotFound",
            409 => "ResourceAlreadyExists",
            412 => "ConditionNotMet",
            429 => "TooManyRequests",
            500 => "InternalError",
            503 => "ServerBusy",
            _ => return None,
        })
    }

    /// The first line of the message, the service's text where we know it.
    pub fn message(&self) -> &'static str {
        match self.code.as_str() {
            "ServerBusy" => {
                "The server is currently unable to receive requests. Please retry your request."
            }
            "InternalError" => {
                "The server encountered an internal error. Please retry the request."
            }
            "OperationTimedOut" => "Operation could not be completed within the specified time.",
            "AuthenticationFailed" => {
                "Server failed to authenticate the request. Make sure the value of \
                 Authorization header is formed correctly including the signature."
            }
            "TooManyRequests" => "The request was throttled. Retry after the time in Retry-After.",
            "ConditionNotMet" => {
                "The condition specified using HTTP conditional header(s) is not met."
            }
            "ResourceNotFound" => "The specified resource does not exist.",
            "ResourceAlreadyExists" => "The specified resource already exists.",
            "InvalidInput" => "One of the request inputs is not valid.",
            "InvalidBlobType" => "The blob type is invalid for this operation.",
            _ => "The request failed.",
        }
    }

    /// The XML body for one response.
    pub fn body(&self, request_id: &str, at: OffsetDateTime) -> String {
        // Formatting a UTC time with a fixed description cannot fail; an
        // empty time still leaves a well-formed body.
        let time = at.format(MESSAGE_TIME).unwrap_or_default();
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{}</Code>\
             <Message>{}\nRequestId:{request_id}\nTime:{time}</Message></Error>",
            xml_escape(&self.code),
            xml_escape(self.message()),
        )
    }

    /// A complete response with a fresh request id and the current time.
    pub(crate) fn to_response(&self) -> Response<ProxyBody> {
        self.to_response_in_version(None)
    }

    /// [`AzureError::to_response`] answering a request that named its API
    /// version: Azure says in `x-ms-version` which version it applied, and
    /// that is the one the request asked for.
    pub(crate) fn to_response_in_version(
        &self,
        version: Option<&HeaderValue>,
    ) -> Response<ProxyBody> {
        let request_id = request_id();
        let now = OffsetDateTime::now_utc();
        let mut response = Response::new(full(self.body(&request_id, now)));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        headers.insert(
            SERVER,
            HeaderValue::from_static("Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0"),
        );
        if let Ok(value) = HeaderValue::from_str(&self.code) {
            headers.insert("x-ms-error-code", value);
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert("x-ms-request-id", value);
        }
        if let Some(value) = now
            .format(HTTP_DATE)
            .ok()
            .and_then(|date| HeaderValue::from_str(&date).ok())
        {
            headers.insert(DATE, value);
        }
        if let Some(version) = version {
            headers.insert("x-ms-version", version.clone());
        }
        if let Some(retry_after) = self.retry_after {
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A random UUID (version 4 layout), as Azure request ids are.
fn request_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_azure_storage_xml_with_request_id_and_time() {
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let body = AzureError::server_busy().body("abc", at);
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code>\
             <Message>The server is currently unable to receive requests. Please retry your request.\n\
             RequestId:abc\nTime:2023-11-14T22:13:20.0000000Z</Message></Error>"
        );
    }

    #[test]
    fn responses_carry_the_error_headers() {
        let response = AzureError::too_many_requests(Duration::from_millis(1500)).to_response();
        assert_eq!(response.status(), 429);
        let headers = response.headers();
        assert_eq!(headers["x-ms-error-code"], "TooManyRequests");
        assert_eq!(headers["content-type"], "application/xml");
        assert_eq!(headers["retry-after"], "2");
        assert_eq!(headers["x-ms-request-id"].len(), 36);
        assert!(headers.contains_key("date"));
        assert!(!headers.contains_key("x-ms-version"));
    }

    #[test]
    fn an_answer_to_a_versioned_request_names_that_version() {
        let version = HeaderValue::from_static("2023-11-03");
        let response = AzureError::invalid_blob_type().to_response_in_version(Some(&version));
        assert_eq!(response.status(), 409);
        assert_eq!(response.headers()["x-ms-version"], "2023-11-03");
        assert_eq!(response.headers()["x-ms-error-code"], "InvalidBlobType");
    }
}
