//! The harness PKI: one throwaway certificate authority per run, and the leaf
//! certificates it issues to every TLS endpoint on loopback (Azurite, the front
//! door's per-host certificates, mock identity servers).
//!
//! Nothing here is meant to be trusted outside one run: keys live in memory and
//! in the run's temp dir only. Every rustls builder here names the ring provider
//! explicitly instead of installing a process-wide default, so the harness and
//! parallel tests never race on `CryptoProvider::install_default`.

use std::fs;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{RootCertStore, ServerConfig};

/// How long the CA is valid: longer than any leaf it signs, so a leaf's chain
/// never expires before the leaf does.
const CA_VALIDITY: time::Duration = time::Duration::days(30);
/// Leaf validity, per the harness contract: a week ahead of now.
const LEAF_VALIDITY: time::Duration = time::Duration::days(7);
/// Backdating absorbs clock skew between the harness and child processes.
const BACKDATE: time::Duration = time::Duration::hours(1);

/// The only ALPN protocol our TLS servers offer: Go's client would otherwise
/// try h2, which the front door does not speak.
pub(crate) const ALPN_HTTP1: &[u8] = b"http/1.1";

/// What went wrong while making or using harness certificates.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot generate {what}: {source}")]
    Generate {
        what: String,
        #[source]
        source: rcgen::Error,
    },
    #[error("a leaf certificate needs at least one host name or IP address")]
    NoHosts,
    #[error("`{host}` is neither an IP address nor a valid DNS name for a certificate: {source}")]
    InvalidHost {
        host: String,
        #[source]
        source: rcgen::Error,
    },
    #[error("the key given for `{common_name}` is not a PKCS#8 PEM key rcgen can certify (RSA, ECDSA P-256/P-384 or Ed25519): {source}")]
    UnusableKey {
        common_name: String,
        #[source]
        source: rcgen::Error,
    },
    #[error("rustls rejected the certificate or key: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The ring provider, handed to every rustls builder explicitly.
pub(crate) fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS client configuration on ring that trusts `roots` only (the harness
/// CA): every client of the mock cloud and of Azurite builds it this way.
pub fn client_tls(roots: rustls::RootCertStore) -> Result<rustls::ClientConfig, rustls::Error> {
    Ok(
        rustls::ClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Makes ring the process-wide rustls provider, for third-party code that
/// calls `ClientConfig::builder()` without naming one. Safe to call any
/// number of times from anywhere: a provider already installed (by us or
/// anyone) is kept. Our own builders never depend on it.
pub fn install_default_crypto_provider() {
    // Err only means a provider is already installed, which is the goal.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A self-signed CA generated fresh for one run.
pub struct CertificateAuthority {
    issuer: Issuer<'static, KeyPair>,
    cert_der: CertificateDer<'static>,
    cert_pem: String,
}

impl std::fmt::Debug for CertificateAuthority {
    // The signing key must never end up in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// Generates a new CA key (ECDSA P-256) and self-signed certificate.
    pub fn generate(common_name: &str) -> Result<Self, PkiError> {
        let generate = |what: &str| {
            let what = what.to_owned();
            move |source| PkiError::Generate { what, source }
        };
        let key = KeyPair::generate().map_err(generate("the CA key"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + CA_VALIDITY;
        let cert = params
            .self_signed(&key)
            .map_err(generate("the CA certificate"))?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate, PEM encoded.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA certificate, DER encoded.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// Writes the CA certificate as a one-certificate PEM bundle, the form Go
    /// reads from `SSL_CERT_FILE` and Node from `NODE_EXTRA_CA_CERTS`.
    pub fn write_cert_pem(&self, path: &Path) -> Result<(), PkiError> {
        write_file(path, self.cert_pem.as_bytes(), false)
    }

    /// A root store that trusts this CA and nothing else.
    pub fn rustls_root_store(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        // A certificate we just generated always parses; if it did not, an
        // empty store fails closed, which is the safe direction.
        if let Err(error) = roots.add(self.cert_der.clone()) {
            tracing::error!(%error, "the harness CA certificate was rejected by rustls");
        }
        roots
    }

    /// Issues a leaf for `hosts`: IP literals become IP SANs, everything else
    /// DNS SANs. Usable as server and client certificate.
    pub fn issue_leaf(&self, hosts: &[&str]) -> Result<LeafCertificate, PkiError> {
        let first = hosts.first().ok_or(PkiError::NoHosts)?;
        let mut params = CertificateParams::default();
        params.subject_alt_names = hosts
            .iter()
            .map(|host| subject_alt_name(host))
            .collect::<Result<_, _>>()?;
        params.distinguished_name = distinguished_name(first);
        params.is_ca = IsCa::ExplicitNoCa;
        // ECDSA keys sign; key encipherment would be wrong for them.
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + LEAF_VALIDITY;

        let key = KeyPair::generate().map_err(|source| PkiError::Generate {
            what: format!("a leaf key for {first}"),
            source,
        })?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|source| PkiError::Generate {
                what: format!("a leaf certificate for {first}"),
                source,
            })?;
        Ok(LeafCertificate {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
            hosts: hosts.iter().map(|host| (*host).to_owned()).collect(),
        })
    }
}

/// A certificate issued by the harness CA, with its private key.
#[derive(Clone)]
pub struct LeafCertificate {
    /// The leaf certificate alone, PEM encoded (the CA is the trust anchor, so
    /// no chain is needed).
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
    pub cert_der: CertificateDer<'static>,
    /// PKCS#8 DER; a plain Vec so the leaf stays `Clone`.
    key_der: Vec<u8>,
    hosts: Vec<String>,
}

impl std::fmt::Debug for LeafCertificate {
    // Keeps the private key out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeafCertificate")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

impl LeafCertificate {
    /// The host names and IP addresses this leaf was issued for.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The private key, DER, for rustls.
    pub fn private_key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// A TLS server config presenting this leaf, offering ALPN `http/1.1` only.
    pub fn rustls_server_config(&self) -> Result<Arc<ServerConfig>, PkiError> {
        let mut config = ServerConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![self.cert_der.clone()], self.private_key_der())?;
        config.alpn_protocols = vec![ALPN_HTTP1.to_vec()];
        Ok(Arc::new(config))
    }

    /// Writes `<stem>.cert.pem` and `<stem>.key.pem` into `dir` (the key
    /// readable by the owner only) and returns their paths, certificate first.
    pub fn write_pem_files(&self, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf), PkiError> {
        let cert_path = dir.join(format!("{stem}.cert.pem"));
        let key_path = dir.join(format!("{stem}.key.pem"));
        write_file(&cert_path, self.cert_pem.as_bytes(), false)?;
        write_file(&key_path, self.key_pem.as_bytes(), true)?;
        Ok((cert_path, key_path))
    }
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, "regmatrix harness");
    name
}

fn subject_alt_name(host: &str) -> Result<SanType, PkiError> {
    // Brackets come with IPv6 literals taken from URLs and Host headers.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    host.try_into()
        .map(SanType::DnsName)
        .map_err(|source| PkiError::InvalidHost {
            host: host.to_owned(),
            source,
        })
}

fn write_file(path: &Path, contents: &[u8], private: bool) -> Result<(), PkiError> {
    let map = |source| PkiError::Write {
        path: path.to_owned(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(map)?;
    io::Write::write_all(&mut file, contents).map_err(map)
}

/// Intermediate validity: inside the root's (`CA_VALIDITY`) for any
/// intermediate made in the root's first two weeks, and longer than the
/// leaves it signs, so no chain outlives its issuer.
const INTERMEDIATE_VALIDITY: time::Duration = time::Duration::days(14);

/// Chains for keys the harness did not make itself, such as a registry token
/// server's signing key: a registry given the root as `rootcertbundle` then
/// accepts tokens whose `x5c` is `[leaf, intermediate]`.
impl CertificateAuthority {
    /// A CA certified by this one that may sign leaves only (path length 0).
    pub fn issue_intermediate(&self, common_name: &str) -> Result<CertificateAuthority, PkiError> {
        let generate = |what: &str| {
            let what = format!("{what} for {common_name}");
            move |source| PkiError::Generate { what, source }
        };
        let key = KeyPair::generate().map_err(generate("an intermediate CA key"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + INTERMEDIATE_VALIDITY;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(generate("an intermediate CA certificate"))?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// A leaf certifying the public half of `key_pkcs8_pem`, signed by this
    /// CA. It carries no extended key usage: Go treats that as any usage, so
    /// the chain verifies whatever usages the verifier asks for.
    pub fn issue_for_key(
        &self,
        common_name: &str,
        key_pkcs8_pem: &str,
    ) -> Result<KeyCertificate, PkiError> {
        let key = KeyPair::from_pem(key_pkcs8_pem).map_err(|source| PkiError::UnusableKey {
            common_name: common_name.to_owned(),
            source,
        })?;
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(common_name);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + LEAF_VALIDITY;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|source| PkiError::Generate {
                what: format!("a certificate for the key of {common_name}"),
                source,
            })?;
        Ok(KeyCertificate {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
        })
    }
}

/// A certificate for a key held elsewhere; only the certificate lives here.
#[derive(Debug, Clone)]
pub struct KeyCertificate {
    pub cert_pem: String,
    pub cert_der: CertificateDer<'static>,
}
