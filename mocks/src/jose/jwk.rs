//! Reading and writing JWK members (RFC 7517 section 4, RFC 7518 section 6,
//! RFC 8037 section 2), shared by key import and by thumbprints. Knows member
//! names and encodings only; which members a key type needs is the key's job.

use serde_json::{Map, Value};

use super::{b64url_decode, JoseError};

/// A required string member.
pub(crate) fn member<'a>(jwk: &'a Value, name: &'static str) -> Result<&'a str, JoseError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or(JoseError::JwkMember(name))
}

/// A required base64url member decoded; `len`, when given, is the exact size
/// the key type needs (a short EC coordinate would verify nothing).
pub(crate) fn bytes(
    jwk: &Value,
    name: &'static str,
    len: Option<usize>,
) -> Result<Vec<u8>, JoseError> {
    let decoded = b64url_decode(member(jwk, name)?).ok_or(JoseError::JwkValue {
        member: name,
        expected: "base64url without padding",
    })?;
    match len {
        Some(len) if decoded.len() != len => Err(JoseError::JwkValue {
            member: name,
            expected: "the size its curve requires",
        }),
        _ => Ok(decoded),
    }
}

/// Checks that string member `name` is `expected` (`kty`, `crv`).
pub(crate) fn expect(
    jwk: &Value,
    name: &'static str,
    expected: &'static str,
) -> Result<(), JoseError> {
    if member(jwk, name)? == expected {
        Ok(())
    } else {
        Err(JoseError::JwkValue {
            member: name,
            expected,
        })
    }
}

/// The bare public JWK: the key's own members and nothing else.
pub(crate) fn public(members: &[(&'static str, String)]) -> Value {
    Value::Object(map(members))
}

/// A JWK Set entry: the key's members plus `kid`, `use` and `alg`, which
/// verifiers such as distribution 3.x match tokens against.
pub(crate) fn set_entry(members: &[(&'static str, String)], kid: &str, alg: &str) -> Value {
    let mut entry = map(members);
    entry.insert("kid".into(), kid.into());
    entry.insert("use".into(), "sig".into());
    entry.insert("alg".into(), alg.into());
    Value::Object(entry)
}

fn map(members: &[(&'static str, String)]) -> Map<String, Value> {
    members
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::String(value.clone())))
        .collect()
}
