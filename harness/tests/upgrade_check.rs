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
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let not_azure = write(
        "fs.yml",
        "storage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n",
    );
    let no_key = write(
        "cm.yaml",
        "kind: ConfigMap\nmetadata: {name: registry}\ndata:\n  htpasswd: x\n",
    );
    let bad_account = write(
        "acct.yml",
        "storage:\n  azure:\n    accountname: Contoso_Registry\n    accountkey: a2V5\n    container: registry\n",
    );
    let missing = dir.path().join("missing.yml").to_str().unwrap().to_string();
    let cases: [(&[&str], &str); 5] = [
        (&["--config", &missing], "cannot read "),
        (
            &["--config", &not_azure],
            "no storage.azure section (nor REGISTRY_STORAGE=azure",
        ),
        (
            &["--config", &no_key],
            "ConfigMap registry holds no config.yml (its keys: htpasswd)",
        ),
        (
            &["--config", &bad_account],
            "storage.azure.accountname \"Contoso_Registry\": Azure storage account names are 3 to 24 characters",
        ),
        (
            &["--config", &not_azure, "--env", "REGISTRY_STORAGE"],
            "--env: not KEY=VALUE: \"REGISTRY_STORAGE\"",
        ),
    ];
    for (args, said) in cases {
        let mut all = args.to_vec();
        all.extend(["--from", "v2.8.3", "--to", "v3.1.1"]);
        let (code, out, err) = check(&all);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("regmatrix: error: "), "{err}");
        assert!(err.contains(said), "{args:?}: {err}");
        assert!(out.is_empty(), "a verdict beside an error: {out}");
    }
}

/// A deployment configured only through the environment, as a Helm chart's
/// Secret gives it: the image's stock config in a ConfigMap, storage
/// switched to Azure by REGISTRY_* variables. It works on 2.8.3; 3.x
/// refuses to start without a credentials type, and the fix names the
/// variable. The ones for sections not exercised are named, and no value
/// is printed.
#[test]
fn an_env_only_deployment_from_2_8_needs_a_credentials_type_on_3_x() {
    let (code, out, err) = check(&[
        "--config",
        "scenarios/examples/helm-env-only/configmap.yaml",
        "--env-file",
        "scenarios/examples/helm-env-only/registry.env",
        "--from",
        "v2.8.3",
        "--to",
        "v3.1.2",
    ]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        out.contains("| `upgrade-check/your-config` | pass | fail | regression |"),
        "{out}"
    );
    assert!(out.contains("panic: invalid credentials type"), "{out}");
    assert!(
        out.contains("REGISTRY_STORAGE_AZURE_CREDENTIALS_TYPE=shared_key"),
        "{out}"
    );
    assert!(
        err.contains("REGISTRY_STORAGE_AZURE_ACCOUNTKEY (secret: the mock cloud's)"),
        "{err}"
    );
    assert!(
        err.contains(
            "REGISTRY_HTTP_SECRET (scenarios/examples/helm-env-only/registry.env:7): not exercised"
        ),
        "{err}"
    );
    for secret in ["bm90LWEtcmVhbC1rZXk", "stand-in-http-secret"] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} leaked"
        );
    }
}

/// The same deployment with the fix applied on the command line (`--env`
/// adds to the file) works on 3.1.1 and moves to 3.1.2 in place.
#[test]
fn an_env_only_deployment_with_the_fix_moves_to_3_1_2() {
    let (code, out, err) = check(&[
        "--config",
        "scenarios/examples/helm-env-only/configmap.yaml",
        "--env-file",
        "scenarios/examples/helm-env-only/registry.env",
        "--env",
        "REGISTRY_STORAGE_AZURE_CREDENTIALS_TYPE=shared_key",
        "--from",
        "v3.1.1",
        "--to",
        "v3.1.2",
        "--no-rollback",
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("| `upgrade-check/your-config` | pass | pass | unchanged |"),
        "{out}"
    );
    assert!(out.contains("): pass"), "{out}");
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

/// A realm of another Azure cloud routes and is corrected as the public
/// cloud's: 2.8.3's Append Blocks on `*.blob.core.usgovcloudapi.net` get
/// the emulator correction, and the config passes on both versions.
#[test]
fn a_us_government_realm_is_corrected_like_the_public_cloud() {
    let (_, out, err) = check(&[
        "--config",
        "scenarios/examples/usgov-shared-key.yml",
        "--from",
        "v2.8.3",
        "--to",
        "v3.0.0-alpha.1",
        "--no-rollback",
    ]);
    assert!(
        out.contains("| `upgrade-check/your-config` | pass | pass | unchanged |"),
        "{out}\n{err}"
    );
    assert!(out.contains("realm: core.usgovcloudapi.net"), "{out}");
    assert!(
        out.contains("rewritten by azurite-append-block-blob-type"),
        "{out}"
    );
}

/// The variables reach the registry process as given, secrets filled with
/// the mock cloud's: a placeholder left as it is would not decode as an
/// account key and the registry would not start.
#[tokio::test]
async fn user_variables_reach_the_registry_process_with_secrets_filled() {
    use regmatrix::env::{ConfigDialect, Environment, EnvironmentSpec, Side};
    use regmatrix::progress::Progress;
    let installer =
        regmatrix::install::Installer::new(regmatrix::cache::Cache::from_env().unwrap());
    let (azurite, columns) = regmatrix::install::prepare(
        &installer,
        &["v3.1.2".parse().unwrap()],
        None,
        &Progress::hidden(),
    )
    .await
    .unwrap();
    let column = &columns[0];
    let spec = EnvironmentSpec {
        registry_env: vec![
            ("REGISTRY_LOG_LEVEL".into(), "debug".into()),
            (
                "REGISTRY_STORAGE_AZURE_ACCOUNTKEY".into(),
                "{{accountkey}}".into(),
            ),
        ],
        ..EnvironmentSpec::new(
            "user-env",
            column.registry.clone(),
            ConfigDialect::of(&column.version),
            azurite,
        )
    };
    let environment = Environment::start(&spec).await.unwrap();
    let (_, log, _) = environment.endpoint(Side::From);
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.contains("level=debug"), "{text}");
}

/// `docs-whole-config.yml` with the credentials type set through the
/// environment (3.x needs it), plus `redis` (another variable), from
/// `from` to v3.1.2 without the rollback.
fn check_whole_config(
    redis: Option<&str>,
    from: &str,
    extra: &[&str],
) -> (Option<i32>, String, String) {
    let mut args = vec![
        "--config",
        "scenarios/examples/docs-whole-config.yml",
        "--env",
        "REGISTRY_STORAGE_AZURE_CREDENTIALS_TYPE=shared_key",
        "--from",
        from,
        "--to",
        "v3.1.2",
        "--no-rollback",
    ];
    if let Some(redis) = redis {
        args.extend(["--env", redis]);
    }
    args.extend(extra);
    check(&args)
}

/// A 2.8-era config in the docs' shape, whole: redis cache, a notification
/// endpoint, a CDN middleware, compatibility and validation. 2.8.3 uses the
/// real redis-server and posts events; 3.1.2 (with the credentials fix)
/// does not read 2.8's `redis.addr` and refuses to start. The CI files
/// follow the verdict, and no secret of the config reaches any output.
#[test]
fn a_whole_2_8_config_names_the_redis_break_and_writes_ci_files() {
    let out_dir = tempfile::tempdir().unwrap();
    let out_path = out_dir.path().to_str().unwrap();
    let (code, out, err) = check_whole_config(None, "v2.8.3", &["--out", out_path]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    for line in [
        "| `upgrade-check/your-config` | pass | fail | regression |",
        "panic: redis configuration required to use for layerinfo cache",
        "fix: 3.x reads redis.addrs (a list), not 2.8's redis.addr",
        "[v3.1.2] redis.addr: not a key of v3.1.2's configuration",
        "middleware.storage: NOT EXERCISED: cloudfront",
        "redis: against a loopback service",
        "compatibility: as written",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    let json_text = std::fs::read_to_string(out_dir.path().join("upgrade-check.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            common::repo_root().join("reports/schema/upgrade-check.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(doc["exit_code"], 1);
    let own = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scenario"] == "upgrade-check/your-config")
        .unwrap();
    assert_eq!(own["fails_gate"], true);
    let before = own["before"]["evidence"].as_str().unwrap();
    assert!(
        before.contains("notification endpoint audit got"),
        "{before}"
    );
    assert!(before.contains("redis-server processed"), "{before}");
    assert!(doc["sections"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["key"] == "proxy"
            || s["key"] == "middleware.storage" && s["fate"] == "not-exercised"));
    let junit = std::fs::read_to_string(out_dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("name=\"upgrade-check/your-config from v2.8.3 to v3.1.2\">")
            && junit.contains("<failure message=\"pass -&gt; fail (regression)\">"),
        "{junit}"
    );
    assert!(out_dir.path().join("upgrade-check.md").is_file());
    assert!(out_dir.path().join("matrix/matrix.json").is_file());
    for secret in [
        "not-a-real-token",
        "not-a-real-redis-password",
        "asecretforlocaldevelopment",
    ] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} printed"
        );
        for file in [
            "upgrade-check.json",
            "upgrade-check.md",
            "junit.xml",
            "matrix/matrix.json",
        ] {
            let text = std::fs::read_to_string(out_dir.path().join(file)).unwrap();
            assert!(!text.contains(secret), "{secret} in {file}");
        }
    }
}

/// The same config with both suggested fixes through the environment
/// (`REGISTRY_REDIS_ADDRS` names 3.x's key, as the YAML list its parser
/// takes; the harness's redis-server replaces the address) works on 3.1.1
/// and 3.1.2 and in place: exit 0.
#[test]
fn the_whole_config_with_the_fixes_applied_passes() {
    let (code, out, err) = check_whole_config(
        Some("REGISTRY_REDIS_ADDRS=[redis.contoso.internal:6379]"),
        "v3.1.1",
        &[],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("| `upgrade-check/your-config` | pass | pass | unchanged |"),
        "{out}"
    );
    // 3.x's parser drops 2.8's pool settings: named, though nothing breaks.
    assert!(
        out.contains("[v3.1.2] redis.pool.maxidle: not a key of v3.1.2's configuration"),
        "{out}"
    );
    assert!(
        err.contains(
            "REGISTRY_REDIS_ADDRS (--env): passed in the form you wrote, its address replaced by the harness's redis-server"
        ),
        "{err}"
    );
}

/// Seed incident 2 with both suggested fixes applied (a credentials type and
/// a JWKS next to the bundle): the related scenario is the JWKS one, nothing
/// suggests the JWKS again, and the verdict is exit 0.
#[test]
fn a_token_config_with_the_fixes_applied_passes() {
    let (code, out, err) = check(&[
        "--config",
        "scenarios/examples/token-server-migrated.yml",
        "--from",
        "v3.0.0",
        "--to",
        "v3.1.1",
        "--token-kid",
        "libtrust",
        "--no-rollback",
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("| `auth/jwks-libtrust-kid` | pass | pass | unchanged |"),
        "{out}"
    );
    assert!(!out.contains("auth/libtrust-kid-rootcert"), "{out}");
    assert!(!out.contains("jwks from-cert"), "{out}");
}

/// ES256 tokens with a thumbprint kid, trusted through the bundle: v3.0.0
/// refuses them (its P-256 thumbprints are wrong), which the config's own
/// run shows only when the test token is EC too; the fix is phrased for
/// thumbprints, not libtrust key IDs.
#[test]
fn an_es256_token_s_break_on_3_0_0_is_found_with_its_own_fix() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    let migrated = std::fs::read_to_string(
        common::repo_root().join("scenarios/examples/token-server-migrated.yml"),
    )
    .unwrap();
    let bundle_only: String = migrated
        .lines()
        .filter(|l| !l.contains("jwks"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&config, bundle_only).unwrap();
    let (code, out, err) = check(&[
        "--config",
        config.to_str().unwrap(),
        "--from",
        "v3.0.0",
        "--to",
        "v3.1.1",
        "--token-kid",
        "thumbprint",
        "--token-key",
        "ec",
        "--no-rollback",
    ]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    for line in [
        "| `upgrade-check/your-config` | fail | pass | fixed |",
        "| `auth/thumbprint-kid-rootcert-ec` | fail | pass | fixed |",
        "failed in phase 1: v3.0.0 writing with your config",
        "fix: v3.0.0 files every P-256 key of rootcertbundle under one wrong thumbprint",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    assert!(err.contains("the key type (ec)"), "{err}");
}

/// `REGISTRY_REDIS_ADDRS=host:6379`, a bare address, is rejected by 3.x's
/// own parser (it unmarshals the value into a list): the probe says so
/// before the run, and the run, which passes the variable in the form
/// written, fails the same way.
#[test]
fn a_bare_redis_addrs_variable_is_rejected_by_the_3_x_parser() {
    let (code, out, err) = check_whole_config(
        Some("REGISTRY_REDIS_ADDRS=redis.contoso.internal:6379"),
        "v3.1.1",
        &[],
    );
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        out.contains("[v3.1.2] config: rejected by v3.1.2's configuration parser: parsing environment variable REGISTRY_REDIS_ADDRS"),
        "{out}"
    );
    assert!(
        out.contains("| `upgrade-check/your-config` | fail | fail | unchanged |"),
        "{out}"
    );
    assert!(out.contains("cannot unmarshal"), "{out}");
}

/// Harbor's shape: the config in a ConfigMap, the account key, HTTP secret
/// and redis password in the environment. 2.8.3's parser takes it all (a
/// secret reaches the parser probe as a plain word, never as a placeholder
/// it would read as a mapping); 3.1.2 needs a credentials type. No secret
/// of the env file is printed.
#[test]
fn harbor_s_registry_deployment_needs_a_credentials_type_on_3_x() {
    let (code, out, err) = check(&[
        "--config",
        "scenarios/examples/harbor/configmap.yaml",
        "--env-file",
        "scenarios/examples/harbor/registry.env",
        "--from",
        "v2.8.3",
        "--to",
        "v3.1.2",
        "--no-rollback",
    ]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    for line in [
        "| `upgrade-check/your-config` | pass | fail | regression |",
        "panic: invalid credentials type",
        "set shared_key (your accountkey)",
        "auth.htpasswd: NOT EXERCISED",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    assert!(!out.contains("rejected by"), "{out}");
    let before = out
        .lines()
        .find(|l| l.starts_with("| `upgrade-check/your-config`"))
        .unwrap_or_default();
    assert!(before.contains("pass"), "{out}");
    assert!(
        err.contains(
            "REGISTRY_HTTP_SECRET (scenarios/examples/harbor/registry.env:4): not exercised"
        ),
        "{err}"
    );
    for secret in [
        "bm90LWEtcmVhbC1oYXJib3Ita2V5LW5vdC1hLXJlYWwta2V5",
        "not-a-real-harbor-http-secret",
        "not-a-real-harbor-redis-password",
    ] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} printed"
        );
    }
}
