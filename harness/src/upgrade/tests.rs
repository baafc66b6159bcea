use super::*;

#[test]
fn secrets_are_placeholders_and_redacted() {
    let azure: Mapping = serde_yaml::from_str(
        "accountname: prod\naccountkey: c2VjcmV0\ncontainer: c\ncredentials:\n  type: client_secret\n  clientid: id\n  tenantid: t\n  secret: hunter2\n",
    )
    .unwrap();
    let filled = placeholders(&azure);
    assert_eq!(filled["accountkey"], Value::from("{{accountkey}}"));
    assert_eq!(filled["credentials"]["secret"], Value::from("{{secret}}"));
    let shown = redact(&azure);
    assert!(
        !shown.contains("hunter2") && !shown.contains("c2VjcmV0"),
        "{shown}"
    );
    assert!(shown.contains("accountname: prod"));
    assert_eq!(credentials_mode(&azure), "client-secret");
}

fn names(account: &str, container: &str) -> Result<(), String> {
    let names = StorageNames {
        account: Some(account.into()),
        container: container.into(),
        realm: crate::env::REALM.into(),
    };
    check_names("c.yml", &names).map_err(|e| e.to_string())
}

#[test]
fn names_azure_refuses_are_refused_with_the_rule() {
    assert_eq!(names("prodregistry01", "registry"), Ok(()));
    assert_eq!(names("abc", "a-b-c"), Ok(()));
    let account = names("My_Registry", "registry").unwrap_err();
    assert_eq!(
        account,
        "c.yml: storage.azure.accountname \"My_Registry\": Azure storage account names are 3 to 24 characters, lower-case letters and digits only"
    );
    assert!(names("ab", "registry").is_err());
    assert!(names(&"a".repeat(25), "registry").is_err());
    for container in ["ab", "-reg", "reg-", "re--g", "Registry", "reg_1"] {
        let err = names("prod", container).unwrap_err();
        assert!(err.contains("Azure container names"), "{container}: {err}");
    }
}

#[test]
fn the_user_scenario_is_built_as_the_text_form_was() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        "storage:\n  azure:\n    accountname: acct\n    accountkey: k\n    container: ccc\n\
         auth:\n  token:\n    realm: r\n    rootcertbundle: /b.pem\n",
    )
    .unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let input = DeploymentInput {
        config: read_config(&config).unwrap(),
        env: Vec::new(),
    };
    let profile = TokenProfile {
        kid: TokenKid::X5c,
        key: KeyType::Rsa,
    };
    let plan = plan(&input, Workload::None, profile, &scenarios, true).unwrap();
    let user = &plan.user;
    assert_eq!(user.id(), "upgrade-check/your-config");
    assert_eq!(
        user.spec.registry.credentials,
        crate::env::CredentialsMode::SharedKey
    );
    let steps: Vec<String> = user.steps().map(|s| s.describe()).collect();
    assert_eq!(steps.len(), 5, "{steps:?}");
    assert_eq!(steps[1], "push blob large (6291456 bytes, Chunked)");
    let auth = user.spec.auth.as_ref().unwrap();
    assert_eq!(
        (auth.kid, auth.x5c, auth.trust),
        (KidForm::None, true, Trust::Rootcertbundle)
    );
}

fn token(yaml: &str) -> Mapping {
    serde_yaml::from_str(yaml).unwrap()
}

#[test]
fn auth_scenarios_follow_the_trust_the_config_has_and_the_whole_token_shape() {
    let bundle = token("realm: r\nrootcertbundle: /b.pem\n");
    let migrated = token("realm: r\nrootcertbundle: /b.pem\njwks: /j.json\n");
    let libtrust = TokenProfile::default();
    assert_eq!(
        token_scenarios(&bundle, libtrust),
        ["auth/libtrust-kid-rootcert", "auth/jwks-libtrust-kid"]
    );
    // Told to add a JWKS and done so: the JWKS scenario, not the bundle one.
    assert_eq!(
        token_scenarios(&migrated, libtrust),
        ["auth/jwks-libtrust-kid"]
    );
    let ec = TokenProfile {
        kid: TokenKid::Kid(KidForm::Thumbprint),
        key: KeyType::Ec,
    };
    assert_eq!(
        token_scenarios(&bundle, ec),
        ["auth/thumbprint-kid-rootcert-ec", "auth/jwks-kid"]
    );
    let rsa = TokenProfile {
        key: KeyType::Rsa,
        ..ec
    };
    assert_eq!(
        token_scenarios(&bundle, rsa),
        ["auth/thumbprint-kid-rootcert-rsa", "auth/jwks-kid"]
    );
    let restricted = token("realm: r\njwks: /j.json\nsigningalgorithms: [ES256]\n");
    assert_eq!(
        token_scenarios(&restricted, ec),
        ["auth/jwks-kid", "auth/signing-algorithms-restricted"]
    );
    let ed = TokenProfile {
        kid: TokenKid::Kid(KidForm::Arbitrary),
        key: KeyType::Ed25519,
    };
    assert_eq!(token_scenarios(&migrated, ed), ["auth/ed25519-jwks"]);
    // Every id names a committed scenario.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    for id in [
        "auth/libtrust-kid-rootcert",
        "auth/jwks-libtrust-kid",
        "auth/thumbprint-kid-rootcert-ec",
        "auth/thumbprint-kid-rootcert-rsa",
        "auth/jwks-kid",
        "auth/signing-algorithms-restricted",
        "auth/ed25519-jwks",
        "auth/x5c-chain",
    ] {
        assert!(dir.join(format!("{id}.toml")).is_file(), "{id}");
    }
}

#[test]
fn a_token_s_algorithm_names_its_key_type() {
    let shape = |alg: &str| crate::inspect::TokenShape {
        alg: alg.into(),
        kid: Some("k".into()),
        kid_shape: KidForm::Arbitrary,
        x5c_certificates: 0,
        embedded_jwk: false,
        audience_is_list: false,
        issuer: None,
        audiences: Vec::new(),
        expires_in: None,
    };
    assert_eq!(TokenProfile::of(&shape("ES256")).key, KeyType::Ec);
    assert_eq!(TokenProfile::of(&shape("EdDSA")).key, KeyType::Ed25519);
    assert_eq!(TokenProfile::of(&shape("RS256")).key, KeyType::Rsa);
}

#[test]
fn the_parser_probe_never_sees_a_secret_and_reads_plain_words_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(
        &config,
        "storage:\n  azure:\n    accountname: acct\n    accountkey: c2VjcmV0\n    container: c\n\
         redis:\n  password: '*redisPw1'\nhttp:\n  secret: httpS3cret\n\
         notifications:\n  endpoints:\n    - name: a\n      headers: {X-Api-Key: k3y-1234}\n",
    )
    .unwrap();
    let var = |name: &str, value: &str| EnvVar {
        name: name.into(),
        value: value.into(),
        origin: "--env".into(),
    };
    let input = DeploymentInput {
        config: read_config(&config).unwrap(),
        env: vec![
            var("REGISTRY_STORAGE_AZURE_ACCOUNTKEY", "c2VjcmV0"),
            var("REGISTRY_REDIS_ADDRS", "[r:6379]"),
            var("REGISTRY_REDIS_PASSWORD", "*envPw"),
            var("AZURE_CLIENT_ID", "x"),
        ],
    };
    let (yaml, env) = parser_input(&input);
    for secret in ["c2VjcmV0", "redisPw1", "httpS3cret", "k3y-1234", "envPw"] {
        assert!(!yaml.contains(secret), "{secret} in {yaml}");
        assert!(!format!("{env:?}").contains(secret), "{secret} in {env:?}");
    }
    assert_eq!(
        env,
        [
            (
                "REGISTRY_STORAGE_AZURE_ACCOUNTKEY".to_string(),
                "redacted-by-regmatrix".to_string()
            ),
            ("REGISTRY_REDIS_ADDRS".to_string(), "[r:6379]".to_string()),
            (
                "REGISTRY_REDIS_PASSWORD".to_string(),
                "redacted-by-regmatrix".to_string()
            ),
        ]
    );
}
