//! In-process services: what a route answers with when no upstream process
//! exists (IMDS, Entra ID, token servers). The proxy core only knows this
//! trait; each mock endpoint lives in its own module and implements it.

use std::future::Future;
use std::pin::Pin;

use hyper::{Request, Response};

use super::body::ProxyBody;

/// How the request reached the front door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP, absolute-form or direct (IMDS style).
    Http,
    /// HTTPS through a CONNECT tunnel the front door terminated.
    Https,
}

/// A request handed to a [`Service`].
#[derive(Debug)]
pub struct ServiceRequest {
    /// The host the client asked for, without port, lower case
    /// (`login.microsoftonline.com`, `169.254.169.254`).
    pub host: String,
    pub scheme: Scheme,
    /// The request as the client sent it; the URI is origin-form
    /// (path and query). The body streams and is metered.
    pub request: Request<ProxyBody>,
}

/// A boxed future, the return type of [`Service::handle`].
pub type ServiceFuture<'a> = Pin<Box<dyn Future<Output = Response<ProxyBody>> + Send + 'a>>;

/// An in-process handler for a routed host. Failures are responses (a mock
/// decides which status the client sees), so there is no error type.
pub trait Service: Send + Sync + 'static {
    fn handle(&self, request: ServiceRequest) -> ServiceFuture<'_>;
}

/// Any async closure `Fn(ServiceRequest) -> impl Future<Output = Response<ProxyBody>>`
/// is a service, for small mocks and tests.
impl<F, Fut> Service for F
where
    F: Fn(ServiceRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<ProxyBody>> + Send + 'static,
{
    fn handle(&self, request: ServiceRequest) -> ServiceFuture<'_> {
        Box::pin(self(request))
    }
}
