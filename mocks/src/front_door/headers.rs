//! Hop-by-hop headers: the ones that describe one connection (client to
//! front door, or front door to upstream) and must not be copied to the next.
//! Everything else, `Host` included, passes through untouched.

use hyper::header::{HeaderMap, HeaderName, CONNECTION, EXPECT};

/// Headers that are always per-connection (RFC 9110, 7.6.1), plus the
/// `Proxy-*` family that only the front door itself may read.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes hop-by-hop headers, including any listed in `Connection`.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
    let proxy_headers: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("proxy-"))
        .cloned()
        .collect();
    for name in proxy_headers {
        headers.remove(name);
    }
}

/// Prepares a client's request headers for the upstream. `Expect:
/// 100-continue` was already answered by the front door's own server when it
/// started reading the body, so asking the upstream again would only add a
/// round trip.
pub(crate) fn for_upstream(headers: &mut HeaderMap) {
    strip_hop_by_hop(headers);
    headers.remove(EXPECT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_connection_scoped_headers_and_keeps_the_rest() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("host", "acct.blob.core.windows.net"),
            ("connection", "keep-alive, x-per-hop"),
            ("x-per-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("proxy-authorization", "Basic abc"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("upgrade", "h2c"),
            ("authorization", "SharedKey acct:xyz"),
            ("content-length", "12"),
            ("x-ms-version", "2021-08-06"),
        ] {
            headers.append(name, value.parse().unwrap());
        }
        strip_hop_by_hop(&mut headers);
        let mut left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(
            left,
            ["authorization", "content-length", "host", "x-ms-version"]
        );
    }
}
