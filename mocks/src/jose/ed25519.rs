//! Ed25519 (`EdDSA`, RFC 8037): keys as PKCS#8 so they can be written out and
//! certified. Distribution 3.x verifies these; 2.8's libtrust cannot.

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde_json::Value;

use super::{b64url, jwk, pkcs8, JoseError, SigningKey, VerifyingKey};
use crate::seed::Seed;

/// SubjectPublicKeyInfo up to the key: SEQUENCE { SEQUENCE { id-Ed25519 },
/// BIT STRING (33 bytes, no unused bits) } (RFC 8410 section 4).
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
const PUBLIC_KEY_LEN: usize = 32;

pub struct Ed25519Key {
    pair: Ed25519KeyPair,
    /// Kept because ring cannot serialize a parsed key back out.
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519Key").finish_non_exhaustive()
    }
}

impl Ed25519Key {
    pub fn generate() -> Result<Self, JoseError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Self::from_pkcs8_der(pkcs8.as_ref())
    }

    /// The key `seed` makes: the same seed, the same key (and kid).
    pub fn from_seed(seed: Seed) -> Result<Self, JoseError> {
        // RFC 8410 OneAsymmetricKey v1: the fixed header, then the 32-byte seed.
        const V1_PREFIX: [u8; 16] = [
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        let mut der = V1_PREFIX.to_vec();
        der.extend_from_slice(&seed.bytes::<32>());
        Self::from_pkcs8_der(&der)
    }

    /// An Ed25519 key from PKCS#8 DER, v1 (seed only, what OpenSSL and Go
    /// write) or v2 (seed and public key, what ring writes).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, JoseError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Ok(Ed25519Key {
            pair,
            pkcs8: der.to_vec(),
        })
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, JoseError> {
        Self::from_pkcs8_der(&pkcs8::from_pem(pem)?)
    }

    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn pkcs8_pem(&self) -> String {
        pkcs8::to_pem(&self.pkcs8)
    }

    pub fn public(&self) -> Ed25519PublicKey {
        let mut key = [0; PUBLIC_KEY_LEN];
        key.copy_from_slice(self.pair.public_key().as_ref());
        Ed25519PublicKey { key }
    }
}

impl SigningKey for Ed25519Key {
    fn algorithm(&self) -> &'static str {
        "EdDSA"
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, JoseError> {
        Ok(self.pair.sign(signing_input).as_ref().to_vec())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ed25519PublicKey {
    key: [u8; PUBLIC_KEY_LEN],
}

impl Ed25519PublicKey {
    /// A public key from a JWK's `kty`, `crv` and `x`; other members are ignored.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JoseError> {
        jwk::expect(jwk, "kty", "OKP")?;
        jwk::expect(jwk, "crv", "Ed25519")?;
        let x = jwk::bytes(jwk, "x", Some(PUBLIC_KEY_LEN))?;
        let mut key = [0; PUBLIC_KEY_LEN];
        key.copy_from_slice(&x);
        Ok(Ed25519PublicKey { key })
    }

    /// The RFC 7638 required members, in their canonical (sorted) order.
    pub(crate) fn jwk_members(&self) -> Vec<(&'static str, String)> {
        vec![
            ("crv", "Ed25519".to_owned()),
            ("kty", "OKP".to_owned()),
            ("x", b64url(&self.key)),
        ]
    }

    /// The public key as a bare JWK: `kty`, `crv`, `x` (RFC 8037 section 2).
    pub fn public_jwk(&self) -> Value {
        jwk::public(&self.jwk_members())
    }

    /// The public key as a JWK Set entry, with `kid`, `use` and `alg`.
    pub fn jwk(&self, kid: &str) -> Value {
        jwk::set_entry(&self.jwk_members(), kid, "EdDSA")
    }

    /// DER SubjectPublicKeyInfo, what Go's `x509.MarshalPKIXPublicKey` writes.
    pub fn spki_der(&self) -> Vec<u8> {
        [&SPKI_PREFIX[..], &self.key].concat()
    }
}

impl VerifyingKey for Ed25519PublicKey {
    fn algorithm(&self) -> &'static str {
        "EdDSA"
    }

    fn verify(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        UnparsedPublicKey::new(&ED25519, &self.key)
            .verify(signing_input, signature)
            .map_err(|_| JoseError::BadSignature)
    }
}
