//! The `[auth]` section of a scenario as data: the signing key, how tokens
//! and the JWKS name it, what the registry trusts, the token's shape, the
//! attack, the login flow and account. It must not generate keys, write
//! files or start anything; `token_auth` acts on it.

use regmatrix_mocks::jose::KeyKind;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    #[default]
    Rsa,
    Ec,
    Ed25519,
}

impl KeyType {
    pub fn kind(self) -> KeyKind {
        match self {
            KeyType::Rsa => KeyKind::Rs256,
            KeyType::Ec => KeyKind::Es256,
            KeyType::Ed25519 => KeyKind::EdDsa,
        }
    }
}

/// How a key is named: in a token's `kid`, or in a JWKS entry's. The one
/// kid form; the scenario's words are its words.
pub use crate::kid::KidForm as KeyName;

/// What the registry's `auth.token` trusts. `both` gives each version what it
/// can read: the bundle everywhere, the JWKS where the option exists (3.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Trust {
    #[default]
    Rootcertbundle,
    Jwks,
    Both,
}

/// Which claims are off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TokenShape {
    #[default]
    Valid,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongService,
    /// `aud` as a list holding the service and another audience.
    AudienceList,
}

/// A token the registry must refuse whatever its trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Attack {
    #[default]
    None,
    /// `alg: none`, no signature, the trusted key's `kid`.
    AlgNone,
    /// HS256 with the trusted public key's PEM as the HMAC secret.
    Hs256PublicKey,
    /// Signed by the attacker's key, which rides along in the `jwk` header
    /// under the trusted key's `kid`.
    EmbeddedJwk,
    /// An `x5c` chain from a CA the registry does not trust.
    UntrustedX5c,
    /// The trusted key's `kid`, the attacker's signature.
    KidOtherKey,
}

/// How the client gets its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    /// `docker login`: Basic credentials at the realm.
    #[default]
    Docker,
    /// `az acr login`: an Entra ID token exchanged for a refresh token, then
    /// Basic with user 00000000-0000-0000-0000-000000000000.
    AcrExchange,
}

/// Which account the client logs in as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Login {
    /// pull and push on the scenario's repository only.
    #[default]
    Pusher,
    /// pull only.
    Reader,
    /// pull, push and delete on the scenario's repository and every
    /// repository whose name starts with it, as a project's maintainer
    /// account: what a conformance run or a mirror job logs in as.
    Maintainer,
}

/// The `[auth]` section of a scenario.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthSetup {
    #[serde(default)]
    pub key: KeyType,
    /// The token header's `kid`.
    #[serde(default)]
    pub kid: KeyName,
    /// Put `[leaf, intermediate]` in the token header; the registry trusts the root.
    #[serde(default)]
    pub x5c: bool,
    #[serde(default)]
    pub trust: Trust,
    /// The JWKS entry's `kid`; by default the token's (`arbitrary` when it has none).
    #[serde(default)]
    pub jwks_kid: Option<KeyName>,
    #[serde(default)]
    pub signing_algorithms: Option<Vec<String>>,
    #[serde(default)]
    pub token: TokenShape,
    #[serde(default)]
    pub attack: Attack,
    #[serde(default)]
    pub flow: Flow,
    #[serde(default)]
    pub login: Login,
    /// A PKCS#8 PEM file with the token-signing key, relative to the
    /// scenario file, instead of the key the cell's seed makes: for a case
    /// that depends on one key's bytes. Its algorithm must be `key`'s.
    #[serde(default)]
    pub key_file: Option<std::path::PathBuf>,
}
