//! Loopback ports for the services of one environment.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("port {port} on 127.0.0.1 is already in use; choose another or leave it unset for a free one")]
    InUse { port: u16 },
    #[error("cannot find a free loopback port: {0}")]
    Exhausted(std::io::Error),
}

/// A free port chosen by the kernel. It is released before the child binds
/// it, so two environments can in rare cases race; the child then fails to
/// bind and says so in its log.
pub fn free_port() -> Result<u16, PortError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(PortError::Exhausted)?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(PortError::Exhausted)
}

/// The requested port if it is free now, else a clear error.
pub fn requested_port(port: u16) -> Result<u16, PortError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .map(|_| port)
        .map_err(|_| PortError::InUse { port })
}

pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}
