//! Token authentication for one environment, acting on an [`AuthSetup`]:
//! the token server's signing key and the names tokens give it, the files
//! the registry is told to trust, the token server on the front door, and
//! the credentials the harness's client logs in with. Attacks are built here
//! too: tokens a registry must refuse whatever it trusts. It must not define
//! the `[auth]` schema (`setup` does) or render the registry config.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use regmatrix_mocks::front_door::{FrontDoor, Route, Target};
use regmatrix_mocks::identity::IdentityPlane;
use regmatrix_mocks::jose::{AnyKey, AnyPublicKey, JoseError, SigningKey};
use regmatrix_mocks::pki::CertificateAuthority;
use regmatrix_mocks::seed::Seed;
use regmatrix_mocks::token_server::{
    AccessRule, Audience, Signature, TokenProfile, TokenServer, TokenServerConfig, TokenService,
    TokenSigner, User, Validity, ACR_REFRESH_USER,
};
use serde_json::{Map, Value};

use super::setup::{Attack, AuthSetup, Flow, KeyName, Login, TokenShape, Trust};
use crate::client::Credentials;
use crate::env::EnvError;
use crate::migrate::{jwks_from_certificates, JwksKids};
use crate::registry_config::TokenAuthConfig;

pub const TOKEN_HOST: &str = "auth.regmatrix.test";
pub const ACR_HOST: &str = "regmatrix.azurecr.io";
pub const ISSUER: &str = "regmatrix-token-server";
pub const SERVICE: &str = "regmatrix-registry";
const TOKEN_LIFETIME: Duration = Duration::from_secs(300);

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

fn mock<E>(what: &'static str) -> impl Fn(E) -> EnvError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| EnvError::TokenServer {
        what,
        source: Box::new(e),
    }
}

impl TokenAuth {
    pub fn start(
        setup: &AuthSetup,
        repository: &str,
        front_door: &FrontDoor,
        identity: &Arc<IdentityPlane>,
        run_dir: &Path,
        seed: Seed,
    ) -> Result<Self, EnvError> {
        // From the cell's seed, so a kid derived from the key's bytes (libtrust,
        // thumbprint) is the same when the cell runs again.
        let key = match &setup.key_file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| JoseError::Key(format!("{}: {e}", path.display())))
                .and_then(|pem| AnyKey::from_pkcs8_pem(&pem)),
            None => AnyKey::from_seed(setup.key.kind(), seed.derive("token-signing-key")),
        }
        .map_err(mock("key"))?;
        let public = key.public();
        let token_ca = CertificateAuthority::generate("regmatrix token CA").map_err(mock("CA"))?;
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
            .map_err(mock("certificate"))?;
        if setup.x5c {
            let intermediate = token_ca
                .issue_intermediate("regmatrix token intermediate")
                .map_err(mock("intermediate"))?;
            let leaf = intermediate
                .issue_for_key("regmatrix token signer", &key.pkcs8_pem())
                .map_err(mock("leaf"))?;
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
            .map_err(mock("jwks"))?;
            write(path, &document.to_string())?;
        }

        let signer = attack_signer(
            setup.attack,
            key,
            &public,
            header,
            &token_kid,
            seed.derive("attacker-key"),
        )?;
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
        // What an Entra ID identity exchanged for a token may do (ACR's flow).
        let (_, own_repository) = login_rules(Login::Pusher, repository);
        let password = hex::encode(seed.derive("login-password").bytes::<12>());
        let (user, rules) = login_rules(setup.login, repository);
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
                    .map_err(mock("route"))?,
            )
            .map_err(mock("route"))?;
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
        principal: &crate::registry_config::ServicePrincipal,
    ) -> Result<(), EnvError> {
        let fail = |what| move |source| EnvError::AcrLogin { what, source };
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
            .map_err(fail("Entra ID"))?
            .json()
            .await
            .map_err(fail("Entra ID"))?;
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
            .map_err(fail("exchange"))?
            .json()
            .await
            .map_err(fail("exchange"))?;
        let refresh =
            exchanged["refresh_token"]
                .as_str()
                .ok_or_else(|| EnvError::AcrNoRefreshToken {
                    response: exchanged.to_string(),
                })?;
        self.credentials = Credentials {
            username: ACR_REFRESH_USER.into(),
            password: refresh.to_string(),
        };
        Ok(())
    }
}

/// The account a login names and what the token server lets it do.
fn login_rules(login: Login, repository: &str) -> (&'static str, Vec<AccessRule>) {
    let rule = |repository: String, actions: &[&str]| AccessRule {
        repository,
        actions: actions.iter().map(ToString::to_string).collect(),
    };
    match login {
        Login::Pusher => ("pusher", vec![rule(repository.into(), &["pull", "push"])]),
        Login::Reader => ("reader", vec![rule(repository.into(), &["pull"])]),
        Login::Maintainer => (
            "maintainer",
            vec![rule(format!("{repository}*"), &["pull", "push", "delete"])],
        ),
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
    attacker_seed: Seed,
) -> Result<TokenSigner, EnvError> {
    // Attacks borrow the trusted key's name so the registry looks it up.
    let trusted_kid = token_kid
        .clone()
        .unwrap_or_else(|| public.libtrust_key_id());
    let attacker = || AnyKey::from_seed(key.kind(), attacker_seed).map_err(mock("attacker key"));
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
            let rogue_ca = CertificateAuthority::generate("rogue CA").map_err(mock("rogue CA"))?;
            let leaf = rogue_ca
                .issue_for_key("regmatrix token signer", &evil.pkcs8_pem())
                .map_err(mock("rogue leaf"))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use regmatrix_mocks::token_server::{grant, parse_scopes};

    fn granted(login: Login, scope: &str) -> Vec<String> {
        let (_, rules) = login_rules(login, "conformance/x");
        let requested = parse_scopes([scope]);
        grant(&requested, &rules)
            .into_iter()
            .flat_map(|g| g.actions)
            .collect()
    }

    #[test]
    fn a_maintainer_may_delete_and_reach_the_second_repository_a_pusher_may_not() {
        let delete = "repository:conformance/x:pull,push,delete";
        assert_eq!(
            granted(Login::Maintainer, delete),
            ["pull", "push", "delete"]
        );
        assert_eq!(granted(Login::Pusher, delete), ["pull", "push"]);
        assert_eq!(granted(Login::Reader, delete), ["pull"]);
        let second = "repository:conformance/x-2:pull,push";
        assert_eq!(granted(Login::Maintainer, second), ["pull", "push"]);
        assert!(granted(Login::Pusher, second).is_empty());
        assert!(granted(Login::Maintainer, "repository:other/y:pull").is_empty());
    }
}
