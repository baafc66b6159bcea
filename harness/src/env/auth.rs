//! Token authentication for one environment: the token server's signing key
//! and how its tokens name that key (a libtrust key ID, an RFC 7638
//! thumbprint, another string, nothing; an `x5c` chain), what the registry
//! is told to trust (`rootcertbundle`, `jwks`, both, restricted algorithms),
//! the token server itself on the front door, and the credentials the
//! harness's client logs in with. Attacks are built here too: tokens a
//! registry must refuse whatever it trusts.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use regmatrix_mocks::front_door::{FrontDoor, Route, Target};
use regmatrix_mocks::identity::IdentityPlane;
use regmatrix_mocks::jose::{AnyKey, AnyPublicKey, KeyKind, SigningKey};
use regmatrix_mocks::pki::CertificateAuthority;
use regmatrix_mocks::token_server::{
    AccessRule, Audience, Signature, TokenProfile, TokenServer, TokenServerConfig, TokenService,
    TokenSigner, User, Validity, ACR_REFRESH_USER,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::config::TokenAuthConfig;
use super::EnvError;
use crate::client::Credentials;
use crate::migrate::{jwks_from_certificates, JwksKids};

pub const TOKEN_HOST: &str = "auth.regmatrix.test";
pub const ACR_HOST: &str = "regmatrix.azurecr.io";
pub const ISSUER: &str = "regmatrix-token-server";
pub const SERVICE: &str = "regmatrix-registry";
const TOKEN_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    #[default]
    Rsa,
    Ec,
    Ed25519,
}

impl KeyType {
    fn kind(self) -> KeyKind {
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
}

const ARBITRARY_KID: &str = "regmatrix-signing-key-1";

/// The kid `name` gives `key`.
pub fn key_name(name: &KeyName, key: &AnyPublicKey) -> Option<String> {
    match name {
        KeyName::Libtrust => Some(key.libtrust_key_id()),
        KeyName::Thumbprint => Some(key.jwk_thumbprint()),
        KeyName::Arbitrary => Some(ARBITRARY_KID.to_string()),
        KeyName::None => None,
    }
}

/// What the environment built: the registry's `auth.token` section, the
/// client's login, and the token server (for its call log).
pub struct TokenAuth {
    pub config: TokenAuthConfig,
    pub credentials: Credentials,
    pub server: Arc<TokenServer>,
}

fn mock(what: &str) -> impl Fn(String) -> EnvError + '_ {
    move |e| EnvError::FrontDoor(format!("token auth ({what}): {e}"))
}

impl TokenAuth {
    pub fn start(
        setup: &AuthSetup,
        repository: &str,
        front_door: &FrontDoor,
        identity: &Arc<IdentityPlane>,
        run_dir: &Path,
    ) -> Result<Self, EnvError> {
        let key = AnyKey::generate(setup.key.kind()).map_err(|e| mock("key")(e.to_string()))?;
        let public = key.public();
        let token_ca = CertificateAuthority::generate("regmatrix token CA")
            .map_err(|e| mock("CA")(e.to_string()))?;
        let mut config = planned_config(setup, run_dir);
        if let Some(dir) = config
            .rootcertbundle
            .iter()
            .chain(&config.jwks)
            .next()
            .and_then(|p| p.parent())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| EnvError::io("create the auth directory", e))?;
        }

        // What the registry trusts.
        let mut header = Map::new();
        let token_kid = key_name(&setup.kid, &public);
        if let Some(kid) = &token_kid {
            header.insert("kid".into(), kid.clone().into());
        }
        let signing_cert = token_ca
            .issue_for_key("regmatrix token signer", &key.pkcs8_pem())
            .map_err(|e| mock("certificate")(e.to_string()))?;
        if setup.x5c {
            let intermediate = token_ca
                .issue_intermediate("regmatrix token intermediate")
                .map_err(|e| mock("intermediate")(e.to_string()))?;
            let leaf = intermediate
                .issue_for_key("regmatrix token signer", &key.pkcs8_pem())
                .map_err(|e| mock("leaf")(e.to_string()))?;
            header.insert(
                "x5c".into(),
                Value::from(vec![
                    STANDARD.encode(leaf.cert_der.as_ref()),
                    STANDARD.encode(intermediate.cert_der().as_ref()),
                ]),
            );
        }
        // x5c chains to the root; a bare kid needs the signing key's own
        // certificate, as 2.8 derives trusted key IDs from each bundle cert.
        let bundle = if setup.x5c {
            token_ca.cert_pem().to_string()
        } else {
            signing_cert.cert_pem.clone()
        };
        if let Some(path) = &config.rootcertbundle {
            write(path, &bundle)?;
        }
        if let Some(path) = &config.jwks {
            let name = setup.jwks_kid.unwrap_or_else(|| {
                if token_kid.is_some() {
                    setup.kid
                } else {
                    KeyName::Arbitrary
                }
            });
            // Key-derived kids come from the signing certificate through the
            // same code as `regmatrix jwks from-cert`, so a passing scenario
            // proves the migration tool.
            let pem = vec![(
                "signing certificate".to_string(),
                signing_cert.cert_pem.clone(),
            )];
            let document = match name {
                KeyName::Libtrust => jwks_from_certificates(&pem, JwksKids::Libtrust),
                KeyName::Thumbprint => jwks_from_certificates(&pem, JwksKids::Thumbprint),
                KeyName::Arbitrary | KeyName::None => {
                    Ok(serde_json::json!({ "keys": [public.jwk(ARBITRARY_KID)] }))
                }
            }
            .map_err(|e| mock("jwks")(e.to_string()))?;
            write(path, &document.to_string())?;
        }

        let signer = attack_signer(setup.attack, key, &public, header, &token_kid)?;
        let (service, realm_host) = match setup.flow {
            Flow::Docker => (SERVICE, TOKEN_HOST),
            Flow::AcrExchange => (ACR_HOST, ACR_HOST),
        };
        let profile = TokenProfile {
            issuer: match setup.token {
                TokenShape::WrongIssuer => "some-other-token-server".into(),
                _ => ISSUER.into(),
            },
            audience: match setup.token {
                TokenShape::WrongService => Audience::Single("some-other-registry".into()),
                TokenShape::AudienceList => {
                    Audience::List(vec!["some-other-registry".into(), service.into()])
                }
                _ => Audience::Single(service.into()),
            },
            lifetime: TOKEN_LIFETIME,
            validity: match setup.token {
                TokenShape::Expired => Validity::Expired,
                TokenShape::NotYetValid => Validity::NotYetValid,
                _ => Validity::Current,
            },
        };
        let own_repository = vec![AccessRule {
            repository: repository.to_string(),
            actions: vec!["pull".into(), "push".into()],
        }];
        let password = hex::encode(rand::random::<[u8; 12]>());
        let (user, rules) = match setup.login {
            Login::Pusher => ("pusher", own_repository.clone()),
            Login::Reader => (
                "reader",
                vec![AccessRule {
                    repository: repository.to_string(),
                    actions: vec!["pull".into()],
                }],
            ),
        };
        let server = TokenServer::new(TokenServerConfig {
            service: service.into(),
            users: vec![User {
                name: user.into(),
                password: password.clone(),
                rules,
            }],
            profile,
            signer,
            entra: Some((identity.clone(), own_repository)),
        });
        front_door
            .add_route(
                Route::to(realm_host, Target::service(TokenService(server.clone())))
                    .map_err(|e| mock("route")(e.to_string()))?,
            )
            .map_err(|e| mock("route")(e.to_string()))?;
        config.signing_algorithms = setup.signing_algorithms.clone();
        Ok(TokenAuth {
            config,
            credentials: Credentials {
                username: user.into(),
                password,
            },
            server,
        })
    }

    /// `az acr login`: an Entra ID token for the app (client credentials),
    /// exchanged at `/oauth2/exchange` for a refresh token that becomes the
    /// password of the all-zero user.
    pub async fn acr_login(
        &mut self,
        http: &reqwest::Client,
        principal: &super::ServicePrincipal,
    ) -> Result<(), EnvError> {
        let fail = |what: &str, e: String| EnvError::FrontDoor(format!("ACR login ({what}): {e}"));
        let entra: Value = http
            .post(format!(
                "https://{}/{}/oauth2/v2.0/token",
                regmatrix_mocks::identity::ENTRA_HOST,
                principal.tenant_id
            ))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", principal.client_id.as_str()),
                ("client_secret", principal.secret.as_str()),
                ("scope", "https://containerregistry.azure.net/.default"),
            ])
            .send()
            .await
            .map_err(|e| fail("Entra ID", e.to_string()))?
            .json()
            .await
            .map_err(|e| fail("Entra ID", e.to_string()))?;
        let access_token = entra["access_token"].as_str().unwrap_or_default();
        let exchanged: Value = http
            .post(format!("https://{ACR_HOST}/oauth2/exchange"))
            .form(&[
                ("grant_type", "access_token"),
                ("service", ACR_HOST),
                ("tenant", principal.tenant_id.as_str()),
                ("access_token", access_token),
            ])
            .send()
            .await
            .map_err(|e| fail("exchange", e.to_string()))?
            .json()
            .await
            .map_err(|e| fail("exchange", e.to_string()))?;
        let refresh = exchanged["refresh_token"]
            .as_str()
            .ok_or_else(|| fail("exchange", format!("no refresh_token in {exchanged}")))?;
        self.credentials = Credentials {
            username: ACR_REFRESH_USER.into(),
            password: refresh.to_string(),
        };
        Ok(())
    }
}

fn write(path: &Path, text: &str) -> Result<(), EnvError> {
    std::fs::write(path, text).map_err(|e| EnvError::io(&format!("write {}", path.display()), e))
}

/// The signer for `attack`: the honest one for `None`.
fn attack_signer(
    attack: Attack,
    key: AnyKey,
    public: &AnyPublicKey,
    mut header: Map<String, Value>,
    token_kid: &Option<String>,
) -> Result<TokenSigner, EnvError> {
    // Attacks borrow the trusted key's name so the registry looks it up.
    let trusted_kid = token_kid
        .clone()
        .unwrap_or_else(|| public.libtrust_key_id());
    let attacker = || AnyKey::generate(key.kind()).map_err(|e| mock("attacker key")(e.to_string()));
    let honest = |key: AnyKey| Signature::Key(Arc::new(key) as Arc<dyn SigningKey + Send + Sync>);
    let signature = match attack {
        Attack::None => honest(key),
        Attack::AlgNone => {
            header.insert("kid".into(), trusted_kid.into());
            Signature::Unsigned
        }
        Attack::Hs256PublicKey => {
            header.insert("kid".into(), trusted_kid.into());
            Signature::Hmac(spki_pem(&public.spki_der()).into_bytes())
        }
        Attack::EmbeddedJwk => {
            let evil = attacker()?;
            header.insert("kid".into(), trusted_kid.clone().into());
            header.insert("jwk".into(), evil.public().jwk(&trusted_kid));
            honest(evil)
        }
        Attack::UntrustedX5c => {
            let evil = attacker()?;
            let rogue_ca = CertificateAuthority::generate("rogue CA")
                .map_err(|e| mock("rogue CA")(e.to_string()))?;
            let leaf = rogue_ca
                .issue_for_key("regmatrix token signer", &evil.pkcs8_pem())
                .map_err(|e| mock("rogue leaf")(e.to_string()))?;
            header.remove("kid");
            header.insert(
                "x5c".into(),
                Value::from(vec![
                    STANDARD.encode(leaf.cert_der.as_ref()),
                    STANDARD.encode(rogue_ca.cert_der().as_ref()),
                ]),
            );
            honest(evil)
        }
        Attack::KidOtherKey => {
            header.insert("kid".into(), trusted_kid.into());
            honest(attacker()?)
        }
    };
    Ok(TokenSigner { header, signature })
}

fn spki_pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

/// The `auth.token` section `TokenAuth::start` will produce for `setup`,
/// known before any key exists, so a version that cannot express it is
/// answered before anything starts.
pub fn planned_config(setup: &AuthSetup, run_dir: &Path) -> TokenAuthConfig {
    let dir = run_dir.join("auth");
    let (service, realm) = match setup.flow {
        Flow::Docker => (SERVICE, format!("https://{TOKEN_HOST}/token")),
        Flow::AcrExchange => (ACR_HOST, format!("https://{ACR_HOST}/oauth2/token")),
    };
    TokenAuthConfig {
        realm,
        service: service.into(),
        issuer: ISSUER.into(),
        rootcertbundle: matches!(setup.trust, Trust::Rootcertbundle | Trust::Both)
            .then(|| dir.join("rootcertbundle.pem")),
        jwks: matches!(setup.trust, Trust::Jwks | Trust::Both).then(|| dir.join("jwks.json")),
        signing_algorithms: setup.signing_algorithms.clone(),
    }
}
