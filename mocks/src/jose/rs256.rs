//! RSASSA-PKCS1-v1_5 with SHA-256 (`RS256`, RFC 7518 3.3), the algorithm
//! every registry token verifier accepts. The `rsa` crate only generates keys
//! (ring cannot); ring signs and verifies, so no signing goes through the
//! `rsa` crate's variable-time arithmetic.

use rand::rngs::OsRng;
use ring::rand::SystemRandom;
use ring::signature::{
    RsaKeyPair, RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};
use rsa::pkcs1::der::asn1::{AnyRef, BitStringRef};
use rsa::pkcs1::der::Encode;
use rsa::pkcs1::UintRef;
use rsa::pkcs8::{AlgorithmIdentifierRef, EncodePrivateKey, SubjectPublicKeyInfoRef};
use serde_json::Value;

use super::{b64url, jwk, pkcs8, JoseError, SigningKey, VerifyingKey};
use crate::seed::Seed;

/// The modulus size of generated keys: the smallest ring signs with, and what
/// token servers in the wild use.
pub const RSA_MODULUS_BITS: usize = 2048;

pub struct RsaKey {
    pair: RsaKeyPair,
    /// Kept because ring cannot serialize a parsed key back out.
    pkcs8: Vec<u8>,
    /// Built on import, so that `public()` cannot fail later.
    public: RsaPublicKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaKey").finish_non_exhaustive()
    }
}

impl RsaKey {
    /// A fresh 2048-bit key with e = 65537.
    pub fn generate() -> Result<Self, JoseError> {
        Self::from_private(rsa::RsaPrivateKey::new(&mut OsRng, RSA_MODULUS_BITS))
    }

    /// The key `seed` makes: the same seed, the same key (and kid).
    pub fn from_seed(seed: Seed) -> Result<Self, JoseError> {
        Self::from_private(rsa::RsaPrivateKey::new(&mut seed.rng(), RSA_MODULUS_BITS))
    }

    fn from_private(key: rsa::Result<rsa::RsaPrivateKey>) -> Result<Self, JoseError> {
        let key = key.map_err(|e| JoseError::Key(e.to_string()))?;
        let der = key
            .to_pkcs8_der()
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Self::from_pkcs8_der(der.as_bytes())
    }

    /// An RSA key (2048 to 8192 bits) from PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, JoseError> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| JoseError::Key(e.to_string()))?;
        let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
        let public = RsaPublicKey::new(&components.n, &components.e)?;
        Ok(RsaKey {
            pair,
            pkcs8: der.to_vec(),
            public,
            rng: SystemRandom::new(),
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

    pub fn public(&self) -> RsaPublicKey {
        self.public.clone()
    }
}

impl SigningKey for RsaKey {
    fn algorithm(&self) -> &'static str {
        "RS256"
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, JoseError> {
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, signing_input, &mut signature)
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Ok(signature)
    }
}

/// Modulus and exponent as unsigned big-endian integers without leading zeros
/// (JWK's Base64urlUInt), with the SubjectPublicKeyInfo built once from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
    spki: Vec<u8>,
}

impl RsaPublicKey {
    fn new(n: &[u8], e: &[u8]) -> Result<Self, JoseError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let spki = spki_der(n, e)?;
        Ok(RsaPublicKey {
            n: n.to_vec(),
            e: e.to_vec(),
            spki,
        })
    }

    /// A public key from a JWK's `kty`, `n` and `e`; other members are
    /// ignored. Whether the modulus is large enough is left to verification.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JoseError> {
        jwk::expect(jwk, "kty", "RSA")?;
        Self::new(&jwk::bytes(jwk, "n", None)?, &jwk::bytes(jwk, "e", None)?)
    }

    /// The RFC 7638 required members, in their canonical (sorted) order.
    pub(crate) fn jwk_members(&self) -> Vec<(&'static str, String)> {
        vec![
            ("e", b64url(&self.e)),
            ("kty", "RSA".to_owned()),
            ("n", b64url(&self.n)),
        ]
    }

    /// The public key as a bare JWK: `kty`, `n`, `e` (RFC 7518 6.3.1).
    pub fn public_jwk(&self) -> Value {
        jwk::public(&self.jwk_members())
    }

    /// The public key as a JWK Set entry, with `kid`, `use` and `alg`.
    pub fn jwk(&self, kid: &str) -> Value {
        jwk::set_entry(&self.jwk_members(), kid, "RS256")
    }

    /// DER SubjectPublicKeyInfo, what Go's `x509.MarshalPKIXPublicKey` writes.
    pub fn spki_der(&self) -> Vec<u8> {
        self.spki.clone()
    }
}

impl VerifyingKey for RsaPublicKey {
    fn algorithm(&self) -> &'static str {
        "RS256"
    }

    fn verify(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signing_input, signature)
        .map_err(|_| JoseError::BadSignature)
    }
}

fn strip_leading_zeros(mut bytes: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

/// SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { RSAPublicKey } }:
/// the NULL parameters are what Go, OpenSSL and Python write, and the key ID
/// hashes these exact bytes.
fn spki_der(n: &[u8], e: &[u8]) -> Result<Vec<u8>, JoseError> {
    let der_error = |e: rsa::pkcs1::der::Error| JoseError::Key(format!("RSA public key DER: {e}"));
    let rsa_public_key = rsa::pkcs1::RsaPublicKey {
        modulus: UintRef::new(n).map_err(der_error)?,
        public_exponent: UintRef::new(e).map_err(der_error)?,
    }
    .to_der()
    .map_err(der_error)?;
    SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid: rsa::pkcs1::ALGORITHM_OID,
            parameters: Some(AnyRef::NULL),
        },
        subject_public_key: BitStringRef::from_bytes(&rsa_public_key).map_err(der_error)?,
    }
    .to_der()
    .map_err(der_error)
}
