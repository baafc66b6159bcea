//! What an operator hands `upgrade-check`, read as they hold it: a
//! `config.yml`, or a Kubernetes ConfigMap or Secret manifest holding one
//! (the way Helm charts ship it), and `REGISTRY_*` environment variables
//! from an env file (`KEY=VALUE` lines, as `docker run --env-file` and
//! Kubernetes `envFrom` hold them) or from the command line.
//!
//! The variables are not interpreted here beyond what the harness must know
//! before anything starts (the account, container and realm to serve, the
//! credential mode): the registry process gets them, so each version's own
//! override parser decides what they mean.

use std::path::Path;

use base64::Engine;
use serde::Deserialize;
use serde_yaml::{Mapping, Value};

/// The keys a ConfigMap or Secret may hold the config under, in the order
/// they are looked for (distribution's image reads
/// `/etc/docker/registry/config.yml`; charts mount it under either name).
const CONFIG_KEYS: [&str; 2] = ["config.yml", "config.yaml"];

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: not YAML: {message}")]
    Yaml { file: String, message: String },
    #[error("{file}: {kind} {name} holds no config.yml (its keys: {keys})")]
    NoConfigKey {
        file: String,
        kind: String,
        name: String,
        keys: String,
    },
    #[error("{file}: Secret {name}: data.{key} is not base64: {message}")]
    Base64 {
        file: String,
        name: String,
        key: String,
        message: String,
    },
    #[error("{file}: no registry config in it (no storage section, nor a ConfigMap or Secret holding config.yml)")]
    NoConfig { file: String },
    #[error("{origin}: not KEY=VALUE: {line:?}")]
    EnvLine { origin: String, line: String },
    #[error("{origin}: {name:?} is not a variable name (letters, digits and _, not starting with a digit)")]
    EnvName { origin: String, name: String },
}

/// The registry config as the operator wrote it, and where it came from.
#[derive(Debug, Clone)]
pub struct ConfigInput {
    /// For messages: the path, and for a manifest the object and key.
    pub origin: String,
    pub document: Value,
}

/// Reads `path`: a config.yml, or a manifest (possibly several YAML
/// documents) with a ConfigMap or Secret holding one.
pub fn read_config(path: &Path) -> Result<ConfigInput, InputError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        file: file.clone(),
        source,
    })?;
    config_from_text(&file, &text)
}

fn config_from_text(file: &str, text: &str) -> Result<ConfigInput, InputError> {
    let yaml = |message: String| InputError::Yaml {
        file: file.to_string(),
        message,
    };
    let mut documents = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = serde_yaml::Value::deserialize(document).map_err(|e| yaml(e.to_string()))?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    let mut holders = Vec::new();
    for document in &documents {
        match document["kind"].as_str() {
            Some(kind @ ("ConfigMap" | "Secret")) => holders.push((kind, document)),
            _ if document.get("storage").is_some() || document.get("version").is_some() => {
                return Ok(ConfigInput {
                    origin: file.to_string(),
                    document: document.clone(),
                });
            }
            _ => {}
        }
    }
    let mut refusal = None;
    for (kind, holder) in holders {
        match held_config(file, kind, holder) {
            Ok(found) => return Ok(found),
            Err(e) => refusal = refusal.or(Some(e)),
        }
    }
    Err(refusal.unwrap_or(InputError::NoConfig {
        file: file.to_string(),
    }))
}

/// The config a ConfigMap (`data`) or Secret (`stringData`, or base64
/// `data`) holds under `config.yml`.
fn held_config(file: &str, kind: &str, holder: &Value) -> Result<ConfigInput, InputError> {
    let name = holder["metadata"]["name"]
        .as_str()
        .unwrap_or("(unnamed)")
        .to_string();
    let mut keys: Vec<String> = Vec::new();
    let sections: &[(&str, bool)] = if kind == "Secret" {
        &[("stringData", false), ("data", true)]
    } else {
        &[("data", false)]
    };
    for &(section, base64) in sections {
        let Some(entries) = holder[section].as_mapping() else {
            continue;
        };
        keys.extend(entries.keys().filter_map(Value::as_str).map(str::to_string));
        let Some((key, text)) = CONFIG_KEYS
            .iter()
            .find_map(|k| entries.get(*k).and_then(Value::as_str).map(|t| (*k, t)))
        else {
            continue;
        };
        let text = if base64 {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.split_whitespace().collect::<String>())
                .map_err(|e| InputError::Base64 {
                    file: file.to_string(),
                    name: name.clone(),
                    key: key.to_string(),
                    message: e.to_string(),
                })?;
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            text.to_string()
        };
        let origin = format!("{file} ({kind} {name}, {key})");
        let document: Value = serde_yaml::from_str(&text).map_err(|e| InputError::Yaml {
            file: origin.clone(),
            message: e.to_string(),
        })?;
        return Ok(ConfigInput { origin, document });
    }
    Err(InputError::NoConfigKey {
        file: file.to_string(),
        kind: kind.to_string(),
        name,
        keys: if keys.is_empty() {
            "none".into()
        } else {
            keys.join(", ")
        },
    })
}

/// One environment variable the operator gave, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
    /// `FILE:LINE` or `--env`.
    pub origin: String,
}

/// Reads an env file: `KEY=VALUE` lines; blank lines and `#` comments
/// skipped; an `export ` prefix and one pair of matching quotes around the
/// value allowed.
pub fn read_env_file(path: &Path) -> Result<Vec<EnvVar>, InputError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
        file: file.clone(),
        source,
    })?;
    let mut vars = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let origin = format!("{file}:{}", number + 1);
        let assignment = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        vars.push(parse_assignment(assignment, &origin)?);
    }
    Ok(vars)
}

/// One `--env KEY=VALUE`.
pub fn parse_env_arg(text: &str) -> Result<EnvVar, InputError> {
    parse_assignment(text, "--env")
}

fn parse_assignment(text: &str, origin: &str) -> Result<EnvVar, InputError> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(InputError::EnvLine {
            origin: origin.to_string(),
            line: text.to_string(),
        });
    };
    let name = name.trim();
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(InputError::EnvName {
            origin: origin.to_string(),
            name: name.to_string(),
        });
    }
    let value = unquote(value.trim());
    Ok(EnvVar {
        name: name.to_string(),
        value: value.to_string(),
        origin: origin.to_string(),
    })
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// The config path distribution maps a variable to: `REGISTRY_STORAGE_AZURE_ACCOUNTNAME`
/// is `storage.azure.accountname`. `None` for a name without the prefix.
fn config_path(name: &str) -> Option<Vec<String>> {
    let rest = name.strip_prefix("REGISTRY_")?;
    Some(rest.split('_').map(str::to_ascii_lowercase).collect())
}

/// The sections the harness exercises, by variable prefix; a variable
/// outside them does not reach the registry (its endpoint could be anywhere,
/// and nothing here would answer it), and is reported as not exercised.
const PASSED: [&str; 16] = [
    "REGISTRY_STORAGE_AZURE_",
    "REGISTRY_STORAGE_DELETE_",
    "REGISTRY_STORAGE_REDIRECT_",
    "REGISTRY_STORAGE_MAINTENANCE_",
    "REGISTRY_STORAGE_CACHE_",
    "REGISTRY_LOG_FIELDS_",
    "REGISTRY_COMPATIBILITY_",
    "REGISTRY_VALIDATION_",
    "REGISTRY_STORAGE_TAG_",
    "REGISTRY_CATALOG_",
    "REGISTRY_HEALTH_STORAGEDRIVER_",
    "REGISTRY_REDIS_",
    "REGISTRY_HTTP_HEADERS_",
    "REGISTRY_HTTP_RELATIVEURLS",
    "REGISTRY_HTTP_DRAINTIMEOUT",
    "REGISTRY_HTTP_HTTP2_",
];

/// Variables that name where a local service is: the plan reads them (a
/// redis section set only through the environment still starts a
/// redis-server), and the harness's own address replaces them.
const REPLACED: [&str; 3] = [
    "REGISTRY_REDIS_ADDR",
    "REGISTRY_REDIS_ADDRS",
    "REGISTRY_REDIS_PASSWORD",
];

/// Where `storage.azure` keeps a secret, and the placeholder the
/// environment fills with the mock cloud's value: one table for the config
/// file and for the variables that override it.
pub(super) const SECRET_PLACEHOLDERS: [(&[&str], &str); 4] = [
    (&["accountkey"], "{{accountkey}}"),
    (&["credentials", "clientid"], "{{clientid}}"),
    (&["credentials", "tenantid"], "{{tenantid}}"),
    (&["credentials", "secret"], "{{secret}}"),
];

/// The placeholder for a variable that overrides a secret of
/// `storage.azure`, if it does.
fn secret_placeholder(name: &str) -> Option<&'static str> {
    let path = config_path(name)?;
    let key = path.strip_prefix(&["storage".to_string(), "azure".to_string()])?;
    SECRET_PLACEHOLDERS
        .iter()
        .find(|(at, _)| at.iter().eq(key.iter()))
        .map(|(_, placeholder)| *placeholder)
}

/// A variable whose value is a secret outside storage.azure (which
/// [`SECRET_PLACEHOLDERS`] covers): never shown to anything that may quote it.
pub(crate) fn is_secret_name(name: &str) -> bool {
    matches!(
        name,
        "REGISTRY_REDIS_PASSWORD" | "REGISTRY_REDIS_SENTINELPASSWORD" | "REGISTRY_HTTP_SECRET"
    ) || name.starts_with("REGISTRY_NOTIFICATIONS_") && name.contains("_HEADERS_")
}

/// Redis keys naming users or a Sentinel set the loopback redis-server
/// does not have.
const REDIS_NOT_EXERCISED: [&str; 4] = [
    "REGISTRY_REDIS_USERNAME",
    "REGISTRY_REDIS_MASTERNAME",
    "REGISTRY_REDIS_SENTINELUSERNAME",
    "REGISTRY_REDIS_SENTINELPASSWORD",
];

/// What becomes of one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFate {
    /// The registry process gets it (a secret as a placeholder the
    /// environment fills with the mock cloud's value).
    Passed { value: String, secret: bool },
    /// The registry process gets it with the harness's loopback service in
    /// place of the address (or password) it names, in the form the user
    /// wrote (a scalar stays a scalar, a list a list), so each version's
    /// parser meets the same shape.
    Replaced { value: String, by: String },
    /// It does not reach the registry, and why.
    NotExercised(String),
}

/// Decides each variable's fate; a later one of a name replaces an
/// earlier one, as in a shell.
pub fn env_fates(vars: &[EnvVar]) -> Vec<(EnvVar, EnvFate)> {
    let mut last: Vec<&EnvVar> = Vec::new();
    for var in vars {
        last.retain(|v| v.name != var.name);
        last.push(var);
    }
    last.into_iter()
        .map(|var| (var.clone(), fate(var)))
        .collect()
}

fn fate(var: &EnvVar) -> EnvFate {
    let name = var.name.as_str();
    if let Some(placeholder) = secret_placeholder(name) {
        return EnvFate::Passed {
            value: placeholder.to_string(),
            secret: true,
        };
    }
    if name == "REGISTRY_STORAGE" {
        return if var.value == "azure" {
            EnvFate::Passed {
                value: var.value.clone(),
                secret: false,
            }
        } else {
            EnvFate::NotExercised(format!(
                "storage type {:?}: upgrade-check covers Azure Blob storage",
                var.value
            ))
        };
    }
    if REPLACED.contains(&name) {
        let by = "the harness's redis-server on loopback".to_string();
        let value = if name == "REGISTRY_REDIS_PASSWORD" {
            crate::registry_config::REDIS_PASSWORD.to_string()
        } else {
            match serde_yaml::from_str::<Value>(&var.value) {
                Ok(Value::Sequence(_)) => format!("[{}]", crate::registry_config::REDIS_ADDR),
                _ => crate::registry_config::REDIS_ADDR.to_string(),
            }
        };
        return EnvFate::Replaced { value, by };
    }
    if REDIS_NOT_EXERCISED.contains(&name) {
        return EnvFate::NotExercised(
            "the loopback redis-server is one server with one password: no users, no Sentinel"
                .into(),
        );
    }
    if name.starts_with("REGISTRY_REDIS_TLS") {
        return EnvFate::NotExercised("redis runs plain TCP on loopback".into());
    }
    if PASSED.iter().any(|prefix| name.starts_with(prefix)) || name == "REGISTRY_LOGLEVEL" {
        return EnvFate::Passed {
            value: var.value.clone(),
            secret: false,
        };
    }
    let why = match name {
        n if !n.starts_with("REGISTRY_") => {
            "not a REGISTRY_ variable (the platform's identity variables come from --workload)"
        }
        n if n.starts_with("REGISTRY_HTTP_") => {
            "the harness sets the listen addresses, TLS and http.secret"
        }
        n if n.starts_with("REGISTRY_LOG_") => {
            "the harness logs at info in text with the access log: the evidence is read from the log"
        }
        n if n.starts_with("REGISTRY_AUTH_") => {
            "auth runs against the mock token server, from the config's auth.token"
        }
        n if n.starts_with("REGISTRY_NOTIFICATIONS_") => {
            "set notifications in the config file: only its endpoints are pointed at the recorder"
        }
        n if n.starts_with("REGISTRY_MIDDLEWARE_") => {
            "middleware rewrites URLs to your CDN or host, which is not reachable from here"
        }
        n if n.starts_with("REGISTRY_PROXY_") => {
            "a pull-through cache needs its upstream registry; nothing outside loopback is reachable here"
        }
        _ => "a section upgrade-check does not exercise",
    };
    EnvFate::NotExercised(why.to_string())
}

/// The config as the registry will see it once the passed variables
/// override it: what the harness must know before it starts anything.
/// `REGISTRY_STORAGE=azure` makes Azure the storage driver, dropping any
/// other driver the file names.
pub fn with_overrides(document: &Value, fates: &[(EnvVar, EnvFate)]) -> Value {
    let mut merged = match document {
        Value::Mapping(m) => m.clone(),
        _ => Mapping::new(),
    };
    for (var, fate) in fates {
        if let EnvFate::NotExercised(_) = fate {
            continue;
        }
        let Some(path) = config_path(&var.name) else {
            continue;
        };
        if path == ["storage"] {
            select_driver(&mut merged, &var.value);
            continue;
        }
        // Planning needs the user's own values (the account name); secrets
        // keep theirs here and are swapped when the process starts.
        let value = serde_yaml::from_str::<Value>(&var.value)
            .ok()
            // A list stays a list (`[a:6379]`): flattened to a string it
            // would be rendered as one, which both versions reject.
            .filter(|v| !v.is_mapping())
            .unwrap_or_else(|| Value::from(var.value.clone()));
        set_path(&mut merged, &path, value);
    }
    Value::Mapping(merged)
}

const DRIVERS: [&str; 6] = ["filesystem", "inmemory", "s3", "gcs", "azure", "swift"];

fn select_driver(config: &mut Mapping, driver: &str) {
    let storage = config
        .entry("storage".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if !storage.is_mapping() {
        *storage = Value::Mapping(Mapping::new());
    }
    if let Value::Mapping(storage) = storage {
        storage.retain(|k, _| {
            k.as_str()
                .is_none_or(|k| !DRIVERS.contains(&k) || k == driver)
        });
        storage
            .entry(driver.into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
    }
}

fn set_path(config: &mut Mapping, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = config;
    for key in parents {
        let entry = node
            .entry(key.as_str().into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if !entry.is_mapping() {
            *entry = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(next) = entry else {
            return;
        };
        node = next;
    }
    node.insert(last.as_str().into(), value);
}

#[cfg(test)]
mod tests;
