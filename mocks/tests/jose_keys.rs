//! The token server's signing keys (RS256, ES256, EdDSA) against vectors
//! computed by Python's `cryptography` (fixtures/make_key_vectors.py): PKCS#8
//! import, SubjectPublicKeyInfo, libtrust key IDs, JWKs and RFC 7638
//! thumbprints; sign/verify round trips; and certificate chains from the
//! harness CA that a registry's `rootcertbundle` accepts as `x5c`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use proptest::prelude::*;
use regmatrix_mocks::jose::{
    self, jwk_thumbprint, libtrust_key_id, AnyKey, AnyPublicKey, CompactJws, JoseError, KeyKind,
    SigningKey, VerifyingKey,
};
use regmatrix_mocks::pki::CertificateAuthority;
use rustls::pki_types::{CertificateDer, UnixTime};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Debug, Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Debug, Deserialize)]
struct Vector {
    name: String,
    kind: String,
    pkcs8_pem: Option<String>,
    spki_der_b64: String,
    libtrust_key_id: String,
    jwk: Value,
    jwk_thumbprint: String,
    published_jwk: Option<Value>,
}

impl Vector {
    fn spki_der(&self) -> Vec<u8> {
        STANDARD.decode(&self.spki_der_b64).unwrap()
    }

    /// The vector's private key, for vectors that have one.
    fn key(&self) -> Option<AnyKey> {
        let pem = self.pkcs8_pem.as_deref()?;
        let key = AnyKey::from_pkcs8_pem(pem)
            .unwrap_or_else(|e| panic!("{}: PKCS#8 import failed: {e}", self.name));
        Some(key)
    }
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("fixtures/key_vectors.json");
    let vectors: Vectors = serde_json::from_str(text).unwrap();
    vectors.vectors
}

const RFC7638_THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

#[test]
fn vectors_cover_every_kind_and_the_rfc_7638_example() {
    let vectors = vectors();
    for kind in KeyKind::ALL {
        let with_keys = vectors
            .iter()
            .filter(|v| v.kind == kind.algorithm() && v.pkcs8_pem.is_some())
            .count();
        assert!(with_keys >= 2, "{kind:?}: {with_keys} vectors with keys");
    }
    assert!(vectors
        .iter()
        .any(|v| v.jwk_thumbprint == RFC7638_THUMBPRINT));
}

#[test]
fn python_keys_import_with_the_same_spki_key_id_jwk_and_thumbprint() {
    for vector in vectors() {
        let Some(key) = vector.key() else { continue };
        let name = &vector.name;
        assert_eq!(key.kind().algorithm(), vector.kind, "{name}");
        assert_eq!(key.algorithm(), vector.kind, "{name}");
        let public = key.public();
        assert_eq!(public.spki_der(), vector.spki_der(), "{name}: SPKI DER");
        assert_eq!(public.libtrust_key_id(), vector.libtrust_key_id, "{name}");
        assert_eq!(
            libtrust_key_id(&vector.spki_der()),
            vector.libtrust_key_id,
            "{name}"
        );
        assert_eq!(public.public_jwk(), vector.jwk, "{name}: JWK members");
        assert_eq!(public.jwk_thumbprint(), vector.jwk_thumbprint, "{name}");
        assert_eq!(
            jwk_thumbprint(&vector.jwk).unwrap(),
            vector.jwk_thumbprint,
            "{name}"
        );
    }
}

#[test]
fn python_public_jwks_import_as_the_same_keys() {
    for vector in vectors() {
        let Some(key) = vector.key() else { continue };
        let from_jwk = AnyPublicKey::from_jwk(&vector.jwk).unwrap();
        assert_eq!(from_jwk, key.public(), "{}", vector.name);
    }
}

#[test]
fn the_rfc_7638_example_key_has_its_published_thumbprint() {
    let vector = vectors()
        .into_iter()
        .find(|v| v.name == "rfc7638-3.1")
        .unwrap();
    let published = vector.published_jwk.as_ref().unwrap();
    assert_eq!(jwk_thumbprint(published).unwrap(), RFC7638_THUMBPRINT);
    assert_eq!(jwk_thumbprint(&vector.jwk).unwrap(), RFC7638_THUMBPRINT);

    let key = AnyPublicKey::from_jwk(published).unwrap();
    assert_eq!(key.kind(), KeyKind::Rs256);
    assert_eq!(key.jwk_thumbprint(), RFC7638_THUMBPRINT);
    assert_eq!(key.public_jwk(), vector.jwk);
    assert_eq!(key.spki_der(), vector.spki_der());
    assert_eq!(key.libtrust_key_id(), vector.libtrust_key_id);
}

#[test]
fn pkcs8_pem_written_out_reads_back_as_the_same_key() {
    for vector in vectors() {
        let Some(key) = vector.key() else { continue };
        let again = AnyKey::from_pkcs8_pem(&key.pkcs8_pem()).unwrap();
        assert_eq!(again.public(), key.public(), "{}", vector.name);
    }
    for kind in KeyKind::ALL {
        let key = AnyKey::generate(kind).unwrap();
        let again = AnyKey::from_pkcs8_pem(&key.pkcs8_pem()).unwrap();
        assert_eq!(again.kind(), kind);
        assert_eq!(again.public(), key.public(), "{kind:?}");
    }
}

#[test]
fn python_keys_sign_tokens_their_python_jwks_verify() {
    for vector in vectors() {
        let Some(key) = vector.key() else { continue };
        let token = jose::sign(&key, jose::jwt_header("k"), &json!({"sub": "x"})).unwrap();
        let verifier = AnyPublicKey::from_jwk(&vector.jwk).unwrap();
        CompactJws::parse(&token)
            .unwrap()
            .verify(&verifier)
            .unwrap_or_else(|e| panic!("{}: {e}", vector.name));
    }
}

#[test]
fn a_token_signed_by_each_kind_verifies_with_its_public_key() {
    for kind in KeyKind::ALL {
        let key = AnyKey::generate(kind).unwrap();
        let kid = key.public().libtrust_key_id();
        let token = jose::sign(&key, jose::jwt_header(&kid), &json!({"access": []})).unwrap();
        let jws = CompactJws::parse(&token).unwrap();
        assert_eq!(jws.algorithm(), Some(kind.algorithm()));
        assert_eq!(jws.key_id(), Some(kid.as_str()));
        jws.verify(&key.public())
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

#[test]
fn a_token_signed_by_one_key_does_not_verify_with_another() {
    let keys: Vec<AnyKey> = KeyKind::ALL
        .iter()
        .flat_map(|&kind| [kind, kind])
        .map(|kind| AnyKey::generate(kind).unwrap())
        .collect();
    for (i, signer) in keys.iter().enumerate() {
        let token = jose::sign(signer, Map::new(), &json!({"sub": "x"})).unwrap();
        let jws = CompactJws::parse(&token).unwrap();
        let (raw_input, raw_signature) = token.rsplit_once('.').unwrap();
        let raw_signature = jose::b64url_decode(raw_signature).unwrap();
        for (j, other) in keys.iter().enumerate() {
            if i == j {
                continue;
            }
            let expected = if other.kind() == signer.kind() {
                JoseError::BadSignature
            } else {
                JoseError::UnsupportedAlgorithm(signer.algorithm().to_owned())
            };
            assert_eq!(jws.verify(&other.public()), Err(expected));
            // Below the header check, too: the raw signature is refused.
            assert_eq!(
                other.public().verify(raw_input.as_bytes(), &raw_signature),
                Err(JoseError::BadSignature)
            );
        }
    }
}

#[test]
fn keys_outside_the_three_kinds_are_refused_by_name() {
    let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    assert!(matches!(
        AnyKey::from_pkcs8_pem(&p384.serialize_pem()),
        Err(JoseError::UnsupportedKey(_))
    ));
    assert!(matches!(
        AnyKey::from_pkcs8_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        Err(JoseError::Pkcs8Pem(_))
    ));
    assert_eq!(
        jwk_thumbprint(&json!({"kty": "RSA", "n": "AQAB"})),
        Err(JoseError::JwkMember("e"))
    );
    assert_eq!(
        jwk_thumbprint(&json!({"kty": "XYZ"})),
        Err(JoseError::UnsupportedJwk("XYZ".into()))
    );
    assert!(matches!(
        AnyPublicKey::from_jwk(&json!({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"})),
        Err(JoseError::JwkValue { member: "crv", .. })
    ));
}

/// The x5c case: root (the registry's `rootcertbundle`) -> intermediate ->
/// a leaf for the token server's own key, sent as `[leaf, intermediate]`.
#[test]
fn an_x5c_chain_for_each_kind_verifies_up_to_the_root_and_names_the_key() {
    let root = CertificateAuthority::generate("regmatrix token root").unwrap();
    let intermediate = root
        .issue_intermediate("regmatrix token intermediate")
        .unwrap();
    let anchor = webpki::anchor_from_trusted_cert(root.cert_der()).unwrap();

    for kind in KeyKind::ALL {
        let key = AnyKey::generate(kind).unwrap();
        let leaf = intermediate
            .issue_for_key("regmatrix token signer", &key.pkcs8_pem())
            .unwrap();

        let (_, parsed) = x509_parser::parse_x509_certificate(&leaf.cert_der).unwrap();
        assert_eq!(parsed.public_key().raw, key.public().spki_der().as_slice());
        assert_eq!(
            libtrust_key_id(parsed.public_key().raw),
            key.public().libtrust_key_id()
        );

        let intermediates = [intermediate.cert_der().clone()];
        webpki::EndEntityCert::try_from(&leaf.cert_der)
            .unwrap()
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                std::slice::from_ref(&anchor),
                &intermediates,
                UnixTime::now(),
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));

        let chain = [leaf.cert_der.as_ref(), intermediate.cert_der().as_ref()];
        let mut header = Map::new();
        header.insert("typ".into(), "JWT".into());
        header.insert("x5c".into(), jose::x5c(&chain));
        let token = jose::sign(&key, header, &json!({"sub": "x"})).unwrap();
        let jws = CompactJws::parse(&token).unwrap();
        let sent: Vec<CertificateDer<'static>> = jws.header["x5c"]
            .as_array()
            .unwrap()
            .iter()
            .map(|cert| CertificateDer::from(STANDARD.decode(cert.as_str().unwrap()).unwrap()))
            .collect();
        assert_eq!(
            sent,
            [leaf.cert_der.clone(), intermediate.cert_der().clone()]
        );
        jws.verify(&key.public()).unwrap();
    }
}

#[test]
fn a_leaf_for_a_key_without_its_intermediate_does_not_chain() {
    let root = CertificateAuthority::generate("regmatrix token root").unwrap();
    let intermediate = root.issue_intermediate("intermediate").unwrap();
    let key = AnyKey::generate(KeyKind::Es256).unwrap();
    let leaf = intermediate
        .issue_for_key("signer", &key.pkcs8_pem())
        .unwrap();
    let anchor = webpki::anchor_from_trusted_cert(root.cert_der()).unwrap();
    let verdict = webpki::EndEntityCert::try_from(&leaf.cert_der)
        .unwrap()
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            std::slice::from_ref(&anchor),
            &[],
            UnixTime::now(),
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map(|_| ());
    assert_eq!(verdict, Err(webpki::Error::UnknownIssuer));
}

#[test]
fn a_key_rcgen_cannot_read_is_an_unusable_key_error() {
    let root = CertificateAuthority::generate("root").unwrap();
    let error = root.issue_for_key("signer", "not a key").unwrap_err();
    assert!(
        matches!(error, regmatrix_mocks::pki::PkiError::UnusableKey { .. }),
        "{error}"
    );
}

const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A JWK's required members, for each key type, with arbitrary base64url
/// values: thumbprints hash text and never parse the key.
fn required_members() -> impl Strategy<Value = Vec<(String, String)>> {
    let value = "[A-Za-z0-9_-]{1,64}";
    prop_oneof![
        (value, value).prop_map(|(n, e)| vec![
            ("kty".into(), "RSA".into()),
            ("n".into(), n),
            ("e".into(), e),
        ]),
        (value, value).prop_map(|(x, y)| vec![
            ("kty".into(), "EC".into()),
            ("crv".into(), "P-256".into()),
            ("x".into(), x),
            ("y".into(), y),
        ]),
        value.prop_map(|x| vec![
            ("kty".into(), "OKP".into()),
            ("crv".into(), "Ed25519".into()),
            ("x".into(), x),
        ]),
    ]
}

/// JSON text with members in exactly the given order (no map in between).
fn json_text(members: &[(String, String)]) -> String {
    let body: Vec<String> = members
        .iter()
        .map(|(name, value)| {
            format!(
                "{}: {}",
                Value::from(name.as_str()),
                Value::from(value.as_str())
            )
        })
        .collect();
    format!("{{ {} }}", body.join(", "))
}

proptest! {
    #[test]
    fn libtrust_ids_are_twelve_groups_of_four_base32_characters(
        spki in proptest::collection::vec(any::<u8>(), 0..600)
    ) {
        let id = libtrust_key_id(&spki);
        let groups: Vec<&str> = id.split(':').collect();
        prop_assert_eq!(groups.len(), 12);
        for group in groups {
            prop_assert_eq!(group.len(), 4);
            prop_assert!(group.chars().all(|c| BASE32.contains(c)), "{}", id);
        }
    }

    #[test]
    fn thumbprints_are_43_base64url_characters(members in required_members()) {
        let jwk: Value = serde_json::from_str(&json_text(&members)).unwrap();
        let thumbprint = jwk_thumbprint(&jwk).unwrap();
        prop_assert_eq!(thumbprint.len(), 43);
        prop_assert!(thumbprint.chars().all(|c| BASE64URL.contains(c)), "{}", thumbprint);
    }

    #[test]
    fn thumbprints_ignore_member_order(
        (members, shuffled) in required_members()
            .prop_flat_map(|m| (Just(m.clone()), Just(m).prop_shuffle()))
    ) {
        let first: Value = serde_json::from_str(&json_text(&members)).unwrap();
        let second: Value = serde_json::from_str(&json_text(&shuffled)).unwrap();
        prop_assert_eq!(jwk_thumbprint(&first).unwrap(), jwk_thumbprint(&second).unwrap());
    }

    #[test]
    fn thumbprints_ignore_kid_use_alg_and_other_members(
        members in required_members(),
        kid in ".{0,40}",
        alg in "[A-Z]{2}[0-9]{3}",
        extra_name in "[a-z_]{1,8}",
        extra_value in ".{0,20}",
    ) {
        let bare: Value = serde_json::from_str(&json_text(&members)).unwrap();
        let mut decorated = members.clone();
        decorated.push(("kid".into(), kid));
        decorated.push(("use".into(), "sig".into()));
        decorated.insert(0, ("alg".into(), alg));
        if !members.iter().any(|(name, _)| *name == extra_name) {
            decorated.push((extra_name, extra_value));
        }
        let decorated: Value = serde_json::from_str(&json_text(&decorated)).unwrap();
        prop_assert_eq!(jwk_thumbprint(&bare).unwrap(), jwk_thumbprint(&decorated).unwrap());
    }
}

/// A cell's seed reproduces its keys: the same seed gives the same public
/// key (so the same libtrust kid and thumbprint), another seed another key,
/// and the seeded key signs what its public key verifies.
#[test]
fn seeded_keys_are_reproducible_and_sign() {
    use regmatrix_mocks::seed::Seed;
    for kind in KeyKind::ALL {
        let key = AnyKey::from_seed(kind, Seed::new(7)).unwrap();
        let again = AnyKey::from_seed(kind, Seed::new(7)).unwrap();
        let other = AnyKey::from_seed(kind, Seed::new(8)).unwrap();
        let (public, again, other) = (key.public(), again.public(), other.public());
        assert_eq!(public.spki_der(), again.spki_der(), "{kind:?}");
        assert_eq!(
            public.libtrust_key_id(),
            again.libtrust_key_id(),
            "{kind:?}"
        );
        assert_ne!(public.spki_der(), other.spki_der(), "{kind:?}");
        let signature = key.sign(b"payload").unwrap();
        public.verify(b"payload", &signature).unwrap();
    }
}
