//! `regmatrix upgrade-check`: a user's own registry config on the version
//! they run and the one they move to, against the mock cloud, plus the
//! committed scenarios that apply to that config; then a verdict naming what
//! changes outcome, the evidence, and the fix where one is known.

mod in_place;
mod keys;
mod verdict;

use std::path::Path;

use serde_yaml::{Mapping, Value};

pub use in_place::in_place_phase_meaning;
use in_place::in_place_phases;
pub use keys::{findings, KeyFinding};
pub use verdict::{render, verdict_from, Row, Verdict};

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
use crate::env::{StorageNames, UserStorage, Workload};
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
    #[error("{file}: not YAML: {message}")]
    Yaml { file: String, message: String },
    #[error(
        "{file}: no storage.azure section; upgrade-check covers registries on Azure Blob storage"
    )]
    NotAzure { file: String },
    #[error("{file}: storage.azure.{key} is required")]
    Missing { file: String, key: &'static str },
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
    if out.get("accountkey").is_some() {
        out.insert("accountkey".into(), "{{accountkey}}".into());
    }
    if let Some(Value::Mapping(credentials)) = out.get_mut("credentials") {
        for (key, placeholder) in [
            ("clientid", "{{clientid}}"),
            ("tenantid", "{{tenantid}}"),
            ("secret", "{{secret}}"),
        ] {
            if credentials.contains_key(key) {
                credentials.insert(key.into(), placeholder.into());
            }
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

/// The `[auth]` section that reproduces the config's trust, with the kid
/// form of the user's tokens (`kid`), libtrust by default: the 2.8-era shape.
fn auth_section(token: &Mapping, kid: TokenKid) -> AuthSetup {
    let trust = match (
        token.contains_key("rootcertbundle"),
        token.contains_key("jwks"),
    ) {
        (true, true) => Trust::Both,
        (false, true) => Trust::Jwks,
        _ => Trust::Rootcertbundle,
    };
    let (kid, x5c) = match kid {
        TokenKid::Kid(form) => (form, false),
        TokenKid::X5c => (KidForm::None, true),
    };
    AuthSetup {
        key: KeyType::Rsa,
        kid,
        x5c,
        trust,
        ..AuthSetup::default()
    }
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
        Step::PushManifest(PushManifest {
            tag: "v1".into(),
            layers: layers(),
        }),
        Step::PullManifest(PullManifest { tag: "v1".into() }),
        Step::PullBlobs(PullBlobs { blobs: layers() }),
    ]
}

const MIB: u64 = 1 << 20;

/// Reads the config and picks what to run. `token_kid` is how the user's
/// token server names its key.
pub fn plan(
    config_file: &Path,
    workload: Workload,
    token_kid: TokenKid,
    scenario_dir: &Path,
    rollback: bool,
) -> Result<Plan, UpgradeError> {
    let file = config_file.display().to_string();
    let text = std::fs::read_to_string(config_file).map_err(|e| UpgradeError::Yaml {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let doc: Value = serde_yaml::from_str(&text).map_err(|e| UpgradeError::Yaml {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let azure = doc["storage"]["azure"]
        .as_mapping()
        .cloned()
        .ok_or_else(|| UpgradeError::NotAzure { file: file.clone() })?;
    let token = doc["auth"]["token"].as_mapping().cloned();
    let missing = |key| UpgradeError::Missing {
        file: file.clone(),
        key,
    };
    let names = StorageNames {
        account: Some(string(&azure, "accountname").ok_or_else(|| missing("accountname"))?),
        container: string(&azure, "container").ok_or_else(|| missing("container"))?,
        realm: string(&azure, "realm").unwrap_or_else(|| crate::env::REALM.to_string()),
    };
    let mode = credentials_mode(&azure);
    let spec = ScenarioFile {
        id: "upgrade-check/your-config".into(),
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
        auth: token.as_ref().map(|t| auth_section(t, token_kid)),
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
    let user_storage = UserStorage {
        names,
        azure: placeholders(&azure),
    };
    let mut user = scenario::from_spec(config_file, spec)?;
    user.user_storage = Some(user_storage.clone());
    let mut in_place = scenario::from_spec(config_file, in_place_spec)?;
    in_place.user_storage = Some(user_storage);
    let related = related_scenarios(scenario_dir, mode, workload, token.as_ref(), token_kid)?;
    Ok(Plan {
        user,
        in_place,
        related,
        redacted: redact(&azure),
        azure,
        token,
    })
}

/// Committed scenarios about the same credentials and workload, and for a
/// token section those about the same kid form and trust.
fn related_scenarios(
    dir: &Path,
    mode: &str,
    workload: Workload,
    token: Option<&Mapping>,
    token_kid: TokenKid,
) -> Result<Vec<Scenario>, UpgradeError> {
    let all = scenario::discover(dir, "storage/*,auth/*")?;
    let mode_value: crate::env::CredentialsMode = serde_yaml::from_str(mode).unwrap_or_default();
    let kid_scenarios: &[&str] = match token_kid {
        TokenKid::Kid(KidForm::Libtrust) => {
            &["auth/libtrust-kid-rootcert", "auth/jwks-libtrust-kid"]
        }
        TokenKid::Kid(KidForm::Thumbprint) => {
            &["auth/thumbprint-kid-rootcert-rsa", "auth/jwks-kid"]
        }
        TokenKid::X5c => &["auth/x5c-chain"],
        TokenKid::Kid(KidForm::Arbitrary | KidForm::None) => &["auth/jwks-kid"],
    };
    Ok(all
        .into_iter()
        .filter(|s| {
            let storage_match = s.id().starts_with("storage/")
                && s.spec.registry.credentials == mode_value
                && s.spec.identity.workload == workload
                && s.spec.identity.federated_token == crate::env::FederatedToken::Valid;
            let auth_match = token.is_some() && kid_scenarios.contains(&s.id());
            storage_match || auth_match
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_placeholders_and_redacted() {
        let azure: Mapping = serde_yaml::from_str(
            "accountname: prod\naccountkey: c2VjcmV0\ncontainer: c\ncredentials:\n  type: client_secret\n  clientid: id\n  tenantid: t\n  secret: hunter2\n",
        )
        .unwrap();
        let filled = placeholders(&azure);
        assert_eq!(filled["accountkey"], Value::from("{{accountkey}}"));
        assert_eq!(filled["credentials"]["secret"], Value::from("{{secret}}"));
        let shown = redact(&azure);
        assert!(
            !shown.contains("hunter2") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
        assert!(shown.contains("accountname: prod"));
        assert_eq!(credentials_mode(&azure), "client-secret");
    }

    #[test]
    fn the_user_scenario_is_built_as_the_text_form_was() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            "storage:\n  azure:\n    accountname: a\n    accountkey: k\n    container: c\n\
             auth:\n  token:\n    realm: r\n    rootcertbundle: /b.pem\n",
        )
        .unwrap();
        let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let plan = plan(&config, Workload::None, TokenKid::X5c, &scenarios, true).unwrap();
        let user = &plan.user;
        assert_eq!(user.id(), "upgrade-check/your-config");
        assert_eq!(
            user.spec.registry.credentials,
            crate::env::CredentialsMode::SharedKey
        );
        let steps: Vec<String> = user.steps().map(|s| s.describe()).collect();
        assert_eq!(steps.len(), 5, "{steps:?}");
        assert_eq!(steps[1], "push blob large (6291456 bytes, Chunked)");
        let auth = user.spec.auth.as_ref().unwrap();
        assert_eq!(
            (auth.kid, auth.x5c, auth.trust),
            (KidForm::None, true, Trust::Rootcertbundle)
        );
    }
}
