//! How a client outside the harness reaches a running environment: the
//! registry, the proxy that serves the mock storage account's and token
//! server's hosts (redirected blob URLs are `https://<account>.blob.<realm>`,
//! which only the front door answers), the CA that signs them, and the
//! token login when auth is on. `regmatrix up` prints it and writes it as
//! shell `export` lines.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::Environment;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAccess {
    /// `http://127.0.0.1:PORT`
    pub registry_url: String,
    /// The front door, as an HTTP proxy URL.
    pub proxy_url: String,
    /// The blob endpoint redirects point at (through the proxy).
    pub blob_host: String,
    pub ca_bundle: PathBuf,
    pub login: Option<Login>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    pub password: String,
    pub realm: String,
    pub service: String,
}

/// Hosts a client must reach directly, never through the proxy.
const NO_PROXY: &str = "127.0.0.1,localhost";

impl ClientAccess {
    pub fn of(env: &Environment, realm: &str) -> Self {
        ClientAccess {
            registry_url: env.registry_url().to_string(),
            proxy_url: env.front_door.proxy_url(),
            blob_host: format!("{}.blob.{realm}", env.account.name),
            ca_bundle: env.ca_bundle(),
            login: env.token_auth.as_ref().map(|auth| Login {
                username: auth.credentials.username.clone(),
                password: auth.credentials.password.clone(),
                realm: auth.config.realm.clone(),
                service: auth.config.service.clone(),
            }),
        }
    }

    /// `host:port`, as `docker login` and image references name it.
    pub fn registry_host(&self) -> &str {
        self.registry_url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
    }

    /// What an outside client's environment needs: the proxy for HTTPS
    /// only (the registry is plain HTTP on loopback, reached directly) and
    /// the CA as `SSL_CERT_FILE` (Go, curl and OpenSSL clients read it).
    pub fn client_environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HTTPS_PROXY", self.proxy_url.clone()),
            ("https_proxy", self.proxy_url.clone()),
            ("NO_PROXY", NO_PROXY.to_string()),
            ("no_proxy", NO_PROXY.to_string()),
            ("SSL_CERT_FILE", self.ca_bundle.display().to_string()),
        ]
    }

    /// `export` lines for a POSIX shell: the registry, the client
    /// environment, the CA's path again by name, and the login.
    pub fn shell_exports(&self) -> String {
        let mut pairs = vec![
            ("REGMATRIX_REGISTRY", self.registry_host().to_string()),
            ("REGMATRIX_REGISTRY_URL", self.registry_url.clone()),
        ];
        pairs.extend(self.client_environment());
        pairs.push(("REGMATRIX_CA_BUNDLE", self.ca_bundle.display().to_string()));
        if let Some(login) = &self.login {
            pairs.push(("REGMATRIX_USERNAME", login.username.clone()));
            pairs.push(("REGMATRIX_PASSWORD", login.password.clone()));
        }
        let mut text = String::new();
        for (key, value) in pairs {
            let _ = writeln!(text, "export {key}={}", shell_quote(&value));
        }
        text
    }
}

/// Single quotes, with any single quote in the value closed and escaped.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(login: Option<Login>) -> ClientAccess {
        ClientAccess {
            registry_url: "http://127.0.0.1:5000".into(),
            proxy_url: "http://127.0.0.1:6000".into(),
            blob_host: "acct.blob.core.windows.net".into(),
            ca_bundle: "/tmp/run/ca.pem".into(),
            login,
        }
    }

    #[test]
    fn exports_name_the_registry_the_proxy_and_the_ca_and_a_shell_reads_them_back() {
        let text = access(Some(Login {
            username: "it's".into(),
            password: "p w".into(),
            realm: "https://token.example/token".into(),
            service: "registry".into(),
        }))
        .shell_exports();
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{text}\nprintf '%s|%s|%s|%s|%s|%s' \"$REGMATRIX_REGISTRY\" \"$HTTPS_PROXY\" \"$NO_PROXY\" \"$SSL_CERT_FILE\" \"$REGMATRIX_USERNAME\" \"$REGMATRIX_PASSWORD\""
            ))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "127.0.0.1:5000|http://127.0.0.1:6000|127.0.0.1,localhost|/tmp/run/ca.pem|it's|p w"
        );
    }

    #[test]
    fn without_token_auth_there_is_no_login_to_export() {
        assert!(!access(None).shell_exports().contains("REGMATRIX_USERNAME"));
    }
}
