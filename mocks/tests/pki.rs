//! The harness CA issues leaves that rustls/webpki accept for exactly the
//! names and addresses they were issued for.

mod support;

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn verifier(ca: &regmatrix_mocks::pki::CertificateAuthority) -> Arc<WebPkiServerVerifier> {
    WebPkiServerVerifier::builder_with_provider(
        Arc::new(ca.rustls_root_store()),
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    .unwrap()
}

fn verify(
    verifier: &WebPkiServerVerifier,
    leaf: &CertificateDer<'_>,
    name: &str,
) -> Result<(), rustls::Error> {
    let name = ServerName::try_from(name.to_owned()).unwrap();
    verifier
        .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
        .map(|_| ())
}

#[test]
fn a_blob_host_leaf_verifies_against_the_ca_for_its_name_only() {
    let ca = support::ca();
    let leaf = ca.issue_leaf(&[support::BLOB_HOST]).unwrap();
    let verifier = verifier(&ca);

    verify(&verifier, &leaf.cert_der, support::BLOB_HOST).unwrap();
    assert!(verify(&verifier, &leaf.cert_der, "other.blob.core.windows.net").is_err());

    let stranger = support::ca();
    assert!(
        verify(
            &self::verifier(&stranger),
            &leaf.cert_der,
            support::BLOB_HOST
        )
        .is_err(),
        "a leaf must not verify against another run's CA"
    );
}

#[test]
fn ip_literals_become_ip_sans() {
    let ca = support::ca();
    let leaf = ca.issue_leaf(&["127.0.0.1", "localhost", "::1"]).unwrap();
    let verifier = verifier(&ca);
    verify(&verifier, &leaf.cert_der, "127.0.0.1").unwrap();
    verify(&verifier, &leaf.cert_der, "::1").unwrap();
    verify(&verifier, &leaf.cert_der, "localhost").unwrap();
    assert!(verify(&verifier, &leaf.cert_der, "127.0.0.2").is_err());
}

#[test]
fn a_leaf_needs_hosts() {
    let ca = support::ca();
    assert!(matches!(
        ca.issue_leaf(&[]),
        Err(regmatrix_mocks::pki::PkiError::NoHosts)
    ));
}

#[tokio::test]
async fn an_ip_san_leaf_serves_tls_on_127_0_0_1() {
    let ca = support::ca();
    let leaf = ca.issue_leaf(&["127.0.0.1"]).unwrap();
    let acceptor = TlsAcceptor::from(leaf.rustls_server_config().unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        tls.write_all(b"hello").await.unwrap();
        tls.shutdown().await.unwrap();
    });

    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(ca.rustls_root_store())
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let connector = TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let mut greeting = String::new();
    tls.read_to_string(&mut greeting).await.unwrap();
    assert_eq!(greeting, "hello");
    server.await.unwrap();
}

#[test]
fn pem_files_are_written_and_parse_back() {
    let ca = support::ca();
    let leaf = ca.issue_leaf(&["127.0.0.1"]).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let (cert_path, key_path) = leaf.write_pem_files(dir.path(), "azurite").unwrap();
    let cert_pem = std::fs::read(&cert_path).unwrap();
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(certs, vec![leaf.cert_der.clone()]);
    let key_pem = std::fs::read(&key_path).unwrap();
    assert!(rustls_pemfile::private_key(&mut key_pem.as_slice())
        .unwrap()
        .is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the key must be private to its owner");
    }

    // The bundle Go reads through SSL_CERT_FILE: one CERTIFICATE block.
    let bundle = dir.path().join("ca.pem");
    ca.write_cert_pem(&bundle).unwrap();
    let bundle = std::fs::read_to_string(&bundle).unwrap();
    assert!(bundle.starts_with("-----BEGIN CERTIFICATE-----"));
    let certs: Vec<_> = rustls_pemfile::certs(&mut bundle.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(certs, vec![ca.cert_der().clone()]);
}

#[test]
fn installing_the_default_provider_twice_does_not_panic() {
    regmatrix_mocks::pki::install_default_crypto_provider();
    regmatrix_mocks::pki::install_default_crypto_provider();
    assert!(rustls::crypto::CryptoProvider::get_default().is_some());
}
