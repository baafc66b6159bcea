//! Request rewrites applied before routing: the hook through which the mock
//! cloud corrects emulator divergences (see `azure_storage::emulator_compat`).
//! A rewrite that applies is named in the request's traffic record. A
//! divergence whose correct answer depends on stored state needs a pre-check
//! (`precheck.rs`) instead.

use std::sync::{Arc, PoisonError, RwLock};

use hyper::http::request::Parts;

pub trait RequestRewrite: Send + Sync + 'static {
    /// A stable name for reports.
    fn name(&self) -> &'static str;
    /// Rewrites `parts` for a request to `host`; true when it changed anything.
    fn rewrite(&self, host: &str, parts: &mut Parts) -> bool;
}

#[derive(Default, Clone)]
pub(crate) struct Rewrites(Arc<RwLock<Vec<Arc<dyn RequestRewrite>>>>);

impl Rewrites {
    pub fn add(&self, rewrite: Arc<dyn RequestRewrite>) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(rewrite);
    }

    /// Applies every rewrite in order; returns the names of those that applied.
    pub fn apply(&self, host: &str, parts: &mut Parts) -> Vec<&'static str> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|r| r.rewrite(host, parts))
            .map(|r| r.name())
            .collect()
    }
}
