//! Each version's dialect of `config.yml` in one place: which tags speak it,
//! how the azure credentials and `auth.token` are spelled in it, which keys
//! it reads, and the reverse mapping from a written config to the
//! credentials mode a scenario names. It must not render whole configs or
//! judge what a version does with a user's config (`upgrade` does that).

use serde_yaml::{Mapping, Value};

use super::credentials::{ServicePrincipal, StorageCredentials};
use super::sections::{map, TokenAuthConfig, Unsupported};
use crate::storage::StorageAccount;
use crate::versions::RegistryVersion;

/// Which spelling of the azure storage driver's keys a version understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigDialect {
    /// 2.x: `accountname`/`accountkey`/`container`/`realm`, shared key only.
    V2,
    /// 3.0.0 pre-releases: a non-empty `accountkey` selects shared key; otherwise
    /// `credentials.type: client_secret` or anything else for DefaultAzureCredential.
    V3PreRelease,
    /// 3.0.0 and later: `credentials.type` is one of `shared_key`, `client_secret`,
    /// `default_credentials`.
    V3,
}

impl ConfigDialect {
    /// The dialect a tag speaks; the tag alone decides it.
    pub fn of(version: &RegistryVersion) -> Self {
        match version.release() {
            (2, _, _) => ConfigDialect::V2,
            // rc.4's azure driver is 3.0.0's: its auth.go and parser.go are
            // byte for byte v3.0.0's (credentials.type selects the mode).
            (3, 0, 0) if version.tag() == "v3.0.0-rc.4" => ConfigDialect::V3,
            // Every earlier 3.0.0 pre-release (alpha, beta, rc.1 to rc.3) still
            // selects shared key by the presence of `accountkey`
            // (registry/storage/driver/azure/azure_auth.go; no auth.go yet).
            (3, 0, 0) if version.is_prerelease() => ConfigDialect::V3PreRelease,
            _ => ConfigDialect::V3,
        }
    }

    /// The blob-name prefix under which the version's azure driver stores
    /// the registry: 2.x passes the storage path as the blob name, leading
    /// slash included (distribution#1247); 3.x trims it (`blobName`).
    pub fn blob_root(self) -> &'static str {
        match self {
            ConfigDialect::V2 => "/docker/registry/v2",
            ConfigDialect::V3PreRelease | ConfigDialect::V3 => "docker/registry/v2",
        }
    }

    /// `storage.azure` keys the version's azure driver reads
    /// (`azure.go`/`azure_auth.go` of each tag).
    pub fn azure_keys(self) -> &'static [&'static str] {
        match self {
            ConfigDialect::V2 => &["accountname", "accountkey", "container", "realm"],
            ConfigDialect::V3PreRelease => &[
                "accountname",
                "accountkey",
                "container",
                "credentials",
                "connectionstring",
                "realm",
                "rootdirectory",
                "serviceurl",
                "copy_status_poll_max_retry",
                "copy_status_poll_delay",
            ],
            ConfigDialect::V3 => &[
                "accountname",
                "accountkey",
                "container",
                "credentials",
                "connectionstring",
                "realm",
                "rootdirectory",
                "serviceurl",
                "max_retries",
                "retry_delay",
                "skipverify",
            ],
        }
    }

    /// `auth.token` options the version's token `accesscontroller.go` reads.
    pub fn token_keys(self) -> &'static [&'static str] {
        match self {
            ConfigDialect::V2 => &[
                "realm",
                "service",
                "issuer",
                "rootcertbundle",
                "autoredirect",
            ],
            ConfigDialect::V3PreRelease => &[
                "realm",
                "service",
                "issuer",
                "rootcertbundle",
                "jwks",
                "autoredirect",
            ],
            ConfigDialect::V3 => &[
                "realm",
                "service",
                "issuer",
                "rootcertbundle",
                "jwks",
                "autoredirect",
                "autoredirectpath",
                "signingalgorithms",
            ],
        }
    }

    /// Adds the credential keys of `credentials` to an azure section.
    pub(super) fn write_credentials(
        self,
        credentials: &StorageCredentials,
        account: &StorageAccount,
        azure: &mut Mapping,
    ) -> Result<(), Unsupported> {
        // Token credentials never come with the account key: a version that
        // falls back to shared key must fail for lack of it, visibly.
        match (credentials, self) {
            (StorageCredentials::SharedKey, ConfigDialect::V2 | ConfigDialect::V3PreRelease) => {
                azure.insert("accountkey".into(), account.key_base64.clone().into());
            }
            (StorageCredentials::SharedKey, ConfigDialect::V3) => {
                azure.insert("accountkey".into(), account.key_base64.clone().into());
                azure.insert("credentials".into(), map([("type", "shared_key".into())]));
            }
            (other, ConfigDialect::V2) => {
                return Err(Unsupported(format!(
                    "{}: registry 2.8's azure driver authenticates with accountname/accountkey only; it has no credentials block and no Entra ID token support",
                    other.name()
                )));
            }
            (StorageCredentials::ClientSecret(principal), _) => {
                azure.insert(
                    "credentials".into(),
                    credentials_block("client_secret", Some(principal)),
                );
            }
            (StorageCredentials::DefaultCredentials { documented }, _) => {
                azure.insert(
                    "credentials".into(),
                    credentials_block("default_credentials", documented.as_ref()),
                );
            }
        }
        Ok(())
    }

    /// `auth.token` in this dialect: 2.8 trusts `rootcertbundle` only;
    /// `jwks` arrived with 3.0.0-alpha.1 and `signingalgorithms` with 3.0.0.
    pub(super) fn token_auth(self, auth: &TokenAuthConfig) -> Result<Mapping, Unsupported> {
        let mut token = Mapping::new();
        token.insert("realm".into(), auth.realm.clone().into());
        token.insert("service".into(), auth.service.clone().into());
        token.insert("issuer".into(), auth.issuer.clone().into());
        if let Some(bundle) = &auth.rootcertbundle {
            token.insert("rootcertbundle".into(), bundle.display().to_string().into());
        }
        match (&auth.jwks, self) {
            // Given both, 2.8 gets what it can read: the bundle, from which it
            // derives the libtrust key IDs a JWKS would list for 3.x.
            (Some(_), ConfigDialect::V2) if auth.rootcertbundle.is_some() => {}
            (Some(_), ConfigDialect::V2) => {
                return Err(Unsupported(
                    "auth.token.jwks: registry 2.8 has no jwks option; it trusts the certificates in rootcertbundle only".into(),
                ));
            }
            (Some(jwks), _) => {
                token.insert("jwks".into(), jwks.display().to_string().into());
            }
            (None, _) => {}
        }
        if let Some(algorithms) = &auth.signing_algorithms {
            if self != ConfigDialect::V3 {
                return Err(Unsupported(
                    "auth.token.signingalgorithms: only registry 3.0.0 and later can restrict signing algorithms".into(),
                ));
            }
            token.insert(
                "signingalgorithms".into(),
                Value::Sequence(algorithms.iter().map(|a| a.clone().into()).collect()),
            );
        }
        Ok(token)
    }
}

fn credentials_block(kind: &str, principal: Option<&ServicePrincipal>) -> Value {
    let mut block = Mapping::new();
    block.insert("type".into(), kind.into());
    if let Some(p) = principal {
        block.insert("clientid".into(), p.client_id.clone().into());
        block.insert("tenantid".into(), p.tenant_id.clone().into());
        block.insert("secret".into(), p.secret.clone().into());
    }
    Value::Mapping(block)
}

/// The reverse of rendering: the `[registry] credentials` word that
/// describes a written azure section, the same on every dialect because
/// upgrade-check runs one scenario on both versions.
pub fn credentials_mode(azure: &Mapping) -> &'static str {
    let credentials = azure.get("credentials").and_then(Value::as_mapping);
    let kind = credentials
        .and_then(|c| c.get("type"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let has_ids = credentials.is_some_and(|c| c.contains_key("clientid"));
    match kind {
        "client_secret" => "client-secret",
        "default_credentials" if has_ids => "default-credentials-documented",
        "default_credentials" => "default-credentials",
        _ if azure.contains_key("accountkey") => "shared-key",
        _ => "default-credentials",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(tag: &str) -> RegistryVersion {
        tag.parse().unwrap()
    }

    #[test]
    fn dialect_follows_the_tag() {
        assert_eq!(ConfigDialect::of(&v("v2.8.3")), ConfigDialect::V2);
        assert_eq!(
            ConfigDialect::of(&v("v3.0.0-alpha.1")),
            ConfigDialect::V3PreRelease
        );
        assert_eq!(
            ConfigDialect::of(&v("v3.0.0-rc.3")),
            ConfigDialect::V3PreRelease
        );
        assert_eq!(ConfigDialect::of(&v("v3.0.0-rc.4")), ConfigDialect::V3);
        assert_eq!(ConfigDialect::of(&v("v3.0.0")), ConfigDialect::V3);
        assert_eq!(ConfigDialect::of(&v("v3.1.1")), ConfigDialect::V3);
    }

    #[test]
    fn every_key_the_harness_renders_is_one_the_dialect_reads() {
        for dialect in [
            ConfigDialect::V2,
            ConfigDialect::V3PreRelease,
            ConfigDialect::V3,
        ] {
            for key in ["accountname", "accountkey", "container", "realm"] {
                assert!(dialect.azure_keys().contains(&key), "{dialect:?} {key}");
            }
            for key in ["realm", "service", "issuer", "rootcertbundle"] {
                assert!(dialect.token_keys().contains(&key), "{dialect:?} {key}");
            }
        }
    }

    #[test]
    fn credentials_mode_reads_the_written_section() {
        let mode = |yaml: &str| credentials_mode(&serde_yaml::from_str(yaml).unwrap());
        assert_eq!(mode("accountname: a\naccountkey: k\n"), "shared-key");
        assert_eq!(
            mode("credentials:\n  type: default_credentials\n  clientid: x\n"),
            "default-credentials-documented"
        );
        assert_eq!(
            mode("credentials:\n  type: default_credentials\n"),
            "default-credentials"
        );
        assert_eq!(mode("accountname: a\n"), "default-credentials");
    }
}
