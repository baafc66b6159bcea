//! The one HTTP/1.1 server configuration the front door serves clients
//! with, outside tunnels (the listener) and inside them (CONNECT). A leaf:
//! both import it, it imports neither.

use hyper::server::conn::http1;
use hyper_util::rt::TokioTimer;

/// The HTTP/1.1 server settings for client connections, outside and inside
/// tunnels. Clients own the idle timeout: Go keeps idle connections for 90 s,
/// and a server that closed them sooner (hyper's default 30 s header timeout
/// also runs while idle) would race Go's reuse and fail non-replayable PUTs.
pub(crate) fn http1_server() -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(None);
    builder
}
