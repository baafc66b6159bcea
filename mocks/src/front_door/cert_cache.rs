//! Per-host TLS identities for terminated CONNECT tunnels: the first tunnel
//! to a host mints a leaf from the harness CA, later ones reuse it. Minting
//! is a P-256 key and one signature, cheap enough to do under the lock, which
//! keeps two racing tunnels from minting twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::ServerConfig;

use crate::pki::{CertificateAuthority, PkiError};

pub(crate) struct CertCache {
    ca: Arc<CertificateAuthority>,
    configs: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl CertCache {
    pub(crate) fn new(ca: Arc<CertificateAuthority>) -> Self {
        Self {
            ca,
            configs: Mutex::new(HashMap::new()),
        }
    }

    /// The server config presenting a leaf for `host` (a DNS name or an IP
    /// address, already normalised).
    pub(crate) fn server_config(&self, host: &str) -> Result<Arc<ServerConfig>, PkiError> {
        let mut configs = self.configs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(config) = configs.get(host) {
            return Ok(config.clone());
        }
        let config = self.ca.issue_leaf(&[host])?.rustls_server_config()?;
        configs.insert(host.to_owned(), config.clone());
        Ok(config)
    }
}
