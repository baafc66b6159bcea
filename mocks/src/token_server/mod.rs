//! A registry token server following the distribution token spec, served
//! through the front door: `GET /token` with Basic credentials (and
//! `offline_token` for a refresh token), `POST /token` with the password and
//! refresh_token grants, and the Azure Container Registry flow
//! (`POST /oauth2/exchange` turns an Entra ID access token into a refresh
//! token; `/oauth2/token` turns that into an access token, also with Basic
//! user `00000000-0000-0000-0000-000000000000`). Users have per-repository
//! rules; the minting profile and signer decide what the token looks like.

mod minting;
mod scope;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hyper::header::AUTHORIZATION;
use hyper::{Method, Response, StatusCode};
use serde::Serialize;
use serde_json::json;

pub use minting::{mint, Audience, MintedToken, Signature, TokenProfile, TokenSigner, Validity};
pub use scope::{grant, parse_scopes, AccessRule, GrantedAccess, RequestedScope};

use crate::front_door::{ProxyBody, Service, ServiceFuture, ServiceRequest};
use crate::identity::IdentityPlane;
use crate::service_http::{get, get_all, json_response, query_pairs, read_form};

/// The user name ACR expects with a refresh token as the password.
pub const ACR_REFRESH_USER: &str = "00000000-0000-0000-0000-000000000000";

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub password: String,
    pub rules: Vec<AccessRule>,
}

pub struct TokenServerConfig {
    /// The `service` the registry names in its challenge; tokens for another are refused.
    pub service: String,
    pub users: Vec<User>,
    pub profile: TokenProfile,
    pub signer: TokenSigner,
    /// Verifies Entra ID access tokens for `/oauth2/exchange`, with the rules
    /// an exchanged identity gets. `None`: the exchange is refused.
    pub entra: Option<(Arc<IdentityPlane>, Vec<AccessRule>)>,
}

/// One request the token server answered.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenCall {
    /// `token`, `oauth2/exchange`, `oauth2/token`.
    pub endpoint: String,
    /// `basic`, `password`, `refresh_token`, `access_token`.
    pub grant: String,
    pub subject: String,
    pub status: u16,
    /// The scopes granted, `name:actions`, or the refusal.
    pub detail: String,
}

pub struct TokenServer {
    config: TokenServerConfig,
    refresh_tokens: Mutex<HashMap<String, (String, Vec<AccessRule>)>>,
    calls: Mutex<Vec<TokenCall>>,
}

impl std::fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenServer")
            .field("service", &self.config.service)
            .finish_non_exhaustive()
    }
}

/// A refusal: status and the OAuth-style error body.
struct Refusal(StatusCode, &'static str, String);

impl TokenServer {
    pub fn new(config: TokenServerConfig) -> Arc<Self> {
        Arc::new(TokenServer {
            config,
            refresh_tokens: Mutex::new(HashMap::new()),
            calls: Mutex::new(Vec::new()),
        })
    }

    pub fn calls(&self) -> Vec<TokenCall> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, call: TokenCall) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
    }

    fn new_refresh_token(&self, subject: &str, rules: &[AccessRule]) -> String {
        let token = hex::encode(rand::random::<[u8; 24]>());
        self.refresh_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), (subject.to_string(), rules.to_vec()));
        token
    }

    fn refresh_subject(&self, token: &str) -> Option<(String, Vec<AccessRule>)> {
        self.refresh_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    fn user(&self, name: &str, password: &str) -> Option<&User> {
        self.config
            .users
            .iter()
            .find(|u| u.name == name && u.password == password)
    }
}

/// The route target: an `Arc<TokenServer>` answers every path it knows.
#[derive(Debug, Clone)]
pub struct TokenService(pub Arc<TokenServer>);

impl Service for TokenService {
    fn handle(&self, request: ServiceRequest) -> ServiceFuture<'_> {
        Box::pin(self.0.clone().answer(request))
    }
}

fn basic_credentials(headers: &hyper::HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

impl TokenServer {
    async fn answer(self: Arc<Self>, request: ServiceRequest) -> Response<ProxyBody> {
        let (parts, body) = request.request.into_parts();
        let path = parts.uri.path().trim_end_matches('/').to_string();
        let query = query_pairs(parts.uri.query());
        let form = if parts.method == Method::POST {
            read_form(body).await.unwrap_or_default()
        } else {
            Vec::new()
        };
        let basic = basic_credentials(&parts.headers);
        let (endpoint, result) = match (parts.method.clone(), path.as_str()) {
            (Method::GET, "/token") => ("token", self.get_token(&query, basic)),
            (Method::POST, "/token") => ("token", self.post_token(&form)),
            (Method::POST, "/oauth2/exchange") => ("oauth2/exchange", self.exchange(&form)),
            (Method::GET, "/oauth2/token") => ("oauth2/token", self.get_token(&query, basic)),
            (Method::POST, "/oauth2/token") => ("oauth2/token", self.post_token(&form)),
            _ => (
                "unknown",
                Err(Refusal(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no {} {path} here", parts.method),
                )),
            ),
        };
        match result {
            Ok((call, body)) => {
                self.record(TokenCall {
                    endpoint: endpoint.into(),
                    status: 200,
                    ..call
                });
                json_response(StatusCode::OK, &body)
            }
            Err(Refusal(status, error, detail)) => {
                self.record(TokenCall {
                    endpoint: endpoint.into(),
                    grant: String::new(),
                    subject: String::new(),
                    status: status.as_u16(),
                    detail: format!("{error}: {detail}"),
                });
                let mut response = json_response(
                    status,
                    &json!({"error": error, "error_description": detail, "details": detail}),
                );
                if status == StatusCode::UNAUTHORIZED {
                    response.headers_mut().insert(
                        hyper::header::WWW_AUTHENTICATE,
                        hyper::header::HeaderValue::from_static(
                            "Basic realm=\"regmatrix token server\"",
                        ),
                    );
                }
                response
            }
        }
    }

    fn authenticate(&self, user: &str, password: &str) -> Result<&User, Refusal> {
        self.user(user, password).ok_or_else(|| {
            Refusal(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!("bad credentials for {user}"),
            )
        })
    }

    /// The subject and rules a refresh token stands for; `error` is the
    /// OAuth error name the calling endpoint uses for an unknown one.
    fn redeem(
        &self,
        token: &str,
        error: &'static str,
    ) -> Result<(String, Vec<AccessRule>), Refusal> {
        self.refresh_subject(token).ok_or_else(|| {
            Refusal(
                StatusCode::UNAUTHORIZED,
                error,
                "unknown refresh token".into(),
            )
        })
    }

    fn check_service(&self, service: Option<&str>) -> Result<(), Refusal> {
        match service {
            Some(s) if s == self.config.service => Ok(()),
            other => Err(Refusal(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("unknown service {:?}", other.unwrap_or_default()),
            )),
        }
    }

    /// `GET /token?service=..&scope=..[&offline_token=true]` with Basic
    /// credentials: a user and password, or the ACR refresh-token user.
    fn get_token(
        &self,
        query: &[(String, String)],
        basic: Option<(String, String)>,
    ) -> Result<(TokenCall, serde_json::Value), Refusal> {
        self.check_service(get(query, "service"))?;
        let (subject, rules, grant_kind) = match basic {
            Some((user, password)) if user == ACR_REFRESH_USER => {
                let (subject, rules) = self.redeem(&password, "unauthorized")?;
                (subject, rules, "refresh_token")
            }
            Some((user, password)) => {
                let found = self.authenticate(&user, &password)?;
                (found.name.clone(), found.rules.clone(), "basic")
            }
            None => ("".to_string(), Vec::new(), "anonymous"),
        };
        let offline = get(query, "offline_token") == Some("true");
        let refresh =
            (offline && grant_kind == "basic").then(|| self.new_refresh_token(&subject, &rules));
        self.issue(
            &subject,
            &rules,
            get_all(query, "scope"),
            grant_kind,
            refresh,
            true,
        )
    }

    /// `POST /token` (and ACR's `/oauth2/token`): password or refresh_token grant.
    fn post_token(
        &self,
        form: &[(String, String)],
    ) -> Result<(TokenCall, serde_json::Value), Refusal> {
        self.check_service(get(form, "service"))?;
        let grant_type = get(form, "grant_type").unwrap_or_default();
        let (subject, rules, refresh) = match grant_type {
            "password" => {
                let user = get(form, "username").unwrap_or_default();
                let password = get(form, "password").unwrap_or_default();
                let found = self.authenticate(user, password)?;
                let refresh = (get(form, "access_type") == Some("offline"))
                    .then(|| self.new_refresh_token(&found.name, &found.rules));
                (found.name.clone(), found.rules.clone(), refresh)
            }
            "refresh_token" => {
                let token = get(form, "refresh_token").unwrap_or_default();
                let (subject, rules) = self.redeem(token, "invalid_grant")?;
                (subject, rules, None)
            }
            other => {
                return Err(Refusal(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    format!("grant_type {other:?}"),
                ))
            }
        };
        self.issue(
            &subject,
            &rules,
            get_all(form, "scope"),
            grant_type,
            refresh,
            false,
        )
    }

    fn issue<'a>(
        &self,
        subject: &str,
        rules: &[AccessRule],
        scopes: impl Iterator<Item = &'a str>,
        grant_kind: &str,
        refresh_token: Option<String>,
        both_names: bool,
    ) -> Result<(TokenCall, serde_json::Value), Refusal> {
        let granted = grant(&parse_scopes(scopes), rules);
        let minted =
            mint(&self.config.profile, &self.config.signer, subject, &granted).map_err(|e| {
                Refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    e.to_string(),
                )
            })?;
        let mut body = json!({
            "access_token": minted.jwt,
            "expires_in": minted.expires_in,
            "issued_at": minted.issued_at,
        });
        // GET /token answers both names (old docker clients read `token`).
        if both_names {
            body["token"] = body["access_token"].clone();
        }
        if let Some(refresh) = refresh_token {
            body["refresh_token"] = refresh.into();
        }
        let detail = granted
            .iter()
            .map(|g| format!("{}:{}", g.name, g.actions.join(",")))
            .collect::<Vec<_>>()
            .join(" ");
        Ok((
            TokenCall {
                endpoint: String::new(),
                grant: grant_kind.to_string(),
                subject: subject.to_string(),
                status: 200,
                detail,
            },
            body,
        ))
    }

    /// ACR: `grant_type=access_token&service=..&tenant=..&access_token=<Entra JWT>`.
    fn exchange(
        &self,
        form: &[(String, String)],
    ) -> Result<(TokenCall, serde_json::Value), Refusal> {
        self.check_service(get(form, "service"))?;
        if get(form, "grant_type") != Some("access_token") {
            return Err(Refusal(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be access_token".into(),
            ));
        }
        let Some((plane, rules)) = &self.config.entra else {
            return Err(Refusal(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "no Entra ID trust configured".into(),
            ));
        };
        let token = get(form, "access_token").unwrap_or_default();
        let claims = plane
            .verify_access_token(token)
            .map_err(|e| Refusal(StatusCode::UNAUTHORIZED, "unauthorized", e))?;
        if let Some(tenant) = get(form, "tenant") {
            if claims.get("tid").and_then(|v| v.as_str()) != Some(tenant) {
                return Err(Refusal(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    format!("token is not from tenant {tenant}"),
                ));
            }
        }
        let subject = claims
            .get("appid")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let refresh = self.new_refresh_token(&subject, rules);
        Ok((
            TokenCall {
                endpoint: String::new(),
                grant: "access_token".into(),
                subject,
                status: 200,
                detail: "refresh token issued".into(),
            },
            json!({ "refresh_token": refresh }),
        ))
    }
}
