//! Registry bearer tokens as the distribution token spec describes them: a
//! JWS whose claims are `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti` and
//! `access`. The profile decides the claims' shape (one audience or a list,
//! a validity window in the past or future, a wrong issuer or service); the
//! signer decides the header and signature, including the forgeries a
//! registry must reject.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use super::scope::GrantedAccess;
use crate::jose::{b64url, JoseError, SigningKey};

/// `aud` as one string (what the spec shows) or as a list (what RFC 7519 allows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Single(String),
    List(Vec<String>),
}

/// When the token is valid, relative to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Validity {
    #[default]
    Current,
    /// Expired an hour ago (beyond any leeway).
    Expired,
    /// Valid from an hour from now.
    NotYetValid,
}

#[derive(Debug, Clone)]
pub struct TokenProfile {
    pub issuer: String,
    pub audience: Audience,
    pub lifetime: Duration,
    pub validity: Validity,
}

/// How the signature is made.
#[derive(Clone)]
pub enum Signature {
    /// With the signer's key and its algorithm.
    Key(Arc<dyn SigningKey + Send + Sync>),
    /// `alg: none` and an empty signature.
    Unsigned,
    /// `alg: HS256` with these bytes as the HMAC secret: the classic attack
    /// uses the trusted public key's PEM, hoping the verifier confuses the two.
    Hmac(Vec<u8>),
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signature::Key(key) => write!(f, "Key({})", key.algorithm()),
            Signature::Unsigned => f.write_str("Unsigned"),
            Signature::Hmac(_) => f.write_str("Hmac(..)"),
        }
    }
}

/// The header members besides `alg` (`kid`, `x5c`, `jwk`, `typ`) and the signature.
#[derive(Debug, Clone)]
pub struct TokenSigner {
    pub header: Map<String, Value>,
    pub signature: Signature,
}

impl TokenSigner {
    fn algorithm(&self) -> &'static str {
        match &self.signature {
            Signature::Key(key) => key.algorithm(),
            Signature::Unsigned => "none",
            Signature::Hmac(_) => "HS256",
        }
    }

    fn sign(&self, input: &[u8]) -> Result<Vec<u8>, JoseError> {
        match &self.signature {
            Signature::Key(key) => key.sign(input),
            Signature::Unsigned => Ok(Vec::new()),
            Signature::Hmac(secret) => {
                let mut mac = Hmac::<Sha256>::new_from_slice(secret)
                    .map_err(|e| JoseError::Key(e.to_string()))?;
                mac.update(input);
                Ok(mac.finalize().into_bytes().to_vec())
            }
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// A signed token and its `expires_in`/`issued_at` for the response.
pub struct MintedToken {
    pub jwt: String,
    pub expires_in: u64,
    pub issued_at: String,
}

pub fn mint(
    profile: &TokenProfile,
    signer: &TokenSigner,
    subject: &str,
    access: &[GrantedAccess],
) -> Result<MintedToken, JoseError> {
    let now = unix_now();
    let lifetime = profile.lifetime.as_secs().max(1);
    let (nbf, exp) = match profile.validity {
        Validity::Current => (now.saturating_sub(5), now + lifetime),
        Validity::Expired => (now.saturating_sub(7200), now.saturating_sub(3600)),
        Validity::NotYetValid => (now + 3600, now + 3600 + lifetime),
    };
    let audience = match &profile.audience {
        Audience::Single(one) => Value::from(one.clone()),
        Audience::List(many) => Value::from(many.clone()),
    };
    let claims = json!({
        "iss": profile.issuer,
        "sub": subject,
        "aud": audience,
        "exp": exp,
        "nbf": nbf,
        "iat": nbf,
        "jti": hex::encode(rand::random::<[u8; 16]>()),
        "access": access,
    });
    let mut header = Map::new();
    header.insert("typ".into(), "JWT".into());
    header.insert("alg".into(), signer.algorithm().into());
    header.extend(signer.header.clone());
    let input = format!(
        "{}.{}",
        b64url(Value::Object(header).to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = signer.sign(input.as_bytes())?;
    let issued_at = time::OffsetDateTime::from_unix_timestamp(nbf as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    Ok(MintedToken {
        jwt: format!("{input}.{}", b64url(&signature)),
        expires_in: exp.saturating_sub(now),
        issued_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{CompactJws, EcP256Key};

    fn profile(validity: Validity, audience: Audience) -> TokenProfile {
        TokenProfile {
            issuer: "regmatrix-token-server".into(),
            audience,
            lifetime: Duration::from_secs(300),
            validity,
        }
    }

    #[test]
    fn claims_follow_the_profile() {
        let key = Arc::new(EcP256Key::generate().unwrap());
        let mut header = Map::new();
        header.insert("kid".into(), "K1".into());
        let signer = TokenSigner {
            header,
            signature: Signature::Key(key.clone()),
        };
        let access = vec![GrantedAccess {
            resource_type: "repository".into(),
            name: "a/b".into(),
            actions: vec!["pull".into()],
        }];
        let token = mint(
            &profile(
                Validity::Current,
                Audience::List(vec!["svc".into(), "other".into()]),
            ),
            &signer,
            "alice",
            &access,
        )
        .unwrap();
        let jws = CompactJws::parse(&token.jwt).unwrap();
        jws.verify(&key.public()).unwrap();
        assert_eq!(jws.key_id(), Some("K1"));
        assert_eq!(jws.audiences(), vec!["svc", "other"]);
        assert_eq!(jws.claims["access"][0]["actions"][0], "pull");

        let expired = mint(
            &profile(Validity::Expired, Audience::Single("svc".into())),
            &signer,
            "a",
            &[],
        )
        .unwrap();
        let jws = CompactJws::parse(&expired.jwt).unwrap();
        assert!(jws.claim_i64("exp").unwrap() < unix_now() as i64 - 3000);
    }

    #[test]
    fn forgeries_have_their_algorithms() {
        let unsigned = TokenSigner {
            header: Map::new(),
            signature: Signature::Unsigned,
        };
        let token = mint(
            &profile(Validity::Current, Audience::Single("s".into())),
            &unsigned,
            "x",
            &[],
        )
        .unwrap();
        assert!(token.jwt.ends_with('.'));
        assert_eq!(
            CompactJws::parse(&token.jwt).unwrap().algorithm(),
            Some("none")
        );
        let hmac = TokenSigner {
            header: Map::new(),
            signature: Signature::Hmac(b"-----BEGIN PUBLIC KEY-----".to_vec()),
        };
        let token = mint(
            &profile(Validity::Current, Audience::Single("s".into())),
            &hmac,
            "x",
            &[],
        )
        .unwrap();
        assert_eq!(
            CompactJws::parse(&token.jwt).unwrap().algorithm(),
            Some("HS256")
        );
    }
}
