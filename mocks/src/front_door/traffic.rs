//! The traffic log: one record per request that crossed the front door, the
//! raw evidence reports quote ("the registry sent PUT ... with SharedKey and
//! got 403"). Records are data only; the metering that fills them lives in
//! `metered.rs`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hyper::header::{HeaderMap, AUTHORIZATION};
use serde::{Deserialize, Deserializer, Serialize};

/// The credential a request carried, as far as the front door can tell
/// without validating it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthScheme {
    /// `Authorization: SharedKey acct:sig` (and `SharedKeyLite`).
    SharedKey,
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A SAS token: a `sig` query parameter and no `Authorization` header.
    Sas,
    /// `Authorization: Basic ...`.
    Basic,
    /// An `Authorization` header with any other scheme.
    Other,
    /// No credential at all.
    None,
}

impl AuthScheme {
    pub const ALL: [AuthScheme; 6] = [
        Self::SharedKey,
        Self::Bearer,
        Self::Sas,
        Self::Basic,
        Self::Other,
        Self::None,
    ];

    /// The name reports use, the same as its serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SharedKey => "shared_key",
            Self::Bearer => "bearer",
            Self::Sas => "sas",
            Self::Basic => "basic",
            Self::Other => "other",
            Self::None => "none",
        }
    }

    /// Classifies a request by its `Authorization` header, then by its query.
    pub fn of_request(headers: &HeaderMap, query: Option<&str>) -> Self {
        if let Some(value) = headers.get(AUTHORIZATION) {
            let value = value.as_bytes();
            let scheme = value.split(|byte| *byte == b' ').next().unwrap_or(value);
            // Auth schemes are case-insensitive (RFC 9110, 11.1).
            return match scheme.to_ascii_lowercase().as_slice() {
                b"sharedkey" | b"sharedkeylite" => Self::SharedKey,
                b"bearer" => Self::Bearer,
                b"basic" => Self::Basic,
                _ => Self::Other,
            };
        }
        let has_sig = query.is_some_and(|query| {
            query
                .split('&')
                .any(|pair| pair.split('=').next() == Some("sig"))
        });
        if has_sig {
            Self::Sas
        } else {
            Self::None
        }
    }
}

/// A scheme name nobody classifies requests into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown credential scheme {0:?}: use shared_key, bearer, sas, basic, other, none")]
pub struct UnknownAuthScheme(pub String);

impl std::str::FromStr for AuthScheme {
    type Err = UnknownAuthScheme;

    fn from_str(text: &str) -> Result<Self, UnknownAuthScheme> {
        Self::ALL
            .into_iter()
            .find(|scheme| scheme.as_str() == text)
            .ok_or_else(|| UnknownAuthScheme(text.to_owned()))
    }
}

impl std::fmt::Display for AuthScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads the words `as_str` writes, so scenario files name schemes as
/// reports print them.
impl<'de> Deserialize<'de> for AuthScheme {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One request/response exchange as the front door saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrafficRecord {
    /// The host the client asked for (no port), e.g. `acct.blob.core.windows.net`.
    pub host: String,
    pub method: String,
    /// Path and query, as sent by the client.
    pub path: String,
    /// The status sent to the client; `0` if the client went away before any
    /// response existed.
    pub status: u16,
    /// Request body bytes read from the client.
    pub request_bytes: u64,
    /// Response body bytes handed to the client connection.
    pub response_bytes: u64,
    /// From the request head arriving to the end of the response body.
    pub duration: Duration,
    pub auth_scheme: AuthScheme,
    /// Emulator-compatibility corrections the front door applied to the
    /// request: rewrites, and a pre-check that answered in the emulator's
    /// stead.
    pub rewrites: Vec<&'static str>,
    /// The fault rule that hit this request, if any: it answered instead of
    /// the target, or shaped the target's answer (latency, bandwidth, a cut).
    pub fault: Option<String>,
    /// The target's status the front door read and dropped, giving the client
    /// `status` instead (an `ack-lost` fault): `Some(201)` with `status` 500
    /// is a write applied and answered 500, with `status` 0 one applied and
    /// answered with a reset. `None` when the client got the target's own
    /// answer, or none was asked for; left out of the JSON then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discarded_status: Option<u16>,
    /// False when either body ended early (client or upstream reset), so a
    /// report can tell a short transfer from a short blob.
    pub completed: bool,
}

/// The shared, append-only list of records. Clones share one log.
#[derive(Debug, Clone, Default)]
pub struct TrafficLog {
    records: Arc<Mutex<Vec<TrafficRecord>>>,
}

impl TrafficLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// All records so far, in the order their exchanges finished.
    pub fn snapshot(&self) -> Vec<TrafficRecord> {
        self.lock().clone()
    }

    /// The number of records so far: take it before a step, then pass it to
    /// [`TrafficLog::since`] after the step to get that step's records.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The records that finished after the first `index` ones.
    pub fn since(&self, index: usize) -> Vec<TrafficRecord> {
        self.lock()
            .get(index..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    pub(crate) fn push(&self, record: TrafficRecord) {
        self.lock().push(record);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<TrafficRecord>> {
        // A panic while pushing cannot leave a half-written Vec element, so
        // the data behind a poisoned lock is still sound.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization.parse().unwrap());
        headers
    }

    #[test]
    fn scheme_words_read_back_and_unknown_ones_are_named() {
        for scheme in AuthScheme::ALL {
            assert_eq!(scheme.as_str().parse::<AuthScheme>(), Ok(scheme));
        }
        let error = "magic".parse::<AuthScheme>().unwrap_err();
        assert!(error.to_string().contains("\"magic\""), "{error}");
    }

    #[test]
    fn classifies_authorization_schemes() {
        let of = |value| AuthScheme::of_request(&headers(value), None);
        assert_eq!(of("SharedKey acct:xyz"), AuthScheme::SharedKey);
        assert_eq!(of("Bearer eyJ"), AuthScheme::Bearer);
        assert_eq!(of("bearer eyJ"), AuthScheme::Bearer);
        assert_eq!(of("Basic dTpw"), AuthScheme::Basic);
        assert_eq!(of("Negotiate abc"), AuthScheme::Other);
    }

    #[test]
    fn a_sig_parameter_is_sas_only_without_authorization() {
        let none = HeaderMap::new();
        let sas = "sv=2021&se=x&sig=abc%3D";
        assert_eq!(AuthScheme::of_request(&none, Some(sas)), AuthScheme::Sas);
        assert_eq!(
            AuthScheme::of_request(&none, Some("xsig=1")),
            AuthScheme::None
        );
        assert_eq!(AuthScheme::of_request(&none, None), AuthScheme::None);
        assert_eq!(
            AuthScheme::of_request(&headers("Bearer t"), Some(sas)),
            AuthScheme::Bearer
        );
    }

    #[test]
    fn since_returns_the_tail() {
        let log = TrafficLog::new();
        let record = |path: &str| TrafficRecord {
            host: "h".into(),
            method: "GET".into(),
            path: path.into(),
            status: 200,
            request_bytes: 0,
            response_bytes: 0,
            duration: Duration::ZERO,
            auth_scheme: AuthScheme::None,
            rewrites: Vec::new(),
            fault: None,
            discarded_status: None,
            completed: true,
        };
        log.push(record("/a"));
        let mark = log.len();
        log.push(record("/b"));
        assert_eq!(log.since(mark), vec![record("/b")]);
        assert!(log.since(5).is_empty());
    }
}
