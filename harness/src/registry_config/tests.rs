use super::*;
use crate::storage::StorageAccount;
use serde_yaml::Value;

fn config() -> RegistryConfig {
    RegistryConfig {
        listen: "127.0.0.1:5000".parse().unwrap(),
        debug_listen: "127.0.0.1:5001".parse().unwrap(),
        storage: AzureStorage {
            account: StorageAccount {
                name: "acct".into(),
                key_base64: "a2V5".into(),
            },
            container: "registry".into(),
            realm: "core.windows.net".into(),
            credentials: StorageCredentials::SharedKey,
        },
        disable_redirect: false,
        delete_enabled: true,
        http_secret: "s".into(),
        token_auth: None,
        azure_as_written: None,
        user_sections: None,
        driver: StorageDriver::Azure,
    }
}

#[test]
fn filesystem_driver_replaces_azure_on_every_dialect() {
    let mut c = config();
    // Token credentials that 2.8 cannot express do not matter without Azure.
    c.storage.credentials = StorageCredentials::DefaultCredentials { documented: None };
    c.driver = StorageDriver::Filesystem {
        root: "/r/blobs".into(),
    };
    for dialect in [
        ConfigDialect::V2,
        ConfigDialect::V3PreRelease,
        ConfigDialect::V3,
    ] {
        let doc: Value = serde_yaml::from_str(&c.render(dialect).unwrap()).unwrap();
        assert_eq!(
            doc["storage"]["filesystem"]["rootdirectory"],
            Value::from("/r/blobs")
        );
        assert!(doc["storage"].get("azure").is_none());
    }
}

fn token_auth() -> TokenAuthConfig {
    TokenAuthConfig {
        realm: "https://auth.example/token".into(),
        service: "svc".into(),
        issuer: "iss".into(),
        rootcertbundle: Some("/r/roots.pem".into()),
        jwks: None,
        signing_algorithms: None,
    }
}

#[test]
fn token_auth_options_per_dialect() {
    let mut c = config();
    c.token_auth = Some(token_auth());
    for dialect in [
        ConfigDialect::V2,
        ConfigDialect::V3PreRelease,
        ConfigDialect::V3,
    ] {
        let doc: Value = serde_yaml::from_str(&c.render(dialect).unwrap()).unwrap();
        assert_eq!(
            doc["auth"]["token"]["rootcertbundle"],
            Value::from("/r/roots.pem")
        );
        assert_eq!(doc["auth"]["token"]["service"], Value::from("svc"));
    }
    let mut jwks = token_auth();
    jwks.jwks = Some("/r/jwks.json".into());
    c.token_auth = Some(jwks.clone());
    let v2: Value = serde_yaml::from_str(&c.render(ConfigDialect::V2).unwrap()).unwrap();
    assert!(
        v2["auth"]["token"].get("jwks").is_none(),
        "2.8 gets the bundle only"
    );
    jwks.rootcertbundle = None;
    c.token_auth = Some(jwks.clone());
    assert!(c
        .render(ConfigDialect::V2)
        .unwrap_err()
        .0
        .contains("no jwks option"));
    assert!(c.render(ConfigDialect::V3PreRelease).is_ok());
    jwks.signing_algorithms = Some(vec!["ES256".into()]);
    c.token_auth = Some(jwks);
    assert!(c.render(ConfigDialect::V3PreRelease).is_err());
    let doc: Value = serde_yaml::from_str(&c.render(ConfigDialect::V3).unwrap()).unwrap();
    assert_eq!(
        doc["auth"]["token"]["signingalgorithms"][0],
        Value::from("ES256")
    );
}

fn azure(yaml: &str) -> Value {
    let doc: Value = serde_yaml::from_str(yaml).unwrap();
    doc["storage"]["azure"].clone()
}

#[test]
fn shared_key_spelling_per_dialect() {
    let v2 = azure(&config().render(ConfigDialect::V2).unwrap());
    assert_eq!(v2["accountkey"], Value::from("a2V5"));
    assert!(
        v2.get("credentials").is_none(),
        "2.8 has no credentials block"
    );
    let pre = azure(&config().render(ConfigDialect::V3PreRelease).unwrap());
    assert!(pre.get("credentials").is_none());
    let v3 = azure(&config().render(ConfigDialect::V3).unwrap());
    assert_eq!(v3["credentials"]["type"], Value::from("shared_key"));
    assert_eq!(v3["realm"], Value::from("core.windows.net"));
    assert!(
        v3.get("serviceurl").is_none(),
        "production-style: no service URL"
    );
}

fn principal() -> ServicePrincipal {
    ServicePrincipal {
        tenant_id: "t".into(),
        client_id: "c".into(),
        secret: "s".into(),
    }
}

#[test]
fn token_credentials_carry_no_account_key_and_2_8_cannot_express_them() {
    for credentials in [
        StorageCredentials::ClientSecret(principal()),
        StorageCredentials::DefaultCredentials { documented: None },
        StorageCredentials::DefaultCredentials {
            documented: Some(principal()),
        },
    ] {
        let mut c = config();
        c.storage.credentials = credentials.clone();
        let err = c.render(ConfigDialect::V2).unwrap_err();
        assert!(err.0.contains("accountkey only"), "{err}");
        for dialect in [ConfigDialect::V3PreRelease, ConfigDialect::V3] {
            let yaml = c.render(dialect).unwrap();
            assert!(!yaml.contains("a2V5"), "no key in {yaml}");
            let azure = azure(&yaml);
            assert!(azure.get("accountkey").is_none());
            let kind = azure["credentials"]["type"].as_str().unwrap().to_string();
            match &credentials {
                StorageCredentials::ClientSecret(_) => {
                    assert_eq!(kind, "client_secret");
                    assert_eq!(azure["credentials"]["secret"], Value::from("s"));
                }
                StorageCredentials::DefaultCredentials { documented } => {
                    assert_eq!(kind, "default_credentials");
                    assert_eq!(
                        azure["credentials"].get("clientid").is_some(),
                        documented.is_some()
                    );
                }
                StorageCredentials::SharedKey => unreachable!(),
            }
        }
    }
}

#[test]
fn listens_and_debug_address_are_rendered() {
    let doc: Value = serde_yaml::from_str(&config().render(ConfigDialect::V3).unwrap()).unwrap();
    assert_eq!(doc["http"]["addr"], Value::from("127.0.0.1:5000"));
    assert_eq!(doc["http"]["debug"]["addr"], Value::from("127.0.0.1:5001"));
}

#[test]
fn blob_names_keep_2_8s_leading_slash_and_3_x_trims_it() {
    let root = |tag: &str| ConfigDialect::of(&tag.parse().unwrap()).blob_root();
    assert_eq!(root("v2.8.3"), "/docker/registry/v2");
    assert_eq!(root("v3.0.0-alpha.1"), "docker/registry/v2");
    assert_eq!(root("v3.1.2"), "docker/registry/v2");
}

#[test]
fn storage_delete_follows_the_flag_in_every_dialect() {
    for enabled in [true, false] {
        let c = RegistryConfig {
            delete_enabled: enabled,
            ..config()
        };
        for dialect in [
            ConfigDialect::V2,
            ConfigDialect::V3PreRelease,
            ConfigDialect::V3,
        ] {
            let doc: Value = serde_yaml::from_str(&c.render(dialect).unwrap()).unwrap();
            assert_eq!(
                doc["storage"]["delete"]["enabled"],
                Value::from(enabled),
                "{dialect:?}"
            );
        }
    }
}
