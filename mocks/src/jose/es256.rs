//! ECDSA P-256 with SHA-256 (`ES256`): signatures in the fixed `r || s` form
//! JWS requires (RFC 7518 3.4), keys as PKCS#8 so they can be written out.

use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::{json, Value};

use super::{b64url, JoseError, SigningKey, VerifyingKey};

pub struct EcP256Key {
    pair: EcdsaKeyPair,
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
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Ok(EcP256Key { pair, rng })
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
    /// The public key as a JWK (RFC 7518 6.2.1), with `kid` and `use`.
    pub fn jwk(&self, kid: &str) -> Value {
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(&self.point[1..33]),
            "y": b64url(&self.point[33..65]),
            "kid": kid,
            "use": "sig",
            "alg": "ES256",
        })
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
