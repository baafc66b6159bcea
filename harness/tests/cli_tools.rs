//! `regmatrix jwks from-cert` and `regmatrix token inspect` as a user runs
//! them: real files in, JSON or text out, one error line and exit 2 on bad input.

mod common;

use regmatrix_mocks::jose::{AnyKey, KeyKind};
use regmatrix_mocks::pki::CertificateAuthority;

#[test]
fn jwks_from_cert_lists_the_libtrust_kid_of_each_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca = CertificateAuthority::generate("token CA").unwrap();
    let key = AnyKey::generate(KeyKind::Rs256).unwrap();
    let cert = ca.issue_for_key("token signer", &key.pkcs8_pem()).unwrap();
    let bundle = dir.path().join("rootcertbundle.pem");
    std::fs::write(&bundle, &cert.cert_pem).unwrap();
    let out = dir.path().join("jwks.json");
    let status = common::regmatrix()
        .args(["jwks", "from-cert", "--kid", "libtrust", "--out"])
        .arg(&out)
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let jwks: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], key.public().libtrust_key_id());
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
}

#[test]
fn jwks_from_cert_on_a_missing_file_is_one_line_and_exit_2() {
    let out = common::regmatrix()
        .args(["jwks", "from-cert", "/nonexistent/bundle.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("regmatrix: error: cannot read /nonexistent/bundle.pem"),
        "{stderr}"
    );
}

#[test]
fn token_inspect_answers_from_the_committed_matrix() {
    let key = AnyKey::generate(KeyKind::Rs256).unwrap();
    let kid = key.public().libtrust_key_id();
    let mut header = serde_json::Map::new();
    header.insert("kid".into(), kid.clone().into());
    let token = regmatrix_mocks::jose::sign(
        &key,
        header,
        &serde_json::json!({"iss": "i", "aud": "svc", "exp": 4_000_000_000u64}),
    )
    .unwrap();
    let out = common::regmatrix()
        .current_dir(common::repo_root())
        .args(["token", "inspect", &token])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("kid: {kid} (a libtrust key ID")),
        "{text}"
    );
    assert!(text.contains("auth/libtrust-kid-rootcert:"), "{text}");
    assert!(text.contains("v2.8.3: pass"), "{text}");
    assert!(text.contains("regmatrix jwks from-cert"), "{text}");
}
