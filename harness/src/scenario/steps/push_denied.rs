//! `push-denied`: a push the registry must refuse (401/403). The refusal's
//! status, its `WWW-Authenticate` error and the registry's own log line are
//! the evidence. It must not treat a refusal for another reason (5xx) as one.

use std::path::Path;

use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::client::ClientError;
use crate::payload::RandomBlob;

/// Push a blob that the registry must refuse (401/403): to `repository`
/// when given, else the scenario's. If it is accepted instead, the cell is
/// `security` when `security = true` (an attack or an invalid token got
/// in), else `fail`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushDenied {
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub security: bool,
}

impl StepAction for PushDenied {
    fn kind(&self) -> StepKind {
        StepKind::PushDenied
    }

    fn describe(&self) -> String {
        format!(
            "push to {} must be refused",
            self.repository
                .as_deref()
                .unwrap_or("the scenario repository")
        )
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let (client, registry_log) = (cx.client(), cx.registry_log());
        let repository = self.repository.as_deref().unwrap_or(cx.repository());
        let blob = RandomBlob::new(cx.seed(), 256 * 1024);
        let digest = blob.digest();
        let offset = crate::registry_log::file_len(registry_log);
        let result = client
            .push_blob_monolithic(repository, &blob, &digest)
            .await;
        crate::registry_log::settle(registry_log).await;
        let log = auth_log_line(registry_log, offset)
            .map(|l| format!("; registry log: {l}"))
            .unwrap_or_default();
        match result {
            Ok(()) => Err(StepError::Accepted {
                message: format!(
                    "the registry accepted a push to {repository} with this token (blob {digest} stored){log}"
                ),
                security: self.security,
            }),
            Err(ClientError::Registry(e)) if e.status == 401 || e.status == 403 => {
                let error = e
                    .www_authenticate
                    .as_deref()
                    .and_then(crate::client::Challenge::parse)
                    .and_then(|c| c.param("error").map(str::to_string))
                    .map(|v| format!(", error=\"{v}\""))
                    .unwrap_or_default();
                Ok(format!(
                    "refused: {} {} answered {}{error}{log}",
                    e.method, e.path, e.status
                ))
            }
            Err(ClientError::Token { realm, detail }) => Ok(format!(
                "refused by the token server at {realm}: {detail}"
            )),
            Err(other) => Err(StepError::Client(other)),
        }
    }
}

/// The registry's last log line since `offset` that speaks of the token
/// (2.8 and 3.x log why they refused one at info level).
fn auth_log_line(path: &Path, offset: u64) -> Option<String> {
    let text = std::fs::read(path).ok()?;
    let fresh = String::from_utf8_lossy(&text[(offset as usize).min(text.len())..]).into_owned();
    fresh
        .lines()
        .rfind(|l| crate::registry_log::explains_token_refusal(l))
        .map(|l| crate::registry_log::condense(l, 300))
}
