//! Loopback ports for the services of one environment.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

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

/// How long a port stays claimed against other regmatrix processes after
/// it was handed out: long enough for the child to start and bind it (a
/// registry's ready timeout), after which a bound port fails the probe
/// anyway.
const CLAIM_HOLD: Duration = Duration::from_secs(180);

/// A free loopback port for a child to listen on: outside the ephemeral
/// range, never one this process handed out before (two environments of
/// one run cannot be given the same port), and not one another regmatrix
/// process on the machine handed out in the last minutes (parallel runs
/// and test binaries: between the probe and the child's bind, a port is
/// free to everyone else's probe too).
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
        if !claim(port) {
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

/// Claims `port` across processes with an exclusive lock on a file named
/// after it, held for [`CLAIM_HOLD`] (the lock goes with the process if it
/// dies). `false`: another process holds it. Without a lock directory the
/// claim is skipped and the bind probe alone decides.
fn claim(port: u16) -> bool {
    static CLAIMS: OnceLock<Mutex<HashMap<u16, (File, Instant)>>> = OnceLock::new();
    let claims = CLAIMS.get_or_init(Default::default);
    let mut claims = claims.lock().unwrap_or_else(PoisonError::into_inner);
    claims.retain(|_, (_, at)| at.elapsed() < CLAIM_HOLD);
    let Some(dir) = claim_dir() else {
        return true;
    };
    let Ok(file) = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{port}.lock")))
    else {
        return true;
    };
    match file.try_lock() {
        Ok(()) => {
            claims.insert(port, (file, Instant::now()));
            true
        }
        Err(_) => false,
    }
}

/// One directory per user for the claim files (they are empty and reused).
fn claim_dir() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        use std::os::unix::fs::MetadataExt;
        let user = std::fs::metadata("/proc/self")
            .map(|m| m.uid())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("regmatrix-ports-{user}"));
        std::fs::create_dir_all(&dir).ok().map(|_| dir)
    })
    .clone()
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_claimed_port_is_refused_to_another_claimant() {
        let port = super::free_port().unwrap();
        // Another process holding the lock looks like this: a second open
        // file description on the same file cannot take the lock.
        let path = super::claim_dir().unwrap().join(format!("{port}.lock"));
        let other = std::fs::File::options().write(true).open(path).unwrap();
        assert!(other.try_lock().is_err(), "port {port} was not claimed");
    }
}
