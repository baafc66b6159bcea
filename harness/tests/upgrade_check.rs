//! `regmatrix upgrade-check` on the two seed incidents' example configs,
//! against the real registries: the verdict names the regression, its
//! evidence and the fix, and no secret from the config is printed.

mod common;

fn check(args: &[&str]) -> (Option<i32>, String, String) {
    let out = common::regmatrix()
        .current_dir(common::repo_root())
        .arg("--quiet")
        .arg("upgrade-check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn workload_identity_breaks_from_alpha_to_3_0_0_with_the_known_fix() {
    let (code, out, _) = check(&[
        "--config",
        "scenarios/examples/aks-workload-identity.yml",
        "--from",
        "v3.0.0-alpha.1",
        "--to",
        "v3.0.0",
        "--workload",
        "workload-identity",
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("| `upgrade-check/your-config` | pass | fail | regression |"),
        "{out}"
    );
    assert!(out.contains("InvalidAuthenticationInfo"), "{out}");
    assert!(
        out.contains("fix: v3.0.0 uses shared key for default_credentials"),
        "{out}"
    );
    assert!(out.contains("secret: <redacted>"), "{out}");
    assert!(
        !out.contains("not-used-by-workload-identity"),
        "the secret leaked: {out}"
    );
}

#[test]
fn a_2_8_token_server_config_on_3_1_1_names_both_breaks() {
    let (code, out, err) = check(&[
        "--config",
        "scenarios/examples/token-server-libtrust.yml",
        "--from",
        "v2.8.3",
        "--to",
        "v3.1.1",
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("panic: invalid credentials type"), "{out}");
    assert!(
        out.contains("| `auth/libtrust-kid-rootcert` | pass | fail | regression |"),
        "{out}"
    );
    assert!(
        out.contains("| `auth/jwks-libtrust-kid` | pass | pass | unchanged |"),
        "{out}"
    );
    assert!(out.contains("regmatrix jwks from-cert"), "{out}");
    assert!(
        !out.contains("c2hhcmVkLWtleS1yZWRhY3RlZC1pbi1ldmVyeS1vdXRwdXQ="),
        "the key leaked"
    );
    assert!(err.contains("mock token server"), "{err}");
}

#[test]
fn bad_configs_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let not_azure = dir.path().join("fs.yml");
    std::fs::write(
        &not_azure,
        "storage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n",
    )
    .unwrap();
    for config in [dir.path().join("missing.yml"), not_azure] {
        let (code, _, err) = check(&[
            "--config",
            config.to_str().unwrap(),
            "--from",
            "v2.8.3",
            "--to",
            "v3.1.1",
        ]);
        assert_eq!(code, Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("regmatrix: error: "), "{err}");
    }
}

#[test]
fn in_place_names_the_phase_that_failed_and_the_fix() {
    let (code, out, _) = check(&[
        "--config",
        "scenarios/examples/aks-workload-identity.yml",
        "--from",
        "v3.0.0-alpha.1",
        "--to",
        "v3.1.1",
        "--workload",
        "workload-identity",
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("In place (v3.0.0-alpha.1 writes; v3.1.1 starts on the same storage with the same config; then v3.0.0-alpha.1 again (rollback)): fail"),
        "{out}"
    );
    assert!(
        out.contains("failed in phase 2: v3.1.1 started in place on what v3.0.0-alpha.1 wrote"),
        "{out}"
    );
    assert!(out.contains("InvalidBlobType"), "{out}");
    assert!(
        out.contains("fix: v3.0.0 to v3.1.1 cannot overwrite"),
        "{out}"
    );
}

#[test]
fn in_place_without_rollback_runs_two_phases() {
    let (code, out, _) = check(&[
        "--config",
        "scenarios/examples/aks-workload-identity.yml",
        "--from",
        "v3.1.1",
        "--to",
        "v3.1.2",
        "--workload",
        "workload-identity",
        "--no-rollback",
    ]);
    assert!(
        out.contains("In place (v3.1.1 writes; v3.1.2 starts on the same storage with the same config): pass"),
        "{out}"
    );
    assert_eq!(code, Some(0), "{out}");
}
