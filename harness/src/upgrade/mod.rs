//! `regmatrix upgrade-check`: a user's own registry config on the version
//! they run and the one they move to, against the mock cloud, plus the
//! committed scenarios that apply to that config; then a verdict naming what
//! changes outcome, the evidence, and the fix where one is known.

mod in_place;
mod inputs;
mod keys;
pub mod outputs;
pub mod parser;
pub mod sections;
mod verdict;

use std::path::Path;

use serde_yaml::{Mapping, Value};

pub use in_place::in_place_phase_meaning;
use in_place::in_place_phases;
pub use inputs::{
    parse_env_arg, read_config, read_env_file, ConfigInput, EnvFate, EnvVar, InputError,
};
pub use keys::{findings, KeyFinding};
pub use verdict::{render, verdict_from, FixContext, Row, Verdict};

/// A verdict row for `scenario` from its cells on the two versions.
pub fn verdict_row(
    scenario: &Scenario,
    before: &crate::report::Cell,
    after: &crate::report::Cell,
) -> Row {
    Row {
        scenario: scenario.id().to_string(),
        title: scenario.spec.title.clone(),
        before: before.clone(),
        after: after.clone(),
    }
}

use crate::env::auth::{KeyType, Trust};
use crate::env::AuthSetup;
use crate::env::{StorageNames, UserDeployment, Workload};
use crate::kid::KidForm;
use crate::registry_config::credentials_mode;
use crate::scenario::model::{
    ByteSize, ConfigCarry, Expectation, IdentitySection, RegistrySetup, ScenarioFile, Step,
    UpgradeSection, UploadMode,
};
use crate::scenario::steps::{PullBlobs, PullManifest, PushBlob, PushManifest};
use regmatrix_model::Outcome;

/// A value built in memory has no place in a file to point at.
fn unspanned<T>(value: T) -> toml::Spanned<T> {
    toml::Spanned::new(0..0, value)
}
use crate::scenario::{self, Scenario};

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(
        "{file}: no storage.azure section (nor REGISTRY_STORAGE=azure with REGISTRY_STORAGE_AZURE_* variables); upgrade-check covers registries on Azure Blob storage"
    )]
    NotAzure { file: String },
    #[error("{file}: storage.azure.{key} is required (or REGISTRY_STORAGE_AZURE_{upper})", upper = key.to_ascii_uppercase())]
    Missing { file: String, key: &'static str },
    #[error("{file}: storage.azure.{key} {value:?}: {rule}")]
    InvalidName {
        file: String,
        key: &'static str,
        value: String,
        rule: &'static str,
    },
    #[error(transparent)]
    Scenario(#[from] scenario::ScenarioError),
}

/// What the check will run.
pub struct Plan {
    pub user: Scenario,
    /// The user's config in place: written on `from`, read and written by
    /// `to` on the same storage with the same file, and (unless
    /// `--no-rollback`) by `from` again.
    pub in_place: Scenario,
    /// Committed scenarios that share the config's credentials, identity or token trust.
    pub related: Vec<Scenario>,
    pub azure: Mapping,
    pub token: Option<Mapping>,
    /// The config's storage.azure, secrets redacted, for the report.
    pub redacted: String,
    /// Each variable the user gave and what became of it.
    pub env: Vec<(EnvVar, EnvFate)>,
    /// Each section of the config and how it runs.
    pub sections: Vec<sections::Section>,
    /// The shape of the user's tokens.
    pub token_profile: TokenProfile,
}

/// What the operator runs: the config and the environment variables.
#[derive(Debug, Clone)]
pub struct DeploymentInput {
    pub config: ConfigInput,
    pub env: Vec<EnvVar>,
}

impl Plan {
    /// What the check runs, the user's config first.
    pub fn scenarios(&self) -> impl Iterator<Item = &Scenario> {
        std::iter::once(&self.user)
            .chain(std::iter::once(&self.in_place))
            .chain(&self.related)
    }
}

const SECRET_KEYS: [&str; 3] = ["accountkey", "secret", "connectionstring"];

/// Secrets become placeholders the environment fills with mock values, so
/// the user's secrets are never used or printed.
fn placeholders(azure: &Mapping) -> Mapping {
    let mut out = azure.clone();
    for (path, placeholder) in inputs::SECRET_PLACEHOLDERS {
        let Some((key, parents)) = path.split_last() else {
            continue;
        };
        let mut section = Some(&mut out);
        for parent in parents {
            section = section
                .and_then(|m| m.get_mut(*parent))
                .and_then(Value::as_mapping_mut);
        }
        if let Some(section) = section.filter(|m| m.contains_key(*key)) {
            section.insert((*key).into(), (*placeholder).into());
        }
    }
    out
}

fn redact(azure: &Mapping) -> String {
    fn walk(value: &Value) -> Value {
        match value {
            Value::Mapping(m) => Value::Mapping(
                m.iter()
                    .map(|(k, v)| {
                        let secret = k.as_str().is_some_and(|k| SECRET_KEYS.contains(&k));
                        (
                            k.clone(),
                            if secret { "<redacted>".into() } else { walk(v) },
                        )
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    serde_yaml::to_string(&walk(&Value::Mapping(azure.clone()))).unwrap_or_default()
}

fn string(section: &Mapping, key: &str) -> Option<String> {
    section.get(key).and_then(Value::as_str).map(str::to_string)
}

/// How the user's token server names its signing key: a kid form, or an
/// `x5c` chain in the header, which makes the kid irrelevant. Words:
/// `libtrust`, `thumbprint`, `arbitrary`, `x5c` (no `none`: a server that
/// writes no kid and no chain has no key a registry could find).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKid {
    Kid(KidForm),
    X5c,
}

impl TokenKid {
    pub const ALL: [TokenKid; 4] = [
        TokenKid::Kid(KidForm::Libtrust),
        TokenKid::Kid(KidForm::Thumbprint),
        TokenKid::Kid(KidForm::Arbitrary),
        TokenKid::X5c,
    ];

    pub fn word(self) -> &'static str {
        match self {
            TokenKid::Kid(form) => form.word(),
            TokenKid::X5c => "x5c",
        }
    }

    /// The form of a token the user's server issued: with certificates in
    /// its header it is an x5c token, whatever its kid.
    pub fn of(shape: &crate::inspect::TokenShape) -> Self {
        match shape.kid_shape {
            _ if shape.x5c_certificates > 0 => TokenKid::X5c,
            KidForm::Libtrust => TokenKid::Kid(KidForm::Libtrust),
            KidForm::Thumbprint => TokenKid::Kid(KidForm::Thumbprint),
            _ => TokenKid::Kid(KidForm::Arbitrary),
        }
    }
}

impl std::str::FromStr for TokenKid {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        TokenKid::ALL
            .into_iter()
            .find(|kid| kid.word() == text)
            .ok_or_else(|| format!("{text:?}: use libtrust, thumbprint, arbitrary or x5c"))
    }
}

/// The whole shape of the user's tokens that decides whether a version
/// trusts them: how the key is named and what kind of key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenProfile {
    pub kid: TokenKid,
    pub key: KeyType,
}

impl Default for TokenProfile {
    /// The 2.8-era token server: RSA, libtrust key IDs.
    fn default() -> Self {
        TokenProfile {
            kid: TokenKid::Kid(KidForm::Libtrust),
            key: KeyType::Rsa,
        }
    }
}

impl TokenProfile {
    /// The profile of a token the user's server issued: its kid form and
    /// the key type its `alg` names (`ES256`: P-256, `EdDSA`: Ed25519,
    /// anything else RSA).
    pub fn of(shape: &crate::inspect::TokenShape) -> Self {
        TokenProfile {
            kid: TokenKid::of(shape),
            key: match shape.alg.as_str() {
                "ES256" => KeyType::Ec,
                "EdDSA" => KeyType::Ed25519,
                _ => KeyType::Rsa,
            },
        }
    }

    pub fn key_word(self) -> &'static str {
        match self.key {
            KeyType::Rsa => "rsa",
            KeyType::Ec => "ec",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

/// What the config's `auth.token` trusts.
fn trust_of(token: &Mapping) -> Trust {
    match (
        token.contains_key("rootcertbundle"),
        token.contains_key("jwks"),
    ) {
        (true, true) => Trust::Both,
        (false, true) => Trust::Jwks,
        _ => Trust::Rootcertbundle,
    }
}

/// The `[auth]` section that reproduces the config's trust, with the shape
/// of the user's tokens (RSA and libtrust key IDs by default: the 2.8-era
/// shape).
fn auth_section(token: &Mapping, profile: TokenProfile) -> AuthSetup {
    let (kid, x5c) = match profile.kid {
        TokenKid::Kid(form) => (form, false),
        TokenKid::X5c => (KidForm::None, true),
    };
    // A restriction of the algorithms a version accepts is the user's, and
    // runs as written.
    let signing_algorithms = token
        .get("signingalgorithms")
        .and_then(Value::as_sequence)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        });
    AuthSetup {
        key: profile.key,
        kid,
        x5c,
        trust: trust_of(token),
        signing_algorithms,
        ..AuthSetup::default()
    }
}

/// The committed auth scenarios about the tokens and trust the deployment
/// has: a config that already trusts a JWKS is checked with the JWKS
/// scenarios, not told again about the bundle-only ones.
fn token_scenarios(token: &Mapping, profile: TokenProfile) -> Vec<&'static str> {
    let trust = trust_of(token);
    let jwks = trust != Trust::Rootcertbundle;
    let mut ids = match (profile.kid, profile.key) {
        (_, KeyType::Ed25519) => vec!["auth/ed25519-jwks"],
        (TokenKid::X5c, _) => vec!["auth/x5c-chain"],
        // With the bundle alone, the bundle scenario and the JWKS one
        // that proves the suggested fix.
        (TokenKid::Kid(KidForm::Libtrust), _) if jwks => vec!["auth/jwks-libtrust-kid"],
        (TokenKid::Kid(KidForm::Libtrust), _) => {
            vec!["auth/libtrust-kid-rootcert", "auth/jwks-libtrust-kid"]
        }
        (TokenKid::Kid(KidForm::Thumbprint), _) if jwks => vec!["auth/jwks-kid"],
        (TokenKid::Kid(KidForm::Thumbprint), KeyType::Ec) => {
            vec!["auth/thumbprint-kid-rootcert-ec", "auth/jwks-kid"]
        }
        (TokenKid::Kid(KidForm::Thumbprint), _) => {
            vec!["auth/thumbprint-kid-rootcert-rsa", "auth/jwks-kid"]
        }
        (TokenKid::Kid(KidForm::Arbitrary | KidForm::None), _) => vec!["auth/jwks-kid"],
    };
    if token.contains_key("signingalgorithms") {
        ids.push("auth/signing-algorithms-restricted");
    }
    ids
}

/// The steps every upgrade-check runs on the user's config: a small
/// monolithic and a larger chunked blob, a manifest over both, and the
/// pulls that read them back.
fn your_config_steps() -> Vec<Step> {
    let push = |blob: &str, size: u64, mode| {
        Step::PushBlob(PushBlob {
            blob: blob.into(),
            size: ByteSize(size),
            mode,
            may_fail: false,
        })
    };
    let layers = || vec!["small".to_string(), "large".to_string()];
    vec![
        push("small", MIB, UploadMode::Monolithic),
        push(
            "large",
            6 * MIB,
            UploadMode::Chunked {
                chunk_bytes: 2 * MIB,
            },
        ),
        Step::PushManifest(PushManifest::tagged("v1", layers())),
        Step::PullManifest(PullManifest { tag: "v1".into() }),
        Step::PullBlobs(PullBlobs { blobs: layers() }),
    ]
}

const MIB: u64 = 1 << 20;

/// Reads the deployment and picks what to run. `token` is the shape of the
/// user's token server's tokens.
pub fn plan(
    input: &DeploymentInput,
    workload: Workload,
    token_profile: TokenProfile,
    scenario_dir: &Path,
    rollback: bool,
) -> Result<Plan, UpgradeError> {
    let file = input.config.origin.clone();
    let env = inputs::env_fates(&input.env);
    let doc = inputs::with_overrides(&input.config.document, &env);
    let azure = doc["storage"]["azure"]
        .as_mapping()
        .cloned()
        .ok_or_else(|| UpgradeError::NotAzure { file: file.clone() })?;
    let token = doc["auth"]["token"].as_mapping().cloned();
    let (config_sections, pass_through) = sections::classify(&doc);
    let missing = |key| UpgradeError::Missing {
        file: file.clone(),
        key,
    };
    let names = StorageNames {
        account: Some(string(&azure, "accountname").ok_or_else(|| missing("accountname"))?),
        container: string(&azure, "container").ok_or_else(|| missing("container"))?,
        realm: string(&azure, "realm").unwrap_or_else(|| crate::env::REALM.to_string()),
    };
    check_names(&file, &names)?;
    let mode = credentials_mode(&azure);
    let spec = ScenarioFile {
        id: verdict::YOUR_CONFIG.into(),
        title: format!("Your config ({file}): push, pull and manifests"),
        description: String::new(),
        repository: "regmatrix/upgrade-check".into(),
        registry: RegistrySetup {
            credentials: serde_yaml::from_str(mode).unwrap_or_default(),
            redirect: true,
            delete: true,
        },
        identity: IdentitySection {
            workload,
            ..IdentitySection::default()
        },
        auth: token.as_ref().map(|t| auth_section(t, token_profile)),
        upgrade: None,
        steps: your_config_steps().into_iter().map(unspanned).collect(),
        phases: Vec::new(),
        expectations: vec![unspanned(Expectation {
            versions: Some("*".into()),
            from: None,
            to: None,
            outcome: Outcome::Pass,
            because: None,
            reference: None,
        })],
    };
    let in_place_spec = ScenarioFile {
        id: "upgrade-check/in-place".into(),
        title: format!(
            "Your config ({file}) in place: written by the version you run, read and written by the target{}",
            if rollback { ", then rolled back" } else { "" }
        ),
        upgrade: Some(UpgradeSection {
            config: ConfigCarry::Carried,
            pairs: Default::default(),
        }),
        steps: Vec::new(),
        phases: in_place_phases(rollback)
            .into_iter()
            .map(unspanned)
            .collect(),
        expectations: vec![unspanned(Expectation {
            versions: None,
            from: None,
            to: None,
            outcome: Outcome::Pass,
            because: None,
            reference: None,
        })],
        ..spec.clone()
    };
    let user_deployment = UserDeployment {
        names,
        azure: placeholders(&azure),
        env: env
            .iter()
            .filter_map(|(var, fate)| match fate {
                EnvFate::Passed { value, .. } | EnvFate::Replaced { value, .. } => {
                    Some((var.name.clone(), value.clone()))
                }
                EnvFate::NotExercised(_) => None,
            })
            .collect(),
        sections: pass_through,
    };
    let mut user = scenario::from_spec(Path::new(&file), spec)?;
    user.user_deployment = Some(user_deployment.clone());
    let mut in_place = scenario::from_spec(Path::new(&file), in_place_spec)?;
    in_place.user_deployment = Some(user_deployment);
    let related = related_scenarios(scenario_dir, mode, workload, token.as_ref(), token_profile)?;
    Ok(Plan {
        user,
        in_place,
        related,
        redacted: redact(&azure),
        azure,
        token,
        env,
        sections: config_sections,
        token_profile,
    })
}

/// The config and variables a version's parser probe reads: the user's
/// document and `REGISTRY_*` variables as given, secrets replaced.
pub fn parser_input(input: &DeploymentInput) -> (String, Vec<(String, String)>) {
    const REDACTED: &str = "redacted-by-regmatrix";
    let mut document = input.config.document.clone();
    if let Some(azure) = document
        .get_mut("storage")
        .and_then(|s| s.get_mut("azure"))
        .and_then(Value::as_mapping_mut)
    {
        *azure = placeholders(azure);
    }
    // A parser's error quotes values: every other secret becomes a plain word.
    let mut redact = |section: &str, keys: &[&str]| {
        if let Some(map) = document.get_mut(section).and_then(Value::as_mapping_mut) {
            for key in keys {
                if let Some(value) = map.get_mut(*key) {
                    *value = REDACTED.into();
                }
            }
        }
    };
    redact("redis", &["password", "sentinelpassword"]);
    redact("http", &["secret"]);
    if let Some(Value::Sequence(endpoints)) = document
        .get_mut("notifications")
        .and_then(|n| n.get_mut("endpoints"))
    {
        for headers in endpoints
            .iter_mut()
            .filter_map(|e| e.get_mut("headers"))
            .filter_map(Value::as_mapping_mut)
        {
            for (_, value) in headers.iter_mut() {
                *value = Value::Sequence(vec![REDACTED.into()]);
            }
        }
    }
    let env = inputs::env_fates(&input.env)
        .into_iter()
        .filter(|(var, _)| var.name.starts_with("REGISTRY_"))
        // The parser reads a variable's value as YAML: a secret becomes a
        // plain word (a `{{...}}` placeholder would read as a mapping).
        .map(|(var, fate)| match fate {
            EnvFate::Passed { secret: true, .. } => (var.name, REDACTED.into()),
            _ if inputs::is_secret_name(&var.name) => (var.name, REDACTED.into()),
            _ => (var.name, var.value),
        })
        .collect();
    (serde_yaml::to_string(&document).unwrap_or_default(), env)
}

/// What became of the user's variables, one line per fate: names only,
/// never a value.
pub fn env_notes(env: &[(EnvVar, EnvFate)]) -> Vec<String> {
    let passed: Vec<String> = env
        .iter()
        .filter_map(|(var, fate)| match fate {
            EnvFate::Passed { secret: true, .. } => {
                Some(format!("{} (secret: the mock cloud's)", var.name))
            }
            EnvFate::Passed { .. } => Some(var.name.clone()),
            EnvFate::Replaced { .. } | EnvFate::NotExercised(_) => None,
        })
        .collect();
    let mut lines = Vec::new();
    if !passed.is_empty() {
        lines.push(format!(
            "environment passed to each registry process, which parses it: {}",
            passed.join(", ")
        ));
    }
    lines.extend(env.iter().filter_map(|(var, fate)| match fate {
        EnvFate::NotExercised(why) => Some(format!(
            "{} ({}): not exercised, not passed to the registry: {why}",
            var.name, var.origin
        )),
        EnvFate::Replaced { by, .. } => Some(format!(
            "{} ({}): passed in the form you wrote, its address replaced by {by}",
            var.name, var.origin
        )),
        EnvFate::Passed { .. } => None,
    }));
    lines
}

/// Names Azure would refuse, refused before anything starts: the rules of
/// storage account and container names.
fn check_names(file: &str, names: &StorageNames) -> Result<(), UpgradeError> {
    let invalid = |key, value: &str, rule| UpgradeError::InvalidName {
        file: file.to_string(),
        key,
        value: value.to_string(),
        rule,
    };
    if let Some(account) = &names.account {
        let ok = (3..=24).contains(&account.len())
            && account
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !ok {
            return Err(invalid(
                "accountname",
                account,
                "Azure storage account names are 3 to 24 characters, lower-case letters and digits only",
            ));
        }
    }
    let container = names.container.as_str();
    let bytes = container.as_bytes();
    let ok = (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
        && !container.contains("--");
    if !ok {
        return Err(invalid(
            "container",
            container,
            "Azure container names are 3 to 63 characters, lower-case letters, digits and single hyphens, starting and ending with a letter or digit",
        ));
    }
    Ok(())
}

/// Committed scenarios about the same credentials and workload, and for a
/// token section those about the same token shape and trust.
fn related_scenarios(
    dir: &Path,
    mode: &str,
    workload: Workload,
    token: Option<&Mapping>,
    profile: TokenProfile,
) -> Result<Vec<Scenario>, UpgradeError> {
    let all = scenario::discover(dir, "storage/*,auth/*")?;
    let mode_value: crate::env::CredentialsMode = serde_yaml::from_str(mode).unwrap_or_default();
    let auth_ids = token
        .map(|t| token_scenarios(t, profile))
        .unwrap_or_default();
    Ok(all
        .into_iter()
        .filter(|s| {
            let storage_match = s.id().starts_with("storage/")
                && s.spec.registry.credentials == mode_value
                && s.spec.identity.workload == workload
                && s.spec.identity.federated_token == crate::env::FederatedToken::Valid;
            storage_match || auth_ids.contains(&s.id())
        })
        .collect())
}

#[cfg(test)]
mod tests;
