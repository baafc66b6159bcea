//! PKCS#8 private keys as PEM (`PRIVATE KEY`), the one form rcgen, OpenSSL,
//! Python's `cryptography` and Go's `x509.ParsePKCS8PrivateKey` all read.
//! Encrypted PKCS#8 and the algorithm-specific forms (PKCS#1, SEC1) are out of
//! scope: nothing in the harness writes them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivatePkcs8KeyDer;

use super::JoseError;

/// RFC 7468 section 2: base64 body wrapped at 64 columns.
const PEM_LINE: usize = 64;

pub(crate) fn to_pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = String::with_capacity(body.len() + body.len() / PEM_LINE + 64);
    pem.push_str("-----BEGIN PRIVATE KEY-----\n");
    // Base64 output is ASCII, so byte chunks are whole characters.
    for line in body.as_bytes().chunks(PEM_LINE) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// The DER of the first `PRIVATE KEY` block in `pem`.
pub(crate) fn from_pem(pem: &str) -> Result<Vec<u8>, JoseError> {
    PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
        .map(|key| key.secret_pkcs8_der().to_vec())
        .map_err(|e| JoseError::Pkcs8Pem(e.to_string()))
}
