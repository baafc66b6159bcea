//! `check-credentials`: which credential every request to Blob storage
//! carried, and how many tokens the identity endpoints issued. It only
//! reads the traffic log; it must not send requests.

use regmatrix_mocks::front_door::{AuthScheme, TrafficRecord};
use regmatrix_mocks::identity::Endpoint;
use serde::Deserialize;

use super::{is_storage_host, StepAction, StepContext, StepError, StepKind};

/// Every request to Blob storage so far carried one of `schemes`
/// (`bearer`, `sas`, `shared_key`, `none`) and at least `min-token-grants`
/// tokens were issued by the identity endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckCredentials {
    pub schemes: Vec<AuthScheme>,
    #[serde(rename = "min-token-grants", default)]
    pub min_token_grants: usize,
}

impl CheckCredentials {
    fn joined(&self) -> String {
        let words: Vec<&str> = self.schemes.iter().map(|s| s.as_str()).collect();
        words.join("/")
    }
}

impl StepAction for CheckCredentials {
    fn kind(&self) -> StepKind {
        StepKind::CheckCredentials
    }

    fn describe(&self) -> String {
        format!("Blob storage saw only {} credentials", self.joined())
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (target, schemes, min_token_grants) = (cx.target, &self.schemes, self.min_token_grants);
        let storage: Vec<TrafficRecord> = target
            .traffic
            .since(cx.traffic_start)
            .into_iter()
            .filter(|r| is_storage_host(&r.host))
            .collect();
        let offending: Vec<&TrafficRecord> = storage
            .iter()
            .filter(|r| !schemes.contains(&r.auth_scheme))
            .collect();
        if let Some(first) = offending.first() {
            return Err(StepError::Unmet(format!(
                "{} of {} requests to Blob storage carried a credential other than {}: first {} {} with {} ({})",
                offending.len(),
                storage.len(),
                self.joined(),
                first.method,
                first.path.split('?').next().unwrap_or_default(),
                first.auth_scheme,
                first.status
            )));
        }
        let grants = target
            .identity
            .calls()
            .iter()
            .filter(|c| {
                c.status == 200
                    && matches!(
                        c.endpoint,
                        Endpoint::EntraToken | Endpoint::Imds | Endpoint::AppService
                    )
            })
            .count();
        if grants < min_token_grants {
            return Err(StepError::Unmet(format!(
                "the identity endpoints issued {grants} tokens; the scenario needs at least {min_token_grants} (a refresh did not happen)"
            )));
        }
        Ok(format!(
            "all {} requests to Blob storage carried {}; tokens issued: {grants}",
            storage.len(),
            self.joined()
        ))
    }
}
