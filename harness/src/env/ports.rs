//! Loopback ports for the services of one environment.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Mutex, OnceLock, PoisonError};

use rand::Rng;

#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("port {port} on 127.0.0.1 is already in use; choose another or leave it unset for a free one")]
    InUse { port: u16 },
    #[error("cannot find a free loopback port: {0}")]
    Exhausted(std::io::Error),
}

/// Ports for listeners come from below the kernel's ephemeral range
/// (Linux's default starts at 32768): a port the kernel picks for `bind(0)`
/// is also one it picks for an outgoing connection's local end, so between
/// releasing it and the child's bind, any client socket (the harness's, a
/// registry's, Azurite's) could take it, and the child failed with
/// "address already in use".
const LISTEN_PORTS: std::ops::Range<u16> = 20_000..32_000;
const ATTEMPTS: usize = 200;

/// A free loopback port for a child to listen on: outside the ephemeral
/// range, and never one this process handed out before, so two
/// environments of one run cannot be given the same port.
pub fn free_port() -> Result<u16, PortError> {
    static HANDED_OUT: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let handed_out = HANDED_OUT.get_or_init(Default::default);
    let mut rng = rand::thread_rng();
    for _ in 0..ATTEMPTS {
        let port = rng.gen_range(LISTEN_PORTS);
        let mut taken = handed_out.lock().unwrap_or_else(PoisonError::into_inner);
        if taken.contains(&port) {
            continue;
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            taken.insert(port);
            return Ok(port);
        }
    }
    Err(PortError::Exhausted(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!(
            "no free port among {ATTEMPTS} tries in {}..{}",
            LISTEN_PORTS.start, LISTEN_PORTS.end
        ),
    )))
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
