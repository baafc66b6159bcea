//! The body wrappers behind the shaping actions: a bandwidth cap that paces
//! frames, and a cut that passes the first N bytes and then aborts or ends
//! the body. They never buffer more than one upstream frame, so a capped or
//! cut multi-GiB body still crosses the front door in bounded space. Also
//! the drains: a blackhole's request body, and the target's answer an
//! `ack-lost` drops, read frame by frame and never kept.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper::Response;
use tokio::time::{Instant, Sleep};

use super::action::{AckLost, Bandwidth, BodyDirection, FaultAction};
use super::Injection;
use crate::front_door::body::{BoxError, ProxyBody};

impl Injection {
    /// The request body as the target will read it: capped for
    /// `bandwidth-up`, untouched otherwise.
    pub(crate) fn shape_request_body(&self, body: ProxyBody) -> ProxyBody {
        match self.action() {
            FaultAction::Bandwidth(Bandwidth {
                direction: BodyDirection::Request,
                bytes_per_second,
            }) => ProxyBody::new(Throttled::new(body, *bytes_per_second)),
            _ => body,
        }
    }

    /// The target's response body as the client will read it: capped, cut
    /// or untouched.
    pub(crate) fn shape_response_body(&self, body: ProxyBody) -> ProxyBody {
        match self.action() {
            FaultAction::Bandwidth(Bandwidth {
                direction: BodyDirection::Response,
                bytes_per_second,
            }) => ProxyBody::new(Throttled::new(body, *bytes_per_second)),
            FaultAction::ResetMidBody { after } => {
                ProxyBody::new(Cut::new(body, *after, CutEnd::Abort))
            }
            FaultAction::Truncate { after } => {
                ProxyBody::new(Cut::new(body, *after, CutEnd::Truncate))
            }
            _ => body,
        }
    }
}

/// Pacing granularity: a capped body moves in slices of a twentieth of a
/// second's allowance, so the rate is smooth at that scale.
const SLICES_PER_SECOND: u64 = 20;
/// hyper writes a body's frames into a buffer and flushes it when the body
/// returns `Pending`; an error or early end returned at once could lose the
/// bytes before it. Waiting this long lets them reach the socket first.
const FLUSH_GRACE: Duration = Duration::from_millis(50);

/// A body paced to at most `rate` bytes per second, measured from its first
/// data frame.
struct Throttled {
    inner: ProxyBody,
    rate: u64,
    started: Option<Instant>,
    sent: u64,
    /// The rest of an upstream frame larger than one slice.
    rest: Option<Bytes>,
    /// A slice waiting for its time to go out.
    held: Option<Bytes>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Throttled {
    fn new(inner: ProxyBody, bytes_per_second: u64) -> Self {
        Self {
            inner,
            rate: bytes_per_second.max(1),
            started: None,
            sent: 0,
            rest: None,
            held: None,
            sleep: None,
        }
    }

    fn buffered(&self) -> u64 {
        let len = |bytes: &Option<Bytes>| bytes.as_ref().map_or(0, |b| b.len() as u64);
        len(&self.rest) + len(&self.held)
    }
}

impl Body for Throttled {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            if let Some(sleep) = this.sleep.as_mut() {
                ready!(sleep.as_mut().poll(cx));
                this.sleep = None;
                if let Some(slice) = this.held.take() {
                    return Poll::Ready(Some(Ok(Frame::data(slice))));
                }
            }
            let mut data = match this.rest.take() {
                Some(rest) => rest,
                None => match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) => data,
                        Err(trailers) => return Poll::Ready(Some(Ok(trailers))),
                    },
                    other => return Poll::Ready(other),
                },
            };
            let slice =
                usize::try_from((this.rate / SLICES_PER_SECOND).max(1)).unwrap_or(usize::MAX);
            if data.len() > slice {
                this.rest = Some(data.split_off(slice));
            }
            let started = *this.started.get_or_insert_with(Instant::now);
            this.sent += data.len() as u64;
            // A slice may leave once the time the bytes up to its end are
            // allowed has passed, so the whole body takes at least size/rate.
            let due = started + Duration::from_secs_f64(this.sent as f64 / this.rate as f64);
            if due <= Instant::now() {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
            this.held = Some(data);
            this.sleep = Some(Box::pin(tokio::time::sleep_until(due)));
        }
    }

    fn is_end_stream(&self) -> bool {
        self.buffered() == 0 && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let inner = self.inner.size_hint();
        let buffered = self.buffered();
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower().saturating_add(buffered));
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper.saturating_add(buffered));
        }
        hint
    }
}

/// How a cut body ends after its allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CutEnd {
    /// With an error: hyper aborts the connection.
    Abort,
    /// As if complete: the client sees fewer bytes than `Content-Length`
    /// and then the connection closing.
    Truncate,
}

/// A body that passes its first `allowance` bytes, then ends as `end` says.
/// A body shorter than the allowance passes whole.
struct Cut {
    inner: ProxyBody,
    remaining: u64,
    end: CutEnd,
    /// Set once the allowance is spent: the grace before the end.
    ending: Option<Pin<Box<Sleep>>>,
    /// Bytes of a frame were dropped: the body was longer than the allowance.
    dropped: bool,
    done: bool,
}

impl Cut {
    fn new(inner: ProxyBody, allowance: u64, end: CutEnd) -> Self {
        Self {
            inner,
            remaining: allowance,
            end,
            ending: None,
            dropped: false,
            done: false,
        }
    }
}

/// The error a cut body ends with, shown in the front door's logs.
#[derive(Debug, thiserror::Error)]
#[error("fault: connection reset after the first bytes of the body")]
struct MidBodyReset;

impl Body for Cut {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if this.remaining == 0 && (this.dropped || !this.inner.is_end_stream()) {
            let ending = this
                .ending
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(FLUSH_GRACE)));
            ready!(ending.as_mut().poll(cx));
            this.done = true;
            return Poll::Ready(match this.end {
                CutEnd::Abort => Some(Err(Box::new(MidBodyReset))),
                CutEnd::Truncate => None,
            });
        }
        match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(mut data) => {
                    let allowed = usize::try_from(this.remaining).unwrap_or(usize::MAX);
                    if data.len() > allowed {
                        data.truncate(allowed);
                        this.dropped = true;
                    }
                    this.remaining -= data.len() as u64;
                    Poll::Ready(Some(Ok(Frame::data(data))))
                }
                Err(trailers) => Poll::Ready(Some(Ok(trailers))),
            },
            other => Poll::Ready(other),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || (!self.dropped && self.inner.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        // The response head keeps its Content-Length; this hint only
        // matters for bodies without one.
        self.inner.size_hint()
    }
}

/// Reads a body to its end and drops it (the blackhole's request body, the
/// answer an `ack-lost` drops).
pub(crate) async fn swallow(mut body: ProxyBody) {
    use http_body_util::BodyExt;
    while let Some(Ok(_)) = body.frame().await {}
}

impl AckLost {
    /// Reads the target's `answer` to its end and drops it, so whatever the
    /// target does on the way out has been done, then gives what the client
    /// gets instead: an Azure error, or `None` to close the connection.
    pub(crate) async fn replace(&self, answer: Response<ProxyBody>) -> Option<Response<ProxyBody>> {
        swallow(answer.into_body()).await;
        match self {
            Self::AzureError(error) => Some(error.to_response()),
            Self::Reset => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front_door::body::full;
    use http_body_util::BodyExt;

    #[tokio::test(start_paused = true)]
    async fn a_throttled_body_takes_size_over_rate_and_keeps_every_byte() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let started = Instant::now();
        let body = Throttled::new(full(data.clone()), 2_000);
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(collected.as_ref(), data.as_slice());
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_secs(5), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_cut_passes_the_allowance_then_aborts() {
        let mut body = Cut::new(full(vec![7u8; 100]), 30, CutEnd::Abort);
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first.len(), 30);
        assert!(body.frame().await.unwrap().is_err());
        assert!(body.frame().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_body_passes_a_cut_whole() {
        let body = Cut::new(full(vec![7u8; 10]), 30, CutEnd::Truncate);
        assert_eq!(body.collect().await.unwrap().to_bytes().len(), 10);
    }
}
