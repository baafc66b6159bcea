//! Byte counting in the streaming path: wrappers around the request and
//! response bodies that count frames as they pass and file the exchange's
//! [`TrafficRecord`] the moment the response body ends.
//!
//! The record is filed when the last response frame is handed to hyper, which
//! is before hyper writes it to the socket, so a client that has read a whole
//! response always finds its record complete in the log.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use super::body::{BoxError, ProxyBody};
use super::traffic::{AuthScheme, TrafficLog, TrafficRecord};

/// What is known about a request when its head arrives.
#[derive(Debug, Clone)]
pub(crate) struct ExchangeHead {
    pub host: String,
    pub method: String,
    pub path: String,
    pub auth_scheme: AuthScheme,
    pub rewrites: Vec<&'static str>,
    pub fault: Option<String>,
}

/// One exchange in flight. Shared by the request body, the response body and
/// the dispatcher; whichever sees the end files the record, exactly once.
#[derive(Debug)]
pub(crate) struct Exchange {
    log: TrafficLog,
    started: Instant,
    head: ExchangeHead,
    /// The head's rewrites, then any pre-check that answered in the
    /// upstream's stead, which is known only once the route is.
    rewrites: Mutex<Vec<&'static str>>,
    status: AtomicU16,
    /// The target's status an `ack-lost` fault dropped; 0 for none.
    discarded_status: AtomicU16,
    request_bytes: AtomicU64,
    response_bytes: AtomicU64,
    /// The response's `Content-Length`, `u64::MAX` when it has none: a body
    /// that ends short of it (a truncation fault, an upstream cut) is not
    /// complete even though it ended without an error.
    expected_response_bytes: AtomicU64,
    request_failed: AtomicBool,
    filed: AtomicBool,
}

impl Exchange {
    pub(crate) fn begin(log: TrafficLog, mut head: ExchangeHead) -> Arc<Self> {
        Arc::new(Self {
            log,
            started: Instant::now(),
            rewrites: Mutex::new(std::mem::take(&mut head.rewrites)),
            head,
            status: AtomicU16::new(0),
            discarded_status: AtomicU16::new(0),
            request_bytes: AtomicU64::new(0),
            response_bytes: AtomicU64::new(0),
            expected_response_bytes: AtomicU64::new(u64::MAX),
            request_failed: AtomicBool::new(false),
            filed: AtomicBool::new(false),
        })
    }

    /// Names a correction applied after the head was recorded.
    pub(crate) fn add_rewrite(&self, name: &'static str) {
        self.rewrites
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(name);
    }

    pub(crate) fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::Release);
    }

    /// Records the status of a target's answer that the client will not see.
    pub(crate) fn set_discarded_status(&self, status: u16) {
        self.discarded_status.store(status, Ordering::Release);
    }

    pub(crate) fn expect_response_bytes(&self, length: Option<u64>) {
        self.expected_response_bytes
            .store(length.unwrap_or(u64::MAX), Ordering::Release);
    }

    /// HEAD, 1xx, 204 and 304 responses carry no body whatever the handler
    /// returned, so hyper drops their bodies unread and that is complete.
    fn body_forbidden(&self) -> bool {
        let status = self.status.load(Ordering::Acquire);
        self.head.method == "HEAD" || (100..200).contains(&status) || status == 204 || status == 304
    }

    fn file(&self, response_completed: bool) {
        if self.filed.swap(true, Ordering::AcqRel) {
            return;
        }
        let expected = self.expected_response_bytes.load(Ordering::Acquire);
        let short = expected != u64::MAX
            && !self.body_forbidden()
            && self.response_bytes.load(Ordering::Acquire) != expected;
        let completed =
            response_completed && !short && !self.request_failed.load(Ordering::Acquire);
        self.log.push(TrafficRecord {
            host: self.head.host.clone(),
            method: self.head.method.clone(),
            path: self.head.path.clone(),
            status: self.status.load(Ordering::Acquire),
            request_bytes: self.request_bytes.load(Ordering::Acquire),
            response_bytes: self.response_bytes.load(Ordering::Acquire),
            duration: self.started.elapsed(),
            auth_scheme: self.head.auth_scheme,
            rewrites: self
                .rewrites
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            fault: self.head.fault.clone(),
            discarded_status: Some(self.discarded_status.load(Ordering::Acquire))
                .filter(|status| *status != 0),
            completed,
        });
    }
}

impl Drop for Exchange {
    // The client went away before a response body existed (or the dispatcher
    // was cancelled): still leave a record, marked incomplete.
    fn drop(&mut self) {
        self.file(false);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

/// A body that counts its data bytes into an [`Exchange`].
pub(crate) struct MeteredBody {
    inner: ProxyBody,
    exchange: Arc<Exchange>,
    direction: Direction,
}

impl MeteredBody {
    /// Meters a request body on its way to the target.
    pub(crate) fn request(inner: ProxyBody, exchange: Arc<Exchange>) -> Self {
        Self {
            inner,
            exchange,
            direction: Direction::Request,
        }
    }

    /// Meters a response body on its way to the client; files the record
    /// when the body ends or is dropped.
    pub(crate) fn response(inner: ProxyBody, exchange: Arc<Exchange>) -> Self {
        Self {
            inner,
            exchange,
            direction: Direction::Response,
        }
    }

    fn counter(&self) -> &AtomicU64 {
        match self.direction {
            Direction::Request => &self.exchange.request_bytes,
            Direction::Response => &self.exchange.response_bytes,
        }
    }
}

impl Body for MeteredBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.counter()
                        .fetch_add(data.len() as u64, Ordering::AcqRel);
                }
                // A sized body is over with its last data frame: hyper will
                // not poll again, so file now, before the bytes go out.
                if self.direction == Direction::Response && self.inner.is_end_stream() {
                    self.exchange.file(true);
                }
            }
            Poll::Ready(Some(Err(_))) => match self.direction {
                Direction::Request => self.exchange.request_failed.store(true, Ordering::Release),
                Direction::Response => self.exchange.file(false),
            },
            Poll::Ready(None) => {
                if self.direction == Direction::Response {
                    self.exchange.file(true);
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for MeteredBody {
    // hyper drops empty bodies (HEAD, 204, 304) without polling them, and a
    // client that disconnects drops a body half read: both end up here.
    fn drop(&mut self) {
        if self.direction == Direction::Response {
            let completed = self.inner.is_end_stream() || self.exchange.body_forbidden();
            self.exchange.file(completed);
        }
    }
}
