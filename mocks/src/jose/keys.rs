//! One type over the token-signing keys a registry token server may use
//! (RS256, ES256, EdDSA), so a scenario can name the kind and get a key,
//! whatever its algorithm. Kind dispatch only: each algorithm lives in its
//! own module.

use rsa::pkcs8::{ObjectIdentifier, PrivateKeyInfo};
use serde_json::Value;

use super::{
    jwk, keyid, pkcs8, EcP256Key, EcP256PublicKey, Ed25519Key, Ed25519PublicKey, JoseError, RsaKey,
    RsaPublicKey, SigningKey, VerifyingKey,
};

use crate::seed::Seed;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The signing algorithms a token server can be configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA 2048, RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl KeyKind {
    pub const ALL: [KeyKind; 3] = [KeyKind::Rs256, KeyKind::Es256, KeyKind::EdDsa];

    /// The JWS `alg` of keys of this kind.
    pub fn algorithm(self) -> &'static str {
        match self {
            KeyKind::Rs256 => "RS256",
            KeyKind::Es256 => "ES256",
            KeyKind::EdDsa => "EdDSA",
        }
    }
}

#[derive(Debug)]
pub enum AnyKey {
    Rsa(RsaKey),
    Ec(EcP256Key),
    Ed25519(Ed25519Key),
}

impl AnyKey {
    pub fn generate(kind: KeyKind) -> Result<Self, JoseError> {
        Ok(match kind {
            KeyKind::Rs256 => AnyKey::Rsa(RsaKey::generate()?),
            KeyKind::Es256 => AnyKey::Ec(EcP256Key::generate()?),
            KeyKind::EdDsa => AnyKey::Ed25519(Ed25519Key::generate()?),
        })
    }

    /// The key of `kind` that `seed` makes: rerunning with the seed gives
    /// the same key, so a kid derived from its bytes is the same too.
    pub fn from_seed(kind: KeyKind, seed: Seed) -> Result<Self, JoseError> {
        Ok(match kind {
            KeyKind::Rs256 => AnyKey::Rsa(RsaKey::from_seed(seed)?),
            KeyKind::Es256 => AnyKey::Ec(EcP256Key::from_seed(seed)?),
            KeyKind::EdDsa => AnyKey::Ed25519(Ed25519Key::from_seed(seed)?),
        })
    }

    /// A key from PKCS#8 DER, its kind taken from the algorithm identifier.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, JoseError> {
        let info = PrivateKeyInfo::try_from(der)
            .map_err(|e| JoseError::Key(format!("not PKCS#8 DER: {e}")))?;
        let algorithm = info.algorithm;
        match algorithm.oid {
            RSA_ENCRYPTION => Ok(AnyKey::Rsa(RsaKey::from_pkcs8_der(der)?)),
            EC_PUBLIC_KEY if algorithm.parameters_oid().ok() == Some(PRIME256V1) => {
                Ok(AnyKey::Ec(EcP256Key::from_pkcs8_der(der)?))
            }
            ED25519 => Ok(AnyKey::Ed25519(Ed25519Key::from_pkcs8_der(der)?)),
            _ => Err(JoseError::UnsupportedKey(
                match algorithm.parameters_oid() {
                    Ok(curve) => format!("{} ({curve})", algorithm.oid),
                    Err(_) => algorithm.oid.to_string(),
                },
            )),
        }
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, JoseError> {
        Self::from_pkcs8_der(&pkcs8::from_pem(pem)?)
    }

    pub fn kind(&self) -> KeyKind {
        match self {
            AnyKey::Rsa(_) => KeyKind::Rs256,
            AnyKey::Ec(_) => KeyKind::Es256,
            AnyKey::Ed25519(_) => KeyKind::EdDsa,
        }
    }

    pub fn public(&self) -> AnyPublicKey {
        match self {
            AnyKey::Rsa(key) => AnyPublicKey::Rsa(key.public()),
            AnyKey::Ec(key) => AnyPublicKey::Ec(key.public()),
            AnyKey::Ed25519(key) => AnyPublicKey::Ed25519(key.public()),
        }
    }

    pub fn pkcs8_der(&self) -> &[u8] {
        match self {
            AnyKey::Rsa(key) => key.pkcs8_der(),
            AnyKey::Ec(key) => key.pkcs8_der(),
            AnyKey::Ed25519(key) => key.pkcs8_der(),
        }
    }

    /// The private key as PKCS#8 PEM, what rcgen needs to certify it.
    pub fn pkcs8_pem(&self) -> String {
        pkcs8::to_pem(self.pkcs8_der())
    }
}

impl SigningKey for AnyKey {
    fn algorithm(&self) -> &'static str {
        self.kind().algorithm()
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, JoseError> {
        match self {
            AnyKey::Rsa(key) => key.sign(signing_input),
            AnyKey::Ec(key) => key.sign(signing_input),
            AnyKey::Ed25519(key) => key.sign(signing_input),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyPublicKey {
    Rsa(RsaPublicKey),
    Ec(EcP256PublicKey),
    Ed25519(Ed25519PublicKey),
}

impl AnyPublicKey {
    /// A public key from a JWK (a JWK Set entry, say), by its `kty`.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JoseError> {
        match jwk::member(jwk, "kty")? {
            "RSA" => Ok(AnyPublicKey::Rsa(RsaPublicKey::from_jwk(jwk)?)),
            "EC" => Ok(AnyPublicKey::Ec(EcP256PublicKey::from_jwk(jwk)?)),
            "OKP" => Ok(AnyPublicKey::Ed25519(Ed25519PublicKey::from_jwk(jwk)?)),
            other => Err(JoseError::UnsupportedJwk(other.to_owned())),
        }
    }

    pub fn kind(&self) -> KeyKind {
        match self {
            AnyPublicKey::Rsa(_) => KeyKind::Rs256,
            AnyPublicKey::Ec(_) => KeyKind::Es256,
            AnyPublicKey::Ed25519(_) => KeyKind::EdDsa,
        }
    }

    fn jwk_members(&self) -> Vec<(&'static str, String)> {
        match self {
            AnyPublicKey::Rsa(key) => key.jwk_members(),
            AnyPublicKey::Ec(key) => key.jwk_members(),
            AnyPublicKey::Ed25519(key) => key.jwk_members(),
        }
    }

    /// The bare public JWK: exactly the members RFC 7518/8037 define for the
    /// key type.
    pub fn public_jwk(&self) -> Value {
        jwk::public(&self.jwk_members())
    }

    /// The public key as a JWK Set entry, with `kid`, `use` and `alg`.
    pub fn jwk(&self, kid: &str) -> Value {
        jwk::set_entry(&self.jwk_members(), kid, self.kind().algorithm())
    }

    /// DER SubjectPublicKeyInfo, what Go's `x509.MarshalPKIXPublicKey` writes.
    pub fn spki_der(&self) -> Vec<u8> {
        match self {
            AnyPublicKey::Rsa(key) => key.spki_der(),
            AnyPublicKey::Ec(key) => key.spki_der(),
            AnyPublicKey::Ed25519(key) => key.spki_der(),
        }
    }

    /// The `kid` distribution 2.8 derives for this key from a
    /// `rootcertbundle` certificate.
    pub fn libtrust_key_id(&self) -> String {
        keyid::libtrust_key_id(&self.spki_der())
    }

    /// The RFC 7638 thumbprint, a common `kid` for JWK Sets.
    pub fn jwk_thumbprint(&self) -> String {
        keyid::thumbprint_of_members(&self.jwk_members())
    }
}

impl VerifyingKey for AnyPublicKey {
    fn algorithm(&self) -> &'static str {
        self.kind().algorithm()
    }

    fn verify(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        match self {
            AnyPublicKey::Rsa(key) => key.verify(signing_input, signature),
            AnyPublicKey::Ec(key) => key.verify(signing_input, signature),
            AnyPublicKey::Ed25519(key) => key.verify(signing_input, signature),
        }
    }
}
