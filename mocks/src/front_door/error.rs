//! Errors the front door reports to the harness. Per-request failures are not
//! here: they become HTTP responses (502 and friends) and traffic records.

use std::io;
use std::net::SocketAddr;

/// Why a route could not be added.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("invalid host pattern `{pattern}`: {reason} (use `host.example` or `*.example`)")]
    InvalidPattern {
        pattern: String,
        reason: &'static str,
    },
    #[error("upstream `{base}` must be an http or https URL with a host and no query")]
    InvalidUpstream { base: String },
    #[error(
        "upstream `{base}` is not on loopback: the front door only forwards to \
         127.0.0.0/8, ::1 or localhost, so no traffic leaves this machine"
    )]
    NotLoopback { base: String },
    #[error("cannot build the TLS client for upstream `{base}`: {source}")]
    Tls {
        base: String,
        #[source]
        source: rustls::Error,
    },
}

/// Why the front door could not start.
#[derive(Debug, thiserror::Error)]
pub enum FrontDoorError {
    #[error("port {port} on 127.0.0.1 is already in use: pick another port or leave it unset for a free one")]
    PortInUse { port: u16 },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("the front door must be started from inside a tokio runtime")]
    NoRuntime,
    #[error(transparent)]
    Route(#[from] RouteError),
}
