//! Trust migration from 2.8 to 3.x: 2.8 trusted every `rootcertbundle`
//! certificate's key under its libtrust key ID; 3.x trusts keys by the `kid`
//! a JWKS gives them. `jwks_from_certificates` writes the JWKS that makes an
//! unchanged token server's tokens verify on 3.x.

use regmatrix_mocks::jose::{public_keys_from_pem, AnyPublicKey, JoseError};
use serde_json::{json, Value};

use crate::kid::KidForm;

/// Which kids each key gets in the JWKS: the form the token server writes,
/// or both when unsure. Not `KidForm` itself: a JWKS entry needs a kid
/// derived from the key, which `arbitrary` and `none` are not, and `both`
/// is a choice of entries rather than a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JwksKids {
    /// libtrust key ID (`ABCD:EFGH:...`), what 2.8-era token servers put in `kid`.
    Libtrust,
    /// RFC 7638 JWK thumbprint.
    Thumbprint,
    /// Both: one entry per key and form.
    Both,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{file}: {source}")]
    Key {
        file: String,
        #[source]
        source: JoseError,
    },
}

impl JwksKids {
    pub fn forms(self) -> &'static [KidForm] {
        match self {
            JwksKids::Libtrust => &[KidForm::Libtrust],
            JwksKids::Thumbprint => &[KidForm::Thumbprint],
            JwksKids::Both => &[KidForm::Libtrust, KidForm::Thumbprint],
        }
    }
}

fn entries(key: &AnyPublicKey, kids: JwksKids) -> Vec<Value> {
    kids.forms()
        .iter()
        .filter_map(|form| match form {
            KidForm::Libtrust => Some(key.jwk(&key.libtrust_key_id())),
            KidForm::Thumbprint => Some(key.jwk(&key.jwk_thumbprint())),
            KidForm::Arbitrary | KidForm::None => None,
        })
        .collect()
}

/// A JWKS (`{"keys": [...]}`) for every certificate or public key in the
/// named PEM texts, each `(file name, contents)`.
pub fn jwks_from_certificates(
    pems: &[(String, String)],
    form: JwksKids,
) -> Result<Value, MigrateError> {
    let mut keys = Vec::new();
    for (file, text) in pems {
        let found = public_keys_from_pem(text).map_err(|source| MigrateError::Key {
            file: file.clone(),
            source,
        })?;
        for key in &found {
            keys.extend(entries(key, form));
        }
    }
    Ok(json!({ "keys": keys }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use regmatrix_mocks::jose::{AnyKey, KeyKind};
    use regmatrix_mocks::pki::CertificateAuthority;

    #[test]
    fn kids_are_what_the_token_server_writes() {
        let ca = CertificateAuthority::generate("t").unwrap();
        let key = AnyKey::generate(KeyKind::Es256).unwrap();
        let cert = ca.issue_for_key("signer", &key.pkcs8_pem()).unwrap();
        let pems = vec![("bundle.pem".to_string(), cert.cert_pem.clone())];
        let jwks = jwks_from_certificates(&pems, JwksKids::Both).unwrap();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        let public = key.public();
        assert_eq!(
            kids,
            vec![
                public.libtrust_key_id().as_str(),
                public.jwk_thumbprint().as_str()
            ]
        );
        assert_eq!(jwks["keys"][0]["kty"], "EC");
        let bad = vec![("x.pem".to_string(), "nothing".to_string())];
        let err = jwks_from_certificates(&bad, JwksKids::Libtrust).unwrap_err();
        assert!(err.to_string().starts_with("x.pem: "), "{err}");
    }
}
