//! Shared setup for the mocks' integration tests: a fresh CA, an HTTPS echo
//! upstream that plays Azurite's part, and clients configured the way the
//! harness configures them (the CA as the only root, the front door as proxy).

// Each test file uses a different subset of this module.
#![allow(dead_code)]

pub mod echo;

use std::sync::Arc;

use regmatrix_mocks::front_door::{FrontDoor, FrontDoorConfig, Route, Target};
use regmatrix_mocks::pki::CertificateAuthority;

pub use echo::EchoUpstream;

pub const BLOB_HOST: &str = "acct.blob.core.windows.net";

pub fn ca() -> Arc<CertificateAuthority> {
    Arc::new(CertificateAuthority::generate("regmatrix test CA").unwrap())
}

/// A reqwest client that trusts only `ca` and sends everything through `proxy_url`.
pub fn client(ca: &CertificateAuthority, proxy_url: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.cert_pem().as_bytes()).unwrap())
        .proxy(reqwest::Proxy::all(proxy_url).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A front door routing `*.blob.core.windows.net` to `upstream`.
pub fn front_door_to(ca: &Arc<CertificateAuthority>, upstream: &EchoUpstream) -> FrontDoor {
    let route = Route::to(
        "*.blob.core.windows.net",
        Target::upstream(upstream.base_url(), ca.rustls_root_store()),
    )
    .unwrap();
    FrontDoor::start(FrontDoorConfig::new(ca.clone()).with_route(route)).unwrap()
}

/// The deterministic bytes the echo upstream serves for `GET /big?size=N`.
pub fn pattern_byte(index: u64) -> u8 {
    (index % 251) as u8
}

pub fn pattern(len: u64) -> Vec<u8> {
    (0..len).map(pattern_byte).collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
