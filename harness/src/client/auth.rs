//! The Bearer challenge flow as docker does it: a 401 carries
//! `WWW-Authenticate: Bearer realm=..,service=..,scope=..`; the client asks
//! the realm for a token (Basic credentials when it has them) and retries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use super::ClientError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Parses one challenge: `Scheme k="v", k2=v2`. Quoted values may hold
    /// commas and backslash escapes (RFC 7235 quoted-string).
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header
            .split_once(char::is_whitespace)
            .unwrap_or((header, ""));
        if scheme.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
                chars.next();
            }
            let name: String = chars
                .by_ref()
                .take_while(|c| *c != '=')
                .collect::<String>()
                .trim()
                .to_string();
            if name.is_empty() {
                break;
            }
            let mut value = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(c) = chars.peek().copied() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                value = value.trim().to_string();
            }
            params.push((name.to_ascii_lowercase(), value));
        }
        Some(Challenge {
            scheme: scheme.to_string(),
            params,
        })
    }
}

pub(super) fn bearer_challenge(response: &reqwest::Response) -> Option<Challenge> {
    response
        .headers()
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(Challenge::parse)
        .find(|c| c.scheme.eq_ignore_ascii_case("bearer") && c.param("realm").is_some())
}

#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

/// Holds credentials and the tokens obtained with them, per repository.
#[derive(Clone)]
pub(super) struct Authenticator {
    http: reqwest::Client,
    credentials: Option<Credentials>,
    tokens: Arc<Mutex<HashMap<String, String>>>,
}

impl Authenticator {
    pub fn new(http: reqwest::Client, credentials: Option<Credentials>) -> Self {
        Authenticator {
            http,
            credentials,
            tokens: Arc::default(),
        }
    }

    /// Basic credentials are sent only where no token was issued: registries
    /// with `htpasswd` auth take them directly.
    pub fn basic(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    pub fn token_for(&self, url: &str) -> Option<String> {
        let key = token_key(url)?;
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned()
    }

    pub async fn fetch_token(&self, url: &str, challenge: &Challenge) -> Result<(), ClientError> {
        let realm = challenge.param("realm").unwrap_or_default().to_string();
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(service) = challenge.param("service") {
            query.push(("service", service.to_string()));
        }
        if let Some(scope) = challenge.param("scope") {
            for s in scope.split(' ') {
                query.push(("scope", s.to_string()));
            }
        }
        let mut request = self.http.get(&realm).query(&query);
        if let Some(c) = &self.credentials {
            request = request.basic_auth(&c.username, Some(&c.password));
        }
        let token_error = |detail: String| ClientError::Token {
            realm: realm.clone(),
            detail,
        };
        let response = request
            .send()
            .await
            .map_err(|e| token_error(e.to_string()))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| token_error(e.to_string()))?;
        if !status.is_success() {
            return Err(token_error(format!(
                "{status}: {}",
                body.chars().take(300).collect::<String>()
            )));
        }
        let parsed: TokenResponse =
            serde_json::from_str(&body).map_err(|e| token_error(format!("bad token JSON: {e}")))?;
        let token = parsed.token.or(parsed.access_token).ok_or_else(|| {
            token_error("neither `token` nor `access_token` in the answer".into())
        })?;
        if let Some(key) = token_key(url) {
            self.tokens
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, token);
        }
        Ok(())
    }
}

/// Tokens are scoped to a repository (or to the catalog), so they are cached
/// by the repository part of `/v2/<name>/(blobs|manifests|tags)/...`.
fn token_key(url: &str) -> Option<String> {
    let path = super::path_of(url);
    let rest = path.split('?').next()?.strip_prefix("/v2/")?;
    if rest.starts_with("_catalog") {
        return Some("registry:catalog".into());
    }
    for marker in ["/blobs/", "/manifests/", "/tags/"] {
        if let Some(i) = rest.find(marker) {
            return Some(rest[..i].to_string());
        }
    }
    Some(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_distribution_challenge() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push",error="invalid_token""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "Bearer");
        assert_eq!(c.param("realm"), Some("https://auth.example.com/token"));
        assert_eq!(c.param("scope"), Some("repository:a/b:pull,push"));
        assert_eq!(c.param("error"), Some("invalid_token"));
    }

    #[test]
    fn parses_escapes_and_unquoted_values() {
        let c = Challenge::parse(r#"Basic realm="say \"hi\", ok", charset=UTF-8"#).unwrap();
        assert_eq!(c.param("realm"), Some(r#"say "hi", ok"#));
        assert_eq!(c.param("charset"), Some("UTF-8"));
        assert!(Challenge::parse("   ").is_none());
    }

    #[test]
    fn tokens_are_keyed_by_repository() {
        assert_eq!(
            token_key("http://127.0.0.1:1/v2/a/b/blobs/uploads/?mount=x").as_deref(),
            Some("a/b")
        );
        assert_eq!(
            token_key("http://127.0.0.1:1/v2/_catalog?n=10").as_deref(),
            Some("registry:catalog")
        );
    }
}
