use super::*;

fn config(text: &str) -> Result<ConfigInput, String> {
    config_from_text("in.yaml", text).map_err(|e| e.to_string())
}

#[test]
fn a_plain_config_is_itself() {
    let found = config("version: 0.1\nstorage:\n  azure:\n    accountname: prod\n").unwrap();
    assert_eq!(found.origin, "in.yaml");
    assert_eq!(found.document["storage"]["azure"]["accountname"], "prod");
}

#[test]
fn a_configmap_among_other_documents_gives_its_config_yml() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: registry}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: registry-config}
data:
  config.yml: |
    version: 0.1
    storage:
      azure:
        accountname: prod
";
    let found = config(text).unwrap();
    assert_eq!(
        found.origin,
        "in.yaml (ConfigMap registry-config, config.yml)"
    );
    assert_eq!(found.document["storage"]["azure"]["accountname"], "prod");
}

#[test]
fn a_secret_holds_it_base64_or_as_string_data() {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode("storage:\n  azure:\n    container: c\n");
    let text = format!("kind: Secret\nmetadata: {{name: s}}\ndata:\n  config.yml: {encoded}\n");
    assert_eq!(
        config(&text).unwrap().document["storage"]["azure"]["container"],
        "c"
    );
    let text = "kind: Secret\nmetadata: {name: s}\nstringData:\n  config.yaml: 'version: 0.1'\n";
    assert_eq!(
        config(text).unwrap().origin,
        "in.yaml (Secret s, config.yaml)"
    );
    let text = "kind: Secret\nmetadata: {name: s}\ndata:\n  config.yml: '***'\n";
    assert!(config(text)
        .unwrap_err()
        .starts_with("in.yaml: Secret s: data.config.yml is not base64"));
}

#[test]
fn a_manifest_without_a_config_says_what_it_holds() {
    assert_eq!(
        config("kind: ConfigMap\nmetadata: {name: cm}\ndata:\n  registry.conf: x\n  htpasswd: y\n")
            .unwrap_err(),
        String::from(
            "in.yaml: ConfigMap cm holds no config.yml (its keys: registry.conf, htpasswd)"
        )
    );
    assert_eq!(
        config("kind: Deployment\nmetadata: {name: d}\n").unwrap_err(),
        String::from("in.yaml: no registry config in it (no storage section, nor a ConfigMap or Secret holding config.yml)")
    );
    assert!(config("storage: [")
        .unwrap_err()
        .starts_with("in.yaml: not YAML: "));
}

#[test]
fn env_lines_parse_as_a_shell_would_take_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.env");
    std::fs::write(
        &path,
        "# storage\n\nREGISTRY_STORAGE=azure\nexport REGISTRY_STORAGE_AZURE_ACCOUNTNAME=\"prod\"\nREGISTRY_STORAGE_AZURE_ACCOUNTKEY='a=b='\n",
    )
    .unwrap();
    let vars = read_env_file(&path).unwrap();
    let shown: Vec<(&str, &str)> = vars
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("REGISTRY_STORAGE", "azure"),
            ("REGISTRY_STORAGE_AZURE_ACCOUNTNAME", "prod"),
            ("REGISTRY_STORAGE_AZURE_ACCOUNTKEY", "a=b="),
        ]
    );
    assert!(
        vars[1].origin.ends_with("registry.env:4"),
        "{}",
        vars[1].origin
    );
    std::fs::write(&path, "REGISTRY_STORAGE=azure\nnot an assignment\n").unwrap();
    let err = read_env_file(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("registry.env:2: not KEY=VALUE: \"not an assignment\""),
        "{err}"
    );
    assert_eq!(
        parse_env_arg("1ABC=x").unwrap_err().to_string(),
        "--env: \"1ABC\" is not a variable name (letters, digits and _, not starting with a digit)"
    );
    let missing = read_env_file(&dir.path().join("nope.env"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.starts_with("cannot read ") && missing.contains("nope.env: "),
        "{missing}"
    );
}

fn var(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: value.into(),
        origin: "--env".into(),
    }
}

#[test]
fn secrets_pass_as_placeholders_and_endpoints_elsewhere_do_not_pass() {
    let fates = env_fates(&[
        var("REGISTRY_STORAGE_AZURE_ACCOUNTKEY", "real-key"),
        var("REGISTRY_STORAGE_AZURE_CONTAINER", "registry"),
        var("REGISTRY_REDIS_ADDR", "redis.prod.example:6379"),
        var("REGISTRY_HTTP_ADDR", ":5000"),
        var("AZURE_CLIENT_ID", "x"),
        var("REGISTRY_STORAGE_AZURE_CONTAINER", "images"),
    ]);
    let find = |name: &str| {
        fates
            .iter()
            .find(|(v, _)| v.name == name)
            .map(|(_, f)| f.clone())
    };
    assert_eq!(
        find("REGISTRY_STORAGE_AZURE_ACCOUNTKEY"),
        Some(EnvFate::Passed {
            value: "{{accountkey}}".into(),
            secret: true
        })
    );
    // The later value of a name wins.
    assert_eq!(
        find("REGISTRY_STORAGE_AZURE_CONTAINER"),
        Some(EnvFate::Passed {
            value: "images".into(),
            secret: false
        })
    );
    assert_eq!(fates.len(), 5);
    // Planning reads where redis is; the harness's own server replaces it.
    assert!(
        matches!(find("REGISTRY_REDIS_ADDR"), Some(EnvFate::Replaced { ref value, .. }) if value == "{{redis.addr}}"),
        "{:?}",
        find("REGISTRY_REDIS_ADDR")
    );
    for name in ["REGISTRY_HTTP_ADDR", "AZURE_CLIENT_ID"] {
        assert!(
            matches!(find(name), Some(EnvFate::NotExercised(_))),
            "{name}: {:?}",
            find(name)
        );
    }
}

#[test]
fn overrides_make_an_env_only_deployment_an_azure_one() {
    let image_default: Value = serde_yaml::from_str(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\n",
    )
    .unwrap();
    let fates = env_fates(&[
        var("REGISTRY_STORAGE", "azure"),
        var("REGISTRY_STORAGE_AZURE_ACCOUNTNAME", "prod"),
        var("REGISTRY_STORAGE_AZURE_ACCOUNTKEY", "real-key"),
        var("REGISTRY_STORAGE_AZURE_CONTAINER", "registry"),
        var("REGISTRY_REDIS_ADDR", "redis.prod.example:6379"),
    ]);
    let merged = with_overrides(&image_default, &fates);
    let storage = &merged["storage"];
    assert!(storage.get("filesystem").is_none(), "{storage:?}");
    assert_eq!(storage["delete"]["enabled"], true);
    assert_eq!(storage["azure"]["accountname"], "prod");
    assert_eq!(storage["azure"]["container"], "registry");
    assert_eq!(storage["azure"]["accountkey"], "real-key");
    // A redis set only through the environment is still a redis section.
    assert_eq!(merged["redis"]["addr"], "redis.prod.example:6379");
}
