//! JSON Web Signatures in compact form, written from RFC 7515/7518: what the
//! mock cloud signs (Entra ID access tokens, Kubernetes service-account
//! tokens) and what it verifies (federated client assertions). The token
//! server of the registry-auth scenarios builds on the same pieces: its keys
//! (`AnyKey`: RS256, ES256, EdDSA) and the key IDs registries match them by.

mod certificate;
mod ed25519;
mod es256;
mod jwk;
mod keyid;
mod keys;
mod pkcs8;
mod rs256;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{Map, Value};

pub use certificate::public_keys_from_pem;
pub use ed25519::{Ed25519Key, Ed25519PublicKey};
pub use es256::{EcP256Key, EcP256PublicKey};
pub use keyid::{jwk_thumbprint, libtrust_key_id};
pub use keys::{AnyKey, AnyPublicKey, KeyKind};
pub use rs256::{RsaKey, RsaPublicKey, RSA_MODULUS_BITS};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JoseError {
    #[error("not a compact JWS: {0}")]
    Malformed(&'static str),
    #[error("the JWS {part} is not base64url JSON")]
    BadEncoding { part: &'static str },
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("cannot create a key: {0}")]
    Key(String),
    #[error("the PEM holds no PKCS#8 `PRIVATE KEY` block: {0}")]
    Pkcs8Pem(String),
    #[error("the key algorithm {0} is none of RSA, EC P-256 or Ed25519")]
    UnsupportedKey(String),
    #[error("unsupported JWK key type {0:?}")]
    UnsupportedJwk(String),
    #[error("the JWK has no string member `{0}`")]
    JwkMember(&'static str),
    #[error("the JWK member `{member}` is not {expected}")]
    JwkValue {
        member: &'static str,
        expected: &'static str,
    },
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// A compact JWS split into its parts; nothing verified yet.
#[derive(Debug, Clone)]
pub struct CompactJws {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl CompactJws {
    pub fn parse(token: &str) -> Result<Self, JoseError> {
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JoseError::Malformed("expected three dot-separated parts"));
        };
        let header = decode_object(h, "header")?;
        let claims = decode_object(c, "payload")?;
        let signature = b64url_decode(s).ok_or(JoseError::BadEncoding { part: "signature" })?;
        Ok(CompactJws {
            header,
            claims,
            signing_input: format!("{h}.{c}"),
            signature,
        })
    }

    pub fn algorithm(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    pub fn key_id(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// Verifies with `key`; the header's `alg` must be the key's.
    pub fn verify(&self, key: &impl VerifyingKey) -> Result<(), JoseError> {
        let alg = self.algorithm().unwrap_or("");
        if alg != key.algorithm() {
            return Err(JoseError::UnsupportedAlgorithm(alg.to_string()));
        }
        key.verify(self.signing_input.as_bytes(), &self.signature)
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }

    /// `aud` as a list, whether the token wrote a string or an array.
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

fn decode_object(part: &str, name: &'static str) -> Result<Map<String, Value>, JoseError> {
    let bytes = b64url_decode(part).ok_or(JoseError::BadEncoding { part: name })?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JoseError::BadEncoding { part: name }),
    }
}

pub trait SigningKey {
    /// The JWS `alg` this key signs with.
    fn algorithm(&self) -> &'static str;
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, JoseError>;
}

pub trait VerifyingKey {
    fn algorithm(&self) -> &'static str;
    fn verify(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), JoseError>;
}

/// Signs `claims` with `key`; `extra_header` (such as `kid`, `typ`) joins `alg`.
pub fn sign(
    key: &impl SigningKey,
    extra_header: Map<String, Value>,
    claims: &Value,
) -> Result<String, JoseError> {
    let mut header = Map::new();
    header.insert("alg".into(), key.algorithm().into());
    header.extend(extra_header);
    let input = format!(
        "{}.{}",
        b64url(Value::Object(header).to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = key.sign(input.as_bytes())?;
    Ok(format!("{input}.{}", b64url(&signature)))
}

/// `{"kid": kid, "typ": "JWT"}`, the header most issuers write.
pub fn jwt_header(kid: &str) -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("typ".into(), "JWT".into());
    header.insert("kid".into(), kid.into());
    header
}

/// The JWS `x5c` header value (RFC 7515 4.1.6): the chain leaf first, each
/// certificate DER in standard base64 with padding, not base64url.
pub fn x5c(chain_der: &[&[u8]]) -> Value {
    chain_der
        .iter()
        .map(|cert| Value::String(STANDARD.encode(cert)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signs_and_verifies_round_trip() {
        let key = EcP256Key::generate().unwrap();
        let token = sign(
            &key,
            jwt_header("k1"),
            &json!({"sub": "x", "aud": ["a", "b"]}),
        )
        .unwrap();
        let jws = CompactJws::parse(&token).unwrap();
        assert_eq!(jws.algorithm(), Some("ES256"));
        assert_eq!(jws.key_id(), Some("k1"));
        assert_eq!(jws.audiences(), vec!["a", "b"]);
        jws.verify(&key.public()).unwrap();
    }

    #[test]
    fn another_key_or_a_changed_payload_does_not_verify() {
        let key = EcP256Key::generate().unwrap();
        let other = EcP256Key::generate().unwrap();
        let token = sign(&key, Map::new(), &json!({"sub": "x"})).unwrap();
        let jws = CompactJws::parse(&token).unwrap();
        assert_eq!(jws.verify(&other.public()), Err(JoseError::BadSignature));

        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = b64url(br#"{"sub":"y"}"#);
        parts[1] = &forged;
        let forged = CompactJws::parse(&parts.join(".")).unwrap();
        assert_eq!(forged.verify(&key.public()), Err(JoseError::BadSignature));
    }

    #[test]
    fn malformed_tokens_are_errors() {
        assert!(CompactJws::parse("a.b").is_err());
        assert!(CompactJws::parse("a.b.c.d").is_err());
        assert!(CompactJws::parse("!!.e30.").is_err());
    }
}
