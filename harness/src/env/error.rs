//! What can go wrong starting or driving an environment, one variant per
//! operation with the context it failed in and the foreign error as its
//! `#[source]`. The rendered texts are quoted by tests and reports, so a
//! variant keeps the words of the catch-all it replaced. It must not
//! decide outcomes (the runner does).

use regmatrix_mocks::front_door::{FrontDoorError, RouteError};
use regmatrix_mocks::jose::JoseError;
use regmatrix_mocks::pki::PkiError;

use super::ports::PortError;
use crate::process::ProcessError;
use crate::registry_config::Unsupported;
use crate::storage::StorageError;

/// The harness names no `url` dependency of its own; this is the parse
/// error of the URL type the front door routes to.
pub type UrlParseError = <reqwest::Url as std::str::FromStr>::Err;

/// Token-auth setup calls several mock libraries (keys, PKI, JWKS); the
/// variant keeps whichever failed.
pub type MockError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("cannot {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Port(#[from] PortError),
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error("mock Azure front door: {source}")]
    FrontDoorStart {
        #[source]
        source: FrontDoorError,
    },
    #[error("mock Azure front door: {source}")]
    FrontDoorRoute {
        pattern: String,
        #[source]
        source: RouteError,
    },
    #[error("mock Azure front door: harness HTTP client: {source}")]
    HarnessHttpClient {
        #[source]
        source: reqwest::Error,
    },
    #[error("mock Azure front door: Azurite URL: {source}")]
    AzuriteUrl {
        #[source]
        source: UrlParseError,
    },
    #[error("mock Azure front door: identity mock: {source}")]
    IdentityMock {
        #[source]
        source: JoseError,
    },
    #[error("mock Azure front door: service-account token: {source}")]
    ServiceAccountToken {
        #[source]
        source: JoseError,
    },
    #[error("mock Azure front door: token auth ({what}): {source}")]
    TokenServer {
        what: &'static str,
        #[source]
        source: MockError,
    },
    #[error("mock Azure front door: ACR login ({what}): {source}")]
    AcrLogin {
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("mock Azure front door: ACR login (exchange): no refresh_token in {response}")]
    AcrNoRefreshToken { response: String },
    #[error("Azurite did not start: {detail}; last log line: {last_line}")]
    AzuriteNotReady { detail: String, last_line: String },
    #[error("your config has a redis section and redis-server is not on PATH: install Debian's redis-server package (ci/test does)")]
    RedisMissing,
    #[error("redis-server did not start: {detail}; last log line: {last_line}")]
    RedisNotReady { detail: String, last_line: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    #[error("cannot build the readiness client: {source}")]
    ReadinessClient {
        #[source]
        source: reqwest::Error,
    },
    #[error(
        "registry {tag} exited during start-up ({status}): {}",
        last_of(log_tail)
    )]
    RegistryExited {
        tag: String,
        status: String,
        log_tail: Vec<String>,
    },
    /// The registry could not bind the port the harness picked for it: the
    /// harness's doing, never the registry's answer to its config.
    #[error(
        "the registry could not listen on the port the harness chose ({status}): {}",
        last_of(log_tail)
    )]
    RegistryPortTaken {
        tag: String,
        status: String,
        log_tail: Vec<String>,
    },
    /// A container answered, but not on the config the harness mounted.
    #[error("{0}")]
    RegistryIgnoredConfig(Box<IgnoredConfig>),
    #[error("registry {tag} as a container: {detail}")]
    Container { tag: String, detail: String },
    #[error(transparent)]
    Docker(#[from] crate::docker::DockerError),
    #[error("registry {tag} never turned healthy within {seconds}s (no 200 from /debug/health and /v2/): {}", last_of(log_tail))]
    RegistryNeverHealthy {
        tag: String,
        seconds: u64,
        log_tail: Vec<String>,
    },
}

/// A registry container that runs another config than the mounted one.
#[derive(Debug)]
pub struct IgnoredConfig {
    pub tag: String,
    pub image: String,
    pub mounted_at: String,
    /// Where the image reads its config, and how that was decided.
    pub reads_at: String,
    pub reads_from: &'static str,
    /// What the registry answered that shows it.
    pub answer: String,
    pub log_tail: Vec<String>,
}

impl std::fmt::Display for IgnoredConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "registry {} (image {}) ignored the config mounted at {} and ran the image's own: {}; the image reads {} ({})",
            self.tag, self.image, self.mounted_at, self.answer, self.reads_at, self.reads_from
        )
    }
}

pub(crate) fn last_of(lines: &[String]) -> String {
    crate::process::last_meaningful_line(lines.iter().map(String::as_str))
        .unwrap_or_else(|| "(no log output)".into())
}

impl EnvError {
    pub(crate) fn io(what: &str, source: std::io::Error) -> Self {
        EnvError::Io {
            what: what.to_string(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The texts the FrontDoor(String) catch-all rendered, word for word.
    #[test]
    fn per_operation_variants_keep_the_catch_alls_words() {
        let inner = || std::io::Error::other("boom");
        let token = EnvError::TokenServer {
            what: "jwks",
            source: Box::new(inner()),
        };
        assert_eq!(
            token.to_string(),
            "mock Azure front door: token auth (jwks): boom"
        );
        assert_eq!(
            std::error::Error::source(&token).map(ToString::to_string),
            Some("boom".to_string())
        );
        let exchange = EnvError::AcrNoRefreshToken {
            response: "{}".into(),
        };
        assert_eq!(
            exchange.to_string(),
            "mock Azure front door: ACR login (exchange): no refresh_token in {}"
        );
        let url = "https://[".parse::<reqwest::Url>().unwrap_err();
        assert_eq!(
            EnvError::AzuriteUrl { source: url }.to_string(),
            format!("mock Azure front door: Azurite URL: {url}")
        );
    }
}
