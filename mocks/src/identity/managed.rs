//! Managed identity endpoints: IMDS as a VM or AKS node exposes it at
//! `http://169.254.169.254`, and the App Service style endpoint a process
//! finds through `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`. Both hand out
//! Entra ID access tokens for the identity the request selects.

use std::sync::Arc;

use hyper::{Method, Response, StatusCode};
use serde_json::json;

use super::access_token::audience_of;
use super::{Endpoint, IdentityPlane};
use crate::front_door::{ProxyBody, Service, ServiceFuture, ServiceRequest};
use crate::service_http::{get, json_response, query_pairs};

pub const IMDS_HOST: &str = "169.254.169.254";
const IMDS_TOKEN_PATH: &str = "/metadata/identity/oauth2/token";
/// The path the App Service endpoint answers on (`IDENTITY_ENDPOINT` names it).
pub const APP_SERVICE_PATH: &str = "/msi/token";

/// IMDS, routed at [`IMDS_HOST`].
#[derive(Debug, Clone)]
pub struct Imds {
    plane: Arc<IdentityPlane>,
}

impl Imds {
    pub fn new(plane: Arc<IdentityPlane>) -> Self {
        Imds { plane }
    }
}

impl Service for Imds {
    fn handle(&self, request: ServiceRequest) -> ServiceFuture<'_> {
        Box::pin(self.answer(request))
    }
}

fn imds_error(status: StatusCode, error: &str, description: &str) -> Response<ProxyBody> {
    json_response(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

impl Imds {
    async fn answer(&self, request: ServiceRequest) -> Response<ProxyBody> {
        let parts = request.request.into_parts().0;
        if parts.uri.path() != IMDS_TOKEN_PATH || parts.method != Method::GET {
            return imds_error(StatusCode::NOT_FOUND, "not_found", "Not found");
        }
        let has_metadata = parts
            .headers
            .get("metadata")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let pairs = query_pairs(parts.uri.query());
        let requested = get(&pairs, "client_id");
        // azidentity 1.8 probes IMDS without the header (and without a query)
        // first; any answer means "IMDS is here". The real IMDS answers 400
        // `bad_request_102` (its documented error table).
        if !has_metadata {
            self.plane.record(
                Endpoint::Imds,
                "probe",
                requested.unwrap_or_default(),
                400,
                Some("Required metadata header not specified".into()),
            );
            return imds_error(
                StatusCode::BAD_REQUEST,
                "bad_request_102",
                "Required metadata header not specified",
            );
        }
        let refuse = |description: &str| {
            self.plane.record(
                Endpoint::Imds,
                "managed_identity",
                requested.unwrap_or_default(),
                400,
                Some(description.into()),
            );
            imds_error(StatusCode::BAD_REQUEST, "invalid_request", description)
        };
        if get(&pairs, "api-version").is_none() {
            return refuse("Required query variable 'api-version' is missing");
        }
        let Some(resource) = get(&pairs, "resource") else {
            return refuse("Required query variable 'resource' is missing");
        };
        let Some(identity) = self
            .plane
            .directory()
            .managed_identities
            .select(requested)
            .map(str::to_string)
        else {
            return refuse("Identity not found");
        };
        issue(&self.plane, Endpoint::Imds, resource, &identity)
    }
}

/// The App Service (and Functions) identity endpoint, API version 2019-08-01.
#[derive(Debug, Clone)]
pub struct AppServiceIdentity {
    plane: Arc<IdentityPlane>,
    header_secret: String,
}

impl AppServiceIdentity {
    /// `header_secret` is the value the process gets as `IDENTITY_HEADER`.
    pub fn new(plane: Arc<IdentityPlane>, header_secret: String) -> Self {
        AppServiceIdentity {
            plane,
            header_secret,
        }
    }
}

impl Service for AppServiceIdentity {
    fn handle(&self, request: ServiceRequest) -> ServiceFuture<'_> {
        Box::pin(self.answer(request))
    }
}

impl AppServiceIdentity {
    async fn answer(&self, request: ServiceRequest) -> Response<ProxyBody> {
        let parts = request.request.into_parts().0;
        let pairs = query_pairs(parts.uri.query());
        let requested = get(&pairs, "client_id");
        let refuse = |status: StatusCode, description: &str| {
            self.plane.record(
                Endpoint::AppService,
                "managed_identity",
                requested.unwrap_or_default(),
                status.as_u16(),
                Some(description.into()),
            );
            json_response(
                status,
                &json!({"statusCode": status.as_u16(), "message": description}),
            )
        };
        if parts.uri.path().trim_end_matches('/') != APP_SERVICE_PATH || parts.method != Method::GET
        {
            return refuse(StatusCode::NOT_FOUND, "Not found");
        }
        let header = parts
            .headers
            .get("x-identity-header")
            .and_then(|v| v.to_str().ok());
        if header != Some(self.header_secret.as_str()) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER",
            );
        }
        if get(&pairs, "api-version") != Some("2019-08-01") {
            return refuse(StatusCode::BAD_REQUEST, "api-version must be 2019-08-01");
        }
        let Some(resource) = get(&pairs, "resource") else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Required query variable 'resource' is missing",
            );
        };
        let Some(identity) = self
            .plane
            .directory()
            .managed_identities
            .select(requested)
            .map(str::to_string)
        else {
            return refuse(StatusCode::BAD_REQUEST, "Identity not found");
        };
        issue(&self.plane, Endpoint::AppService, resource, &identity)
    }
}

/// A token answer in the managed identity shape: every number a string.
fn issue(
    plane: &IdentityPlane,
    endpoint: Endpoint,
    resource: &str,
    identity: &str,
) -> Response<ProxyBody> {
    let kind = if plane
        .directory()
        .managed_identities
        .system_assigned
        .as_deref()
        == Some(identity)
    {
        "managed_identity(system-assigned)"
    } else {
        "managed_identity(user-assigned)"
    };
    match plane.issue_access_token(&audience_of(resource), identity, "0") {
        Ok(token) => {
            plane.record(endpoint, kind, identity, 200, None);
            let mut body = json!({
                "access_token": token.jwt,
                "client_id": identity,
                "expires_on": token.expires_on.to_string(),
                "resource": resource,
                "token_type": "Bearer",
            });
            if endpoint == Endpoint::Imds {
                body["expires_in"] = token.expires_in.to_string().into();
                body["ext_expires_in"] = token.expires_in.to_string().into();
                body["not_before"] = token.not_before.to_string().into();
            }
            json_response(StatusCode::OK, &body)
        }
        Err(e) => {
            plane.record(
                endpoint,
                "managed_identity",
                identity,
                500,
                Some(e.to_string()),
            );
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": "server_error", "error_description": e.to_string()}),
            )
        }
    }
}
