//! Trust migration from 2.8 to 3.x: 2.8 trusted every `rootcertbundle`
//! certificate's key under its libtrust key ID; 3.x trusts keys by the `kid`
//! a JWKS gives them. `jwks_from_certificates` writes the JWKS that makes an
//! unchanged token server's tokens verify on 3.x.

use regmatrix_mocks::jose::{public_keys_from_pem, AnyPublicKey, JoseError};
use serde_json::{json, Value};

/// Which `kid` each key gets in the JWKS: the one the token server writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KidForm {
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

fn entries(key: &AnyPublicKey, form: KidForm) -> Vec<Value> {
    let libtrust = || key.jwk(&key.libtrust_key_id());
    let thumbprint = || key.jwk(&key.jwk_thumbprint());
    match form {
        KidForm::Libtrust => vec![libtrust()],
        KidForm::Thumbprint => vec![thumbprint()],
        KidForm::Both => vec![libtrust(), thumbprint()],
    }
}

/// A JWKS (`{"keys": [...]}`) for every certificate or public key in the
/// named PEM texts, each `(file name, contents)`.
pub fn jwks_from_certificates(
    pems: &[(String, String)],
    form: KidForm,
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
        let jwks = jwks_from_certificates(&pems, KidForm::Both).unwrap();
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
        let err = jwks_from_certificates(&bad, KidForm::Libtrust).unwrap_err();
        assert!(err.to_string().starts_with("x.pem: "), "{err}");
    }
}
