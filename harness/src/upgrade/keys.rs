//! What each version does with the keys of a user's config that matter for
//! an upgrade; which keys a version reads at all is the dialect's
//! (`registry_config::ConfigDialect`). A key a version does not know is
//! reported, never dropped silently.

use serde_yaml::{Mapping, Value};

use crate::registry_config::ConfigDialect;
use crate::versions::RegistryVersion;

/// One thing a version will do differently with the user's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFinding {
    pub version: String,
    pub key: String,
    pub note: String,
}

fn text(section: &Mapping, key: &str) -> Option<String> {
    section.get(key).and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// What `version` makes of the azure and token sections.
pub fn findings(
    version: &RegistryVersion,
    azure: &Mapping,
    token: Option<&Mapping>,
) -> Vec<KeyFinding> {
    let dialect = ConfigDialect::of(version);
    let tag = version.tag().to_string();
    let mut out = Vec::new();
    let mut note = |key: &str, note: String| {
        out.push(KeyFinding {
            version: tag.clone(),
            key: key.to_string(),
            note,
        })
    };
    for key in azure.keys().filter_map(Value::as_str) {
        if !dialect.azure_keys().contains(&key) {
            note(
                &format!("storage.azure.{key}"),
                format!("not a key of {tag}'s azure driver: ignored"),
            );
        }
    }
    let credentials = azure.get("credentials").and_then(Value::as_mapping);
    let kind = credentials
        .and_then(|c| text(c, "type"))
        .unwrap_or_default();
    let has_key = text(azure, "accountkey").is_some_and(|k| !k.is_empty());
    match dialect {
        ConfigDialect::V2 => {
            if !has_key {
                note("storage.azure.accountkey", "required by 2.8: the registry refuses to start without it (`no accountkey parameter provided`)".into());
            }
        }
        ConfigDialect::V3PreRelease => {
            if has_key && credentials.is_some() {
                note("storage.azure.credentials", "a non-empty accountkey wins on 3.0.0 pre-releases: credentials are ignored and shared key is used".into());
            } else if !has_key && kind != "client_secret" {
                note("storage.azure.credentials.type", format!("{kind:?} is not client_secret: the pre-release uses DefaultAzureCredential (the AZURE_* environment, workload or managed identity)"));
            }
        }
        ConfigDialect::V3 => match kind.as_str() {
            "client_secret" | "shared_key" => {}
            "default_credentials" if tag == "v3.0.0" => note(
                "storage.azure.credentials.type",
                "v3.0.0 maps default_credentials to the shared-key client (distribution/distribution#4618): without an accountkey every storage request fails".into(),
            ),
            "default_credentials" => {}
            other => {
                // The type that keeps what the config already authenticates with.
                let fits = if has_key {
                    "shared_key (your accountkey)"
                } else if credentials.is_some_and(|c| c.contains_key("secret")) {
                    "client_secret (your service principal)"
                } else {
                    "default_credentials (workload or managed identity, or AZURE_* variables)"
                };
                note(
                    "storage.azure.credentials.type",
                    format!("{other:?} is refused at start-up by 3.0.0+ (`invalid credentials type`): set {fits}"),
                )
            }
        },
    }
    if kind == "default_credentials" {
        for field in ["clientid", "tenantid", "secret"] {
            if credentials.is_some_and(|c| c.contains_key(field)) {
                note(&format!("storage.azure.credentials.{field}"), "not read under default_credentials: the credential chain takes AZURE_* from the environment".into());
            }
        }
    }
    if let Some(token) = token {
        for key in token.keys().filter_map(Value::as_str) {
            if !dialect.token_keys().contains(&key) {
                note(
                    &format!("auth.token.{key}"),
                    format!("not an option of {tag}'s token auth: ignored"),
                );
            }
        }
        if dialect != ConfigDialect::V2
            && token.contains_key("rootcertbundle")
            && !token.contains_key("jwks")
        {
            note("auth.token.rootcertbundle", "3.x does not trust a kid that is the libtrust key ID of a bundle certificate (2.8 did); unless your tokens carry x5c, add a JWKS: `regmatrix jwks from-cert <bundle> --kid libtrust`".into());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(yaml: &str) -> Mapping {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn the_seed_incidents_are_named() {
        let azure = mapping("accountname: a\ncontainer: c\ncredentials:\n  type: default_credentials\n  clientid: x\n");
        let v300: RegistryVersion = "v3.0.0".parse().unwrap();
        let found = findings(&v300, &azure, None);
        assert!(found.iter().any(|f| f.note.contains("#4618")), "{found:?}");
        assert!(found
            .iter()
            .any(|f| f.key == "storage.azure.credentials.clientid"));
        let v28: RegistryVersion = "v2.8.3".parse().unwrap();
        let found = findings(&v28, &azure, None);
        assert!(found
            .iter()
            .any(|f| f.key == "storage.azure.credentials" && f.note.contains("ignored")));
        assert!(found
            .iter()
            .any(|f| f.note.contains("no accountkey parameter provided")));

        let token = mapping(
            "realm: https://auth.example/token\nservice: s\nissuer: i\nrootcertbundle: /b.pem\n",
        );
        let v311: RegistryVersion = "v3.1.1".parse().unwrap();
        let old = mapping("accountname: a\naccountkey: k\ncontainer: c\n");
        let found = findings(&v311, &old, Some(&token));
        assert!(
            found.iter().any(|f| f.note.contains("jwks from-cert")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.note.contains("invalid credentials type")),
            "{found:?}"
        );
    }
}
