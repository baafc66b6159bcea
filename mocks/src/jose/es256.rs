//! ECDSA P-256 with SHA-256 (`ES256`): signatures in the fixed `r || s` form
//! JWS requires (RFC 7518 3.4), keys as PKCS#8 so they can be written out and
//! certified.

use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::Value;

use super::{b64url, jwk, pkcs8, JoseError, SigningKey, VerifyingKey};
use crate::seed::Seed;

/// SubjectPublicKeyInfo up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey,
/// prime256v1 }, BIT STRING (66 bytes, no unused bits) }. Every P-256 key
/// shares it, which is why no DER writer is needed.
const SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
const COORDINATE_LEN: usize = 32;

pub struct EcP256Key {
    pair: EcdsaKeyPair,
    /// Kept because ring cannot serialize a parsed key back out.
    pkcs8: Vec<u8>,
    rng: SystemRandom,
}

impl std::fmt::Debug for EcP256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcP256Key").finish_non_exhaustive()
    }
}

impl EcP256Key {
    pub fn generate() -> Result<Self, JoseError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Self::from_pkcs8_der(pkcs8.as_ref())
    }

    /// The key `seed` makes: the same seed, the same key (and kid).
    pub fn from_seed(seed: Seed) -> Result<Self, JoseError> {
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut seed.rng());
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Self::from_pkcs8_der(der.as_bytes())
    }

    /// A P-256 key from PKCS#8 DER; the inner ECPrivateKey must carry its
    /// public key, as OpenSSL, Go and ring all write it.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, JoseError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Ok(EcP256Key {
            pair,
            pkcs8: der.to_vec(),
            rng,
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

    pub fn public(&self) -> EcP256PublicKey {
        EcP256PublicKey {
            point: self.pair.public_key().as_ref().to_vec(),
        }
    }
}

impl SigningKey for EcP256Key {
    fn algorithm(&self) -> &'static str {
        "ES256"
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, JoseError> {
        self.pair
            .sign(&self.rng, signing_input)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| JoseError::Key(e.to_string()))
    }
}

/// The uncompressed public point (`0x04 || x || y`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcP256PublicKey {
    point: Vec<u8>,
}

impl EcP256PublicKey {
    /// A public key from a JWK's `kty`, `crv`, `x` and `y`; other members are
    /// ignored. Whether the point is on the curve is left to verification.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JoseError> {
        jwk::expect(jwk, "kty", "EC")?;
        jwk::expect(jwk, "crv", "P-256")?;
        let x = jwk::bytes(jwk, "x", Some(COORDINATE_LEN))?;
        let y = jwk::bytes(jwk, "y", Some(COORDINATE_LEN))?;
        let mut point = Vec::with_capacity(1 + 2 * COORDINATE_LEN);
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        Ok(EcP256PublicKey { point })
    }

    /// The RFC 7638 required members, in their canonical (sorted) order.
    pub(crate) fn jwk_members(&self) -> Vec<(&'static str, String)> {
        vec![
            ("crv", "P-256".to_owned()),
            ("kty", "EC".to_owned()),
            ("x", b64url(&self.point[1..1 + COORDINATE_LEN])),
            ("y", b64url(&self.point[1 + COORDINATE_LEN..])),
        ]
    }

    /// The public key as a bare JWK: `kty`, `crv`, `x`, `y` (RFC 7518 6.2.1).
    pub fn public_jwk(&self) -> Value {
        jwk::public(&self.jwk_members())
    }

    /// The public key as a JWK Set entry, with `kid`, `use` and `alg`.
    pub fn jwk(&self, kid: &str) -> Value {
        jwk::set_entry(&self.jwk_members(), kid, "ES256")
    }

    /// DER SubjectPublicKeyInfo, what Go's `x509.MarshalPKIXPublicKey` writes.
    pub fn spki_der(&self) -> Vec<u8> {
        [&SPKI_PREFIX[..], &self.point].concat()
    }
}

impl VerifyingKey for EcP256PublicKey {
    fn algorithm(&self) -> &'static str {
        "ES256"
    }

    fn verify(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.point)
            .verify(signing_input, signature)
            .map_err(|_| JoseError::BadSignature)
    }
}
