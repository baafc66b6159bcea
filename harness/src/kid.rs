//! The one kid form (layer 3, foundations): how a token's `kid` (or a JWKS
//! entry's) relates to the signing key. Scenarios name keys with it, `token
//! inspect` classifies real tokens into it, the trust migration writes JWKS
//! entries in it and upgrade-check plans with it. It must not know about
//! keys themselves (deriving an ID is the JOSE code's job) or scenarios.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum KidForm {
    /// libtrust's ID of the public key (`ABCD:EFGH:...`, 12 groups): what
    /// 2.8 derives from `rootcertbundle`.
    Libtrust,
    /// The RFC 7638 JWK thumbprint (43 base64url characters).
    Thumbprint,
    /// A name with no relation to the key: only a JWKS entry can match it.
    /// The default, since a scenario that says nothing about its kid tests
    /// nothing about how kids are derived.
    #[default]
    Arbitrary,
    /// No `kid` at all.
    None,
}

impl KidForm {
    /// The form of a kid seen in a token.
    pub fn of(kid: Option<&str>) -> Self {
        let Some(kid) = kid else {
            return KidForm::None;
        };
        let groups: Vec<&str> = kid.split(':').collect();
        let base32 = |g: &str| {
            g.len() == 4
                && g.chars()
                    .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
        };
        if groups.len() == 12 && groups.iter().all(|g| base32(g)) {
            return KidForm::Libtrust;
        }
        if kid.len() == 43
            && kid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return KidForm::Thumbprint;
        }
        KidForm::Arbitrary
    }

    /// The scenario file's word for it.
    pub fn word(self) -> &'static str {
        match self {
            KidForm::Libtrust => "libtrust",
            KidForm::Thumbprint => "thumbprint",
            KidForm::Arbitrary => "arbitrary",
            KidForm::None => "none",
        }
    }

    /// For people reading `token inspect`.
    pub fn describe(self) -> &'static str {
        match self {
            KidForm::Libtrust => "a libtrust key ID (what 2.8 derives from rootcertbundle)",
            KidForm::Thumbprint => "an RFC 7638 thumbprint",
            KidForm::Arbitrary => "an opaque name (only a JWKS entry can match it)",
            KidForm::None => "absent",
        }
    }
}
