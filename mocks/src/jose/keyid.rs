//! The two names a verifier gives a public key: the libtrust key ID that
//! distribution 2.8 matches a token's `kid` against, and the RFC 7638 JWK
//! thumbprint. Both are pure functions of public key bytes; nothing here
//! parses or checks keys.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{b64url, jwk, JoseError};

/// How much of the SHA-256 libtrust keeps: 30 bytes are exactly 48 base32
/// characters, so the ID needs no padding.
const LIBTRUST_HASH_BYTES: usize = 30;
const LIBTRUST_GROUP: usize = 4;
/// RFC 4648 section 6, the standard (not the hex) alphabet.
const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The libtrust key ID of a DER SubjectPublicKeyInfo: SHA-256, first 30
/// bytes, base32 without padding, in 12 groups of 4 joined by `:`.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    let digest = Sha256::digest(spki_der);
    let encoded = base32_no_pad(&digest[..LIBTRUST_HASH_BYTES]);
    let mut id = String::with_capacity(encoded.len() + encoded.len() / LIBTRUST_GROUP);
    for (i, c) in encoded.chars().enumerate() {
        if i > 0 && i % LIBTRUST_GROUP == 0 {
            id.push(':');
        }
        id.push(c);
    }
    id
}

fn base32_no_pad(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u16 = 0;
    let mut bits: u32 = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32_ALPHABET[usize::from((buffer >> bits) & 0x1f)] as char);
        }
        // Only the low `bits` bits are still pending; drop the rest so the
        // shift above never overflows.
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(BASE32_ALPHABET[usize::from((buffer << (5 - bits)) & 0x1f)] as char);
    }
    out
}

/// The RFC 7638 thumbprint of a JWK (RSA, EC, OKP or oct): its required
/// members only, whatever else the JWK carries and in whatever order.
pub fn jwk_thumbprint(jwk: &Value) -> Result<String, JoseError> {
    let kty = jwk::member(jwk, "kty")?;
    let required: &[&'static str] = match kty {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        "oct" => &["k", "kty"],
        other => return Err(JoseError::UnsupportedJwk(other.to_owned())),
    };
    let members = required
        .iter()
        .map(|&name| Ok((name, jwk::member(jwk, name)?.to_owned())))
        .collect::<Result<Vec<_>, JoseError>>()?;
    Ok(thumbprint_of_members(&members))
}

/// SHA-256 over `{"name":"value",...}` with names in lexicographic order and
/// no whitespace (RFC 7638 section 3.3), base64url without padding.
pub(crate) fn thumbprint_of_members(members: &[(&'static str, String)]) -> String {
    let mut sorted: Vec<&(&str, String)> = members.iter().collect();
    sorted.sort_by_key(|(name, _)| *name);
    let body: Vec<String> = sorted
        .iter()
        .map(|(name, value)| format!("{}:{}", Value::from(*name), Value::from(value.as_str())))
        .collect();
    let canonical = format!("{{{}}}", body.join(","));
    b64url(&Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc_4648_section_10() {
        let cases = [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (input, expected) in cases {
            assert_eq!(base32_no_pad(input.as_bytes()), expected, "{input:?}");
        }
    }
}
