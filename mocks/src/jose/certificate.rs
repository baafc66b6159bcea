//! Public keys out of PEM files: X.509 certificates (what a registry's
//! `rootcertbundle` holds) and bare SubjectPublicKeyInfo blocks, as JWK-ready
//! keys. Used to migrate a 2.8 trust configuration to a 3.x JWKS.

use serde_json::{json, Value};
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::{b64url, AnyPublicKey, JoseError};

const ED25519_OID: &str = "1.3.101.112";

/// Every key in `pem_text`: one per `CERTIFICATE` or `PUBLIC KEY` block, in order.
pub fn public_keys_from_pem(pem_text: &str) -> Result<Vec<AnyPublicKey>, JoseError> {
    let mut keys = Vec::new();
    for block in Pem::iter_from_buffer(pem_text.as_bytes()) {
        let block = block.map_err(|e| JoseError::UnsupportedKey(format!("not PEM: {e}")))?;
        match block.label.as_str() {
            "CERTIFICATE" => {
                let cert = block.parse_x509().map_err(|e| {
                    JoseError::UnsupportedKey(format!("not an X.509 certificate: {e}"))
                })?;
                keys.push(from_spki(cert.public_key())?);
            }
            "PUBLIC KEY" => {
                let (_, spki) = SubjectPublicKeyInfo::from_der(&block.contents)
                    .map_err(|e| JoseError::UnsupportedKey(format!("not a public key: {e}")))?;
                keys.push(from_spki(&spki)?);
            }
            _ => {}
        }
    }
    if keys.is_empty() {
        return Err(JoseError::UnsupportedKey(
            "no CERTIFICATE or PUBLIC KEY block found".into(),
        ));
    }
    Ok(keys)
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[first..]
}

fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<AnyPublicKey, JoseError> {
    if spki.algorithm.algorithm.to_id_string() == ED25519_OID {
        let raw = spki.subject_public_key.data.as_ref();
        return AnyPublicKey::from_jwk(&json!({"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}));
    }
    let jwk: Value = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => json!({
            "kty": "RSA",
            "n": b64url(strip_leading_zeros(rsa.modulus)),
            "e": b64url(strip_leading_zeros(rsa.exponent)),
        }),
        Ok(PublicKey::EC(point)) => {
            let data = point.data();
            if data.len() != 65 || data[0] != 4 {
                return Err(JoseError::UnsupportedKey(
                    "only uncompressed P-256 EC keys are supported".into(),
                ));
            }
            json!({"kty": "EC", "crv": "P-256", "x": b64url(&data[1..33]), "y": b64url(&data[33..65])})
        }
        Ok(_) | Err(_) => {
            return Err(JoseError::UnsupportedKey(format!(
                "public key algorithm {} is not RSA, EC P-256 or Ed25519",
                spki.algorithm.algorithm.to_id_string()
            )))
        }
    };
    AnyPublicKey::from_jwk(&jwk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{AnyKey, KeyKind};
    use crate::pki::CertificateAuthority;

    #[test]
    fn a_certified_key_comes_back_with_the_same_ids() {
        let ca = CertificateAuthority::generate("t").unwrap();
        for kind in [KeyKind::Es256, KeyKind::EdDsa, KeyKind::Rs256] {
            let key = AnyKey::generate(kind).unwrap();
            let cert = ca.issue_for_key("signer", &key.pkcs8_pem()).unwrap();
            let bundle = format!("{}{}", cert.cert_pem, ca.cert_pem());
            let keys = public_keys_from_pem(&bundle).unwrap();
            assert_eq!(keys.len(), 2);
            assert_eq!(keys[0].libtrust_key_id(), key.public().libtrust_key_id());
            assert_eq!(keys[0].jwk_thumbprint(), key.public().jwk_thumbprint());
        }
        assert!(public_keys_from_pem("no pem here").is_err());
    }
}
