//! Entra ID (`login.microsoftonline.com`): instance discovery, OIDC metadata,
//! the signing keys, and the v2.0 token endpoint for the client credentials
//! grant with a client secret or a client assertion (a federated token).
//! It checks what the real service checks that matters to a registry: the
//! tenant, the client id, the secret, and for an assertion its issuer,
//! subject, audience, signature and validity window. Refusals have the real
//! shape: `error`, `error_description` starting with the AADSTS code,
//! `error_codes`, trace and correlation ids.

use std::sync::Arc;

use hyper::{Method, Response, StatusCode};
use serde_json::{json, Value};

use super::access_token::{audience_of, unix_now};
use super::directory::new_guid;
use super::{fingerprint, Endpoint, IdentityCall, IdentityPlane};
use crate::front_door::{ProxyBody, Service, ServiceFuture, ServiceRequest};
use crate::jose::CompactJws;
use crate::service_http::{get, json_response, query_pairs, read_form};

pub const ENTRA_HOST: &str = "login.microsoftonline.com";
/// The audience Entra ID requires of a federated client assertion.
pub const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Clock skew tolerated on an assertion's start (a client clock slightly
/// ahead). None on its expiry: an expired projected token is refused at once,
/// so a scenario sees a stale token file without waiting out a grace period.
const ASSERTION_SKEW_SECS: i64 = 300;

/// The Entra ID service, routed at [`ENTRA_HOST`].
#[derive(Debug, Clone)]
pub struct EntraId {
    plane: Arc<IdentityPlane>,
}

impl EntraId {
    pub fn new(plane: Arc<IdentityPlane>) -> Self {
        EntraId { plane }
    }
}

impl Service for EntraId {
    fn handle(&self, request: ServiceRequest) -> ServiceFuture<'_> {
        Box::pin(self.answer(request))
    }
}

/// A refusal as Entra ID writes it.
struct Refusal {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

impl Refusal {
    fn new(status: StatusCode, error: &'static str, code: u32, description: String) -> Self {
        Refusal {
            status,
            error,
            code,
            description,
        }
    }

    fn aadsts(&self) -> String {
        format!("AADSTS{}", self.code)
    }

    fn response(&self) -> Response<ProxyBody> {
        let timestamp = entra_timestamp();
        let (trace, correlation) = (new_guid(), new_guid());
        json_response(
            self.status,
            &json!({
                "error": self.error,
                "error_description": format!(
                    "AADSTS{}: {} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {timestamp}",
                    self.code, self.description
                ),
                "error_codes": [self.code],
                "timestamp": timestamp,
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": format!("https://{ENTRA_HOST}/error?code={}", self.code),
            }),
        )
    }
}

fn entra_timestamp() -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

fn tenant_not_found(tenant: &str) -> Refusal {
    Refusal::new(
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        ),
    )
}

impl EntraId {
    async fn answer(&self, request: ServiceRequest) -> Response<ProxyBody> {
        let (parts, body) = request.request.into_parts();
        let path = parts.uri.path().to_string();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (parts.method.clone(), segments.as_slice()) {
            (Method::GET, ["common", "discovery", "instance"]) => {
                self.instance_discovery(parts.uri.query())
            }
            (Method::GET, [tenant, "v2.0", ".well-known", "openid-configuration"]) => {
                self.openid_configuration(tenant)
            }
            (Method::GET, [tenant, "discovery", "v2.0", "keys"]) => self.keys(tenant),
            (Method::POST, [tenant, "oauth2", "v2.0", "token"]) => {
                let form = read_form(body).await.unwrap_or_default();
                self.token(tenant, &form)
            }
            _ => json_response(
                StatusCode::NOT_FOUND,
                &json!({"error": "not_found", "error_description": format!("the mock Entra ID has no {} {path}", parts.method)}),
            ),
        }
    }

    fn instance_discovery(&self, query: Option<&str>) -> Response<ProxyBody> {
        let pairs = query_pairs(query);
        // The authority MSAL asks about names the tenant as its first path segment.
        let tenant = get(&pairs, "authorization_endpoint")
            .and_then(|endpoint| url::Url::parse(endpoint).ok())
            .and_then(|url| url.path_segments()?.next().map(str::to_string))
            .unwrap_or_else(|| "common".into());
        self.plane
            .record(Endpoint::InstanceDiscovery, "", "", 200, None);
        json_response(
            StatusCode::OK,
            &json!({
                "tenant_discovery_endpoint": format!("https://{ENTRA_HOST}/{tenant}/v2.0/.well-known/openid-configuration"),
                "api-version": "1.1",
                "metadata": [{
                    "preferred_network": ENTRA_HOST,
                    "preferred_cache": "login.windows.net",
                    "aliases": [ENTRA_HOST, "login.windows.net", "login.microsoft.com", "sts.windows.net"],
                }],
            }),
        )
    }

    fn openid_configuration(&self, tenant: &str) -> Response<ProxyBody> {
        if tenant != self.plane.tenant_id() {
            let refusal = tenant_not_found(tenant);
            self.plane.record(
                Endpoint::OpenIdConfiguration,
                "",
                "",
                refusal.status.as_u16(),
                Some(refusal.aadsts()),
            );
            return refusal.response();
        }
        self.plane
            .record(Endpoint::OpenIdConfiguration, "", "", 200, None);
        let base = format!("https://{ENTRA_HOST}/{tenant}");
        json_response(
            StatusCode::OK,
            &json!({
                "token_endpoint": format!("{base}/oauth2/v2.0/token"),
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "jwks_uri": format!("{base}/discovery/v2.0/keys"),
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": format!("{base}/v2.0"),
                "request_uri_parameter_supported": false,
                "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
                "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
                "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
                "http_logout_supported": true,
                "frontchannel_logout_supported": true,
                "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid"],
                "kerberos_endpoint": format!("{base}/kerberos"),
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net",
            }),
        )
    }

    fn keys(&self, tenant: &str) -> Response<ProxyBody> {
        if tenant != self.plane.tenant_id() {
            return tenant_not_found(tenant).response();
        }
        self.plane.record(Endpoint::Keys, "", "", 200, None);
        json_response(StatusCode::OK, &self.plane.jwks())
    }

    fn token(&self, tenant: &str, form: &[(String, String)]) -> Response<ProxyBody> {
        let client_id = get(form, "client_id").unwrap_or_default().to_string();
        let grant = if get(form, "client_assertion").is_some() {
            "client_assertion"
        } else if get(form, "client_secret").is_some() {
            "client_secret"
        } else {
            get(form, "grant_type").unwrap_or("none")
        };
        let result = self.grant(tenant, form);
        let (status, error) = match &result {
            Ok(_) => (200, None),
            Err(refusal) => (refusal.status.as_u16(), Some(refusal.aadsts())),
        };
        self.plane.record_call(IdentityCall {
            endpoint: Endpoint::EntraToken,
            grant: grant.to_string(),
            client_id,
            status,
            error,
            assertion: get(form, "client_assertion").map(fingerprint),
            at_ms: 0,
        });
        match result {
            Ok(body) => json_response(StatusCode::OK, &body),
            Err(refusal) => refusal.response(),
        }
    }

    fn grant(&self, tenant: &str, form: &[(String, String)]) -> Result<Value, Refusal> {
        let directory = self.plane.directory();
        if tenant != directory.tenant_id {
            return Err(tenant_not_found(tenant));
        }
        let missing = |name: &str| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                format!("The request body must contain the following parameter: '{name}'."),
            )
        };
        let grant_type = get(form, "grant_type").ok_or_else(|| missing("grant_type"))?;
        if grant_type != "client_credentials" {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{grant_type}'."),
            ));
        }
        let client_id = get(form, "client_id").ok_or_else(|| missing("client_id"))?;
        let scope = get(form, "scope").ok_or_else(|| missing("scope"))?;
        if !scope
            .split_whitespace()
            .next()
            .is_some_and(|s| s.ends_with("/.default"))
        {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                1002012,
                format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
            ));
        }
        let app = directory.application(client_id).ok_or_else(|| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."),
            )
        })?;
        let appidacr = match (get(form, "client_secret"), get(form, "client_assertion")) {
            (_, Some(assertion)) => {
                let assertion_type = get(form, "client_assertion_type").unwrap_or_default();
                if assertion_type != JWT_BEARER {
                    return Err(Refusal::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        900144,
                        format!("The request body must contain the following parameter: 'client_assertion_type' with the value '{JWT_BEARER}'."),
                    ));
                }
                self.check_assertion(app, assertion)?;
                "2"
            }
            (Some(secret), None) => {
                if !app.secrets.iter().any(|known| known == secret) {
                    return Err(Refusal::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        7000215,
                        format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."),
                    ));
                }
                "1"
            }
            (None, None) => {
                return Err(Refusal::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into(),
                ))
            }
        };
        let token = self
            .plane
            .issue_access_token(&audience_of(scope), &app.client_id, appidacr)
            .map_err(|e| {
                Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    90033,
                    format!("A transient error has occurred: {e}"),
                )
            })?;
        Ok(json!({
            "token_type": "Bearer",
            "expires_in": token.expires_in,
            "ext_expires_in": token.expires_in,
            "access_token": token.jwt,
        }))
    }

    /// The federated identity credential checks, in the order Entra ID
    /// reports them: a parseable JWT, a credential for its issuer, audience
    /// and subject, a valid signature, and a current validity window.
    fn check_assertion(&self, app: &super::Application, assertion: &str) -> Result<(), Refusal> {
        let invalid = |code: u32, description: String| {
            Refusal::new(StatusCode::BAD_REQUEST, "invalid_client", code, description)
        };
        let jws = CompactJws::parse(assertion)
            .map_err(|_| invalid(50027, "JWT token is invalid or malformed.".into()))?;
        let issuer = jws.claim_str("iss").unwrap_or_default();
        let subject = jws.claim_str("sub").unwrap_or_default();
        let audiences = jws.audiences();
        let by_issuer: Vec<_> = app
            .federated_credentials
            .iter()
            .filter(|c| c.issuer == issuer)
            .collect();
        if by_issuer.is_empty() {
            return Err(invalid(700211, format!("No matching federated identity record found for presented assertion issuer '{issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.")));
        }
        let by_audience: Vec<_> = by_issuer
            .into_iter()
            .filter(|c| audiences.contains(&c.audience.as_str()))
            .collect();
        if by_audience.is_empty() {
            return Err(invalid(700212, format!("No matching federated identity record found for presented assertion audience '{}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", audiences.join(","))));
        }
        let Some(credential) = by_audience.into_iter().find(|c| c.subject == subject) else {
            return Err(invalid(70021, format!("No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{}'.", audiences.join(","))));
        };
        jws.verify(&credential.issuer_key).map_err(|_| {
            invalid(
                700027,
                "Client assertion failed signature validation.".into(),
            )
        })?;
        let now = unix_now() as i64;
        let nbf = jws
            .claim_i64("nbf")
            .or_else(|| jws.claim_i64("iat"))
            .unwrap_or(0);
        let exp = jws.claim_i64("exp").unwrap_or(0);
        if nbf - ASSERTION_SKEW_SECS > now || exp <= now {
            return Err(invalid(700024, format!("Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}.", iso(now), iso(nbf), iso(exp))));
        }
        Ok(())
    }
}

fn iso(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
