//! The front door: a forward proxy on loopback that every child process
//! (registries, through `HTTPS_PROXY`/`HTTP_PROXY`) and the harness's own
//! client use to reach Azure by its production host names. It terminates
//! CONNECT tunnels with leaves from the harness CA, routes each request by
//! host to a loopback upstream or an in-process service, and records every
//! exchange. It is the one place where traffic is observed and
//! faults are injected. Nothing it does opens a connection off loopback.
//!
//! This module owns the lifecycle only; each concern has its own module
//! (listener, CONNECT tunnels, routing, dispatch, forwarding, emulator
//! rewrites and pre-checks, faults, traffic records, the shared HTTP/1.1
//! server settings), each small enough to read whole and none importing a
//! sibling that imports it back. Keep it so: a new concern (a new fault
//! action, a new rewrite or pre-check) is a new file or a new case in one,
//! not a branch in the dispatcher.

pub mod body;
mod cert_cache;
mod connect;
mod dispatch;
mod error;
mod fault;
mod forward;
mod headers;
mod http1_server;
mod listener;
mod metered;
mod precheck;
mod rewrite;
mod routing;
mod service;
mod traffic;

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use body::{ProxyBody, FRONT_DOOR_HEADER};
pub use error::{FrontDoorError, RouteError};
pub use fault::{
    AckLost, AzureError, Bandwidth, BlobOp, BodyDirection, CannedResponse, FaultAction, FaultId,
    FaultParseError, FaultParseErrorKind, FaultRule, FaultStats, Latency, Schedule, ScheduleState,
    UnknownBlobOp,
};
pub use precheck::{PrecheckFuture, Probe, RequestPrecheck};
pub use rewrite::RequestRewrite;
pub use routing::{HostPattern, Route, Target};
pub use service::{Scheme, Service, ServiceFuture, ServiceRequest};
pub use traffic::{AuthScheme, TrafficLog, TrafficRecord, UnknownAuthScheme};

use crate::pki::CertificateAuthority;
use cert_cache::CertCache;
use routing::RouteTable;

/// How long `shutdown` waits for open connections to wind down.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What the front door needs to start.
#[derive(Debug, Clone)]
pub struct FrontDoorConfig {
    /// Signs the per-host leaves presented inside CONNECT tunnels; clients
    /// must trust it (`SSL_CERT_FILE` for Go).
    pub ca: Arc<CertificateAuthority>,
    /// A fixed port on 127.0.0.1, or `None` for a free one.
    pub port: Option<u16>,
    /// Routes in match order; more can be added after start.
    pub routes: Vec<Route>,
}

impl FrontDoorConfig {
    pub fn new(ca: Arc<CertificateAuthority>) -> Self {
        Self {
            ca,
            port: None,
            routes: Vec::new(),
        }
    }

    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    pub fn with_route(mut self, route: Route) -> Self {
        self.routes.push(route);
        self
    }
}

/// State shared by the accept loop, every connection and every tunnel.
pub(crate) struct ProxyContext {
    routes: RouteTable,
    rewrites: rewrite::Rewrites,
    prechecks: precheck::Prechecks,
    faults: fault::Faults,
    traffic: TrafficLog,
    certs: CertCache,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

impl ProxyContext {
    /// Spawns `work` so that it ends when the front door stops.
    fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let cancel = self.cancel.clone();
        self.tasks.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = work => {}
            }
        });
    }
}

/// A running front door. Dropping it stops accepting and cuts every open
/// connection; [`FrontDoor::shutdown`] does the same and waits for them.
pub struct FrontDoor {
    addr: SocketAddr,
    ctx: Arc<ProxyContext>,
}

impl std::fmt::Debug for FrontDoor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontDoor")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FrontDoor {
    /// Binds 127.0.0.1 (the given port, or a free one) and serves on the
    /// current tokio runtime.
    pub fn start(config: FrontDoorConfig) -> Result<Self, FrontDoorError> {
        tokio::runtime::Handle::try_current().map_err(|_| FrontDoorError::NoRuntime)?;
        let routes = RouteTable::default();
        for route in config.routes {
            routes.add(route)?;
        }
        let listener = bind(config.port.unwrap_or(0))?;
        let addr = listener
            .local_addr()
            .map_err(|source| FrontDoorError::Bind {
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, config.port.unwrap_or(0))),
                source,
            })?;
        let ctx = Arc::new(ProxyContext {
            routes,
            rewrites: rewrite::Rewrites::default(),
            prechecks: precheck::Prechecks::default(),
            faults: fault::Faults::default(),
            traffic: TrafficLog::new(),
            certs: CertCache::new(config.ca),
            cancel: CancellationToken::new(),
            tasks: TaskTracker::new(),
        });
        ctx.spawn(listener::accept_loop(ctx.clone(), listener));
        tracing::info!(%addr, "front door listening");
        Ok(Self { addr, ctx })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The value for `HTTPS_PROXY`/`HTTP_PROXY`: `http://127.0.0.1:PORT`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared traffic log; clones see every later record.
    pub fn traffic(&self) -> TrafficLog {
        self.ctx.traffic.clone()
    }

    /// Appends a route; it applies to every request that arrives after this
    /// returns, including ones on already-open tunnels.
    pub fn add_route(&self, route: Route) -> Result<(), RouteError> {
        self.ctx.routes.add(route)
    }

    /// Adds a request rewrite, applied to every later request before routing.
    pub fn add_rewrite(&self, rewrite: impl RequestRewrite) {
        self.ctx.rewrites.add(std::sync::Arc::new(rewrite));
    }

    /// Adds a pre-check, run on every later request to an upstream before
    /// it is forwarded; checks run in the order added.
    pub fn add_precheck(&self, check: impl RequestPrecheck) {
        self.ctx.prechecks.add(std::sync::Arc::new(check));
    }

    /// Adds a fault rule; it applies to every later request, including ones
    /// on already-open connections, until removed.
    pub fn add_fault(&self, rule: FaultRule) -> FaultId {
        self.ctx.faults.add(rule)
    }

    /// Parses a rule in the text syntax (see [`FaultRule`]'s `FromStr`) and
    /// adds it.
    pub fn add_fault_text(&self, rule: &str) -> Result<FaultId, FaultParseError> {
        Ok(self.add_fault(rule.parse()?))
    }

    /// Removes a fault rule; false if it was not there. Its counts stay in
    /// [`FrontDoor::fault_stats`].
    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.ctx.faults.remove(id)
    }

    /// Every fault rule added so far (removed ones included), in the order
    /// added, with how many requests each matched and hit.
    pub fn fault_stats(&self) -> Vec<FaultStats> {
        self.ctx.faults.stats()
    }

    /// Stops accepting, cuts open connections and waits (briefly) until
    /// every task of the front door has ended, so its port is free again.
    pub async fn shutdown(self) {
        self.ctx.cancel.cancel();
        self.ctx.tasks.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.ctx.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(addr = %self.addr, "front door tasks still running after shutdown");
        }
    }
}

impl Drop for FrontDoor {
    fn drop(&mut self) {
        self.ctx.cancel.cancel();
    }
}

fn bind(port: u16) -> Result<tokio::net::TcpListener, FrontDoorError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let map = |source: io::Error| {
        if source.kind() == io::ErrorKind::AddrInUse {
            FrontDoorError::PortInUse { port }
        } else {
            FrontDoorError::Bind { addr, source }
        }
    };
    let listener = std::net::TcpListener::bind(addr).map_err(map)?;
    listener.set_nonblocking(true).map_err(map)?;
    tokio::net::TcpListener::from_std(listener).map_err(map)
}
