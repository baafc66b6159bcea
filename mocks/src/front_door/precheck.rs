//! Checks that run before a request goes to its upstream: the hook for
//! emulator divergences a rewrite cannot correct, because Azure's answer
//! depends on what is already stored (see `azure_storage::emulator_compat`).
//! A check reads state through the upstream the request is routed to and may
//! answer the request itself, as Azure would have. A check that answers is
//! named in the request's traffic record, like a rewrite.
//!
//! A check must not change stored state, touch the request body or reach any
//! server but the request's own upstream. Its reads are the front door's own
//! traffic, not the client's, so they get no traffic record. Checks run only
//! for requests that reach an upstream: a fault that answers first wins, as
//! an outage would on Azure.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use hyper::http::request::Parts;
use hyper::{Request, Response};

use super::body::{empty, ProxyBody};
use super::forward::Upstream;

/// What [`RequestPrecheck::check`] returns: `Some` answers the request
/// instead of the upstream.
pub type PrecheckFuture<'a> =
    Pin<Box<dyn Future<Output = Option<Response<ProxyBody>>> + Send + 'a>>;

pub trait RequestPrecheck: Send + Sync + 'static {
    /// A stable name for reports.
    fn name(&self) -> &'static str;
    /// Looks at a request for `host` as it will be forwarded (origin-form
    /// URI, `Host` set, rewrites applied) and, through `upstream`, at the
    /// state it would act on.
    fn check<'a>(
        &'a self,
        host: &'a str,
        request: &'a Parts,
        upstream: Probe<'a>,
    ) -> PrecheckFuture<'a>;
}

/// The upstream a checked request is routed to, open to the check's reads.
#[derive(Clone, Copy)]
pub struct Probe<'a> {
    upstream: &'a Upstream,
}

impl Probe<'_> {
    /// Sends `request` (origin-form URI, the client's `Host`) to the upstream.
    /// The request has no body: a check reads, it does not write. An upstream
    /// that cannot be reached gives the front door's own 502.
    pub async fn send(&self, request: Request<()>) -> Response<ProxyBody> {
        self.upstream.forward(request.map(|()| empty())).await
    }
}

#[derive(Default, Clone)]
pub(crate) struct Prechecks(Arc<RwLock<Vec<Arc<dyn RequestPrecheck>>>>);

impl Prechecks {
    pub fn add(&self, check: Arc<dyn RequestPrecheck>) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(check);
    }

    /// Runs the checks in the order added until one answers; returns its
    /// name and answer.
    pub async fn answer(
        &self,
        host: &str,
        request: &Parts,
        upstream: &Upstream,
    ) -> Option<(&'static str, Response<ProxyBody>)> {
        // A snapshot, so no lock is held across the checks' reads.
        let checks = self
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for check in checks {
            if let Some(answer) = check.check(host, request, Probe { upstream }).await {
                return Some((check.name(), answer));
            }
        }
        None
    }
}
