//! The user's whole config, section by section: what runs as written, what
//! runs against a service the harness starts on loopback (the mock cloud,
//! the token server, a real redis-server, a notification recorder), what
//! the harness must own to observe the registry, and what cannot run here
//! and why. Every key is accounted for: nothing is dropped silently.

use serde_yaml::{Mapping, Value};

use crate::registry_config::{
    endpoint_name, UserSections, NOTIFICATIONS_URL, REDIS_ADDR, REDIS_PASSWORD,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionFate {
    /// Rendered into the registry's config as the user wrote it.
    AsWritten,
    /// Rendered with its addresses pointed at a loopback service the
    /// harness starts.
    LocalService,
    /// The harness sets it to run and observe the registry here.
    Harness,
    /// Not rendered: it needs something this machine cannot reach.
    NotExercised,
}

impl SectionFate {
    pub fn as_str(self) -> &'static str {
        match self {
            SectionFate::AsWritten => "as-written",
            SectionFate::LocalService => "local-service",
            SectionFate::Harness => "harness",
            SectionFate::NotExercised => "not-exercised",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// A dotted key (`redis`, `storage.cache`, `middleware.storage`).
    pub key: String,
    pub fate: SectionFate,
    pub note: String,
}

impl Section {
    /// One line of the text output: the key, how it ran, and why.
    pub fn line(&self) -> String {
        let how = match self.fate {
            SectionFate::AsWritten => "as written",
            SectionFate::LocalService => "against a loopback service",
            SectionFate::Harness => "set by the harness",
            SectionFate::NotExercised => "NOT EXERCISED",
        };
        if self.note.is_empty() {
            format!("{}: {how}", self.key)
        } else {
            format!("{}: {how}: {}", self.key, self.note)
        }
    }
}

/// Storage keys other than the driver's that run as written.
const STORAGE_AS_WRITTEN: [&str; 5] = ["cache", "delete", "redirect", "maintenance", "tag"];
/// HTTP keys the harness sets: where it listens and how it is reached.
const HTTP_HARNESS: [&str; 6] = ["addr", "net", "host", "prefix", "debug", "secret"];
/// HTTP keys that need certificates or names of the user's.
const HTTP_NOT_EXERCISED: [&str; 3] = ["tls", "letsencrypt", "h2c"];
/// Storage drivers other than azure: the check runs on Azure Blob storage.
const DRIVERS: [&str; 8] = [
    "filesystem",
    "inmemory",
    "s3",
    "gcs",
    "swift",
    "oss",
    "cos",
    "azure",
];

/// Accounts for every top-level key of `doc` and builds what runs as written.
pub fn classify(doc: &Value) -> (Vec<Section>, UserSections) {
    let mut sections = Vec::new();
    let mut pass = UserSections::default();
    let Some(root) = doc.as_mapping() else {
        return (sections, pass);
    };
    let mut note = |key: &str, fate, note: String| {
        sections.push(Section {
            key: key.to_string(),
            fate,
            note,
        })
    };
    for (key, value) in root {
        let Some(key) = key.as_str() else { continue };
        match key {
            "version" => note(key, SectionFate::Harness, "0.1".into()),
            "storage" => {
                let mut kept = Mapping::new();
                for (sub, v) in value.as_mapping().into_iter().flatten() {
                    let Some(sub) = sub.as_str() else { continue };
                    let dotted = format!("storage.{sub}");
                    if sub == "azure" {
                        note(&dotted, SectionFate::LocalService, "the mock cloud: Azurite behind the front door, your account and container names, the mock account's secrets".into());
                    } else if DRIVERS.contains(&sub) {
                        note(&dotted, SectionFate::NotExercised, "another storage driver: upgrade-check runs storage.azure".into());
                    } else if STORAGE_AS_WRITTEN.contains(&sub) {
                        kept.insert(sub.into(), v.clone());
                        note(&dotted, SectionFate::AsWritten, String::new());
                    } else {
                        kept.insert(sub.into(), v.clone());
                        note(&dotted, SectionFate::AsWritten, "not a storage key regmatrix knows: each version decides".into());
                    }
                }
                if !kept.is_empty() {
                    pass.config.insert("storage".into(), Value::Mapping(kept));
                }
            }
            "http" => {
                let mut kept = Mapping::new();
                for (sub, v) in value.as_mapping().into_iter().flatten() {
                    let Some(sub) = sub.as_str() else { continue };
                    let dotted = format!("http.{sub}");
                    if HTTP_HARNESS.contains(&sub) {
                        note(&dotted, SectionFate::Harness, "the harness's loopback address, debug listener and secret".into());
                    } else if HTTP_NOT_EXERCISED.contains(&sub) {
                        note(&dotted, SectionFate::NotExercised, "needs your certificates or public names; the harness serves plain HTTP on loopback".into());
                    } else {
                        kept.insert(sub.into(), v.clone());
                        note(&dotted, SectionFate::AsWritten, String::new());
                    }
                }
                if !kept.is_empty() {
                    pass.config.insert("http".into(), Value::Mapping(kept));
                }
            }
            "auth" => {
                for (sub, _) in value.as_mapping().into_iter().flatten() {
                    let Some(sub) = sub.as_str() else { continue };
                    let dotted = format!("auth.{sub}");
                    if sub == "token" {
                        note(&dotted, SectionFate::LocalService, "the mock token server: its realm, service, issuer and keys; your trust (rootcertbundle, jwks) and token shape".into());
                    } else {
                        note(&dotted, SectionFate::NotExercised, format!("{sub} authentication reads files or users of your deployment; only auth.token runs"));
                    }
                }
            }
            "log" => note(key, SectionFate::Harness, "info level, text formatter, access log: the evidence is read from the registry's log".into()),
            "redis" => {
                let mut redis = value.as_mapping().cloned().unwrap_or_default();
                if redis.contains_key("addrs") {
                    redis.insert("addrs".into(), Value::Sequence(vec![REDIS_ADDR.into()]));
                }
                if redis.contains_key("addr") || !redis.contains_key("addrs") {
                    redis.insert("addr".into(), REDIS_ADDR.into());
                }
                if redis.contains_key("password") {
                    redis.insert("password".into(), REDIS_PASSWORD.into());
                }
                let tls = redis.remove("tls").is_some();
                // One loopback server with one password: no users, no Sentinel.
                let dropped: Vec<&str> = ["username", "mastername", "sentinelusername", "sentinelpassword"]
                    .into_iter()
                    .filter(|k| redis.remove(*k).is_some())
                    .collect();
                if !dropped.is_empty() {
                    note(
                        &format!("redis.{}", dropped.join(",")),
                        SectionFate::NotExercised,
                        "the loopback redis-server is one server with one password: no users, no Sentinel".into(),
                    );
                }
                pass.redis = true;
                pass.config.insert("redis".into(), Value::Mapping(redis));
                note(key, SectionFate::LocalService, format!(
                    "a real redis-server on loopback at the address key you wrote (addr or addrs), your db, pool and timeouts as written{}",
                    if tls { "; redis.tls not exercised (plain TCP on loopback)" } else { "" }
                ));
            }
            "notifications" => {
                let mut notifications = value.as_mapping().cloned().unwrap_or_default();
                let mut names = Vec::new();
                if let Some(Value::Sequence(endpoints)) = notifications.get_mut("endpoints") {
                    for endpoint in endpoints.iter_mut().filter_map(Value::as_mapping_mut) {
                        let name = endpoint_name(endpoint);
                        endpoint.insert("url".into(), NOTIFICATIONS_URL.into());
                        // Header values are credentials more often than not
                        // (Authorization); the registry logs them.
                        if let Some(Value::Mapping(headers)) = endpoint.get_mut("headers") {
                            for (_, value) in headers.iter_mut() {
                                *value = Value::Sequence(vec!["redacted-by-regmatrix".into()]);
                            }
                        }
                        names.push(name);
                    }
                }
                note(key, SectionFate::LocalService, format!(
                    "each endpoint ({}) posts to a loopback recorder that counts the events each version sends; header names, timeouts, thresholds and ignores as written (header values replaced)",
                    if names.is_empty() { "none listed".to_string() } else { names.join(", ") }
                ));
                pass.notification_endpoints = names;
                pass.config.insert("notifications".into(), Value::Mapping(notifications));
            }
            "middleware" => {
                for (sub, list) in value.as_mapping().into_iter().flatten() {
                    let Some(sub) = sub.as_str() else { continue };
                    let names: Vec<&str> = list
                        .as_sequence()
                        .into_iter()
                        .flatten()
                        .filter_map(|m| m.get("name").and_then(Value::as_str))
                        .collect();
                    note(&format!("middleware.{sub}"), SectionFate::NotExercised, format!(
                        "{}: rewrites URLs to your CDN or host, which is not reachable from here",
                        names.join(", ")
                    ));
                }
            }
            "proxy" => note(key, SectionFate::NotExercised, "a pull-through cache needs its upstream registry; nothing outside loopback is reachable here".into()),
            "reporting" => note(key, SectionFate::NotExercised, "reports to a third-party service".into()),
            "health" => {
                let mut kept = Mapping::new();
                for (sub, v) in value.as_mapping().into_iter().flatten() {
                    let Some(sub) = sub.as_str() else { continue };
                    if sub == "storagedriver" {
                        kept.insert(sub.into(), v.clone());
                        note("health.storagedriver", SectionFate::AsWritten, String::new());
                    } else {
                        note(&format!("health.{sub}"), SectionFate::NotExercised, "checks your own files, hosts or URLs".into());
                    }
                }
                if !kept.is_empty() {
                    pass.config.insert("health".into(), Value::Mapping(kept));
                }
            }
            other => {
                pass.config.insert(other.into(), value.clone());
                note(other, SectionFate::AsWritten, String::new());
            }
        }
    }
    (sections, pass)
}

#[cfg(test)]
mod tests;
