//! Access tokens as Entra ID issues them for Azure Storage (v1.0 tokens:
//! `iss` is `https://sts.windows.net/<tenant>/`), which is also what
//! Azurite's `--oauth basic` accepts: it checks `iss`, `aud`, `nbf`, `exp`
//! and `iat` but not the signature. The mock signs them anyway, with the
//! plane's key, published at the tenant's `keys` endpoint.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use super::directory::new_guid;
use super::IdentityPlane;
use crate::jose::{self, JoseError};

/// The claims of one access token.
#[derive(Debug, Clone, Serialize)]
pub struct AccessTokenClaims {
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    /// The client (application) id the token was issued to.
    pub appid: String,
    /// `1`: client secret; `2`: certificate or client assertion; `0`: managed identity.
    pub appidacr: String,
    pub oid: String,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: &'static str,
}

/// A signed token and what the endpoints report about it.
pub(crate) struct IssuedToken {
    pub jwt: String,
    pub expires_in: u64,
    pub expires_on: u64,
    pub not_before: u64,
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// The audience a `scope` (`https://storage.azure.com/.default`) or
/// `resource` (`https://storage.azure.com`) asks for.
pub(crate) fn audience_of(scope_or_resource: &str) -> String {
    let first = scope_or_resource
        .split_whitespace()
        .next()
        .unwrap_or_default();
    first.strip_suffix("/.default").unwrap_or(first).to_string()
}

impl IdentityPlane {
    pub(crate) fn issue_access_token(
        &self,
        audience: &str,
        client_id: &str,
        appidacr: &str,
    ) -> Result<IssuedToken, JoseError> {
        let now = unix_now();
        let lifetime = self.token_lifetime().as_secs().max(1);
        let tenant = self.tenant_id();
        // Entra ID backdates nbf/iat by five minutes to absorb clock skew.
        let claims = AccessTokenClaims {
            aud: audience.to_string(),
            iss: format!("https://sts.windows.net/{tenant}/"),
            iat: now.saturating_sub(300),
            nbf: now.saturating_sub(300),
            exp: now + lifetime,
            appid: client_id.to_string(),
            appidacr: appidacr.to_string(),
            oid: new_guid(),
            sub: new_guid(),
            tid: tenant.to_string(),
            uti: hex::encode(rand::random::<[u8; 12]>()),
            ver: "1.0",
        };
        let claims = serde_json::to_value(&claims).unwrap_or(Value::Null);
        let jwt = jose::sign(
            &self.signing_key,
            jose::jwt_header(&self.signing_kid),
            &claims,
        )?;
        Ok(IssuedToken {
            jwt,
            expires_in: lifetime,
            expires_on: now + lifetime,
            not_before: now.saturating_sub(300),
        })
    }

    /// Checks an access token this plane issued: signature, issuer, and
    /// that it is current. Returns its claims.
    pub fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<serde_json::Map<String, Value>, String> {
        let jws = jose::CompactJws::parse(token).map_err(|e| e.to_string())?;
        jws.verify(&self.signing_key.public())
            .map_err(|e| format!("not issued by this tenant: {e}"))?;
        let issuer = format!("https://sts.windows.net/{}/", self.tenant_id());
        if jws.claim_str("iss") != Some(issuer.as_str()) {
            return Err(format!("issuer is not {issuer}"));
        }
        if jws.claim_i64("exp").unwrap_or(0) <= unix_now() as i64 {
            return Err("the access token has expired".into());
        }
        Ok(jws.claims)
    }

    /// The tenant's signing keys as a JWKS.
    pub fn jwks(&self) -> Value {
        serde_json::json!({ "keys": [self.signing_key.public().jwk(&self.signing_kid)] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_from_scope_or_resource() {
        assert_eq!(
            audience_of("https://storage.azure.com/.default"),
            "https://storage.azure.com"
        );
        assert_eq!(
            audience_of("https://storage.azure.com/.default openid offline_access"),
            "https://storage.azure.com"
        );
        assert_eq!(
            audience_of("https://storage.azure.com"),
            "https://storage.azure.com"
        );
    }
}
