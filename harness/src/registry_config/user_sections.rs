//! The sections of a user's config the harness renders besides its own
//! (`upgrade-check`'s whole deployment), and the placeholders in them that
//! name the loopback services the environment starts: a redis-server and a
//! notification recorder. Which sections those are is upgrade-check's
//! choice; this only carries them to the rendered file.

use serde_yaml::{Mapping, Value};

/// A notification endpoint's URL; filled with the recorder's URL for the
/// endpoint's name.
pub const NOTIFICATIONS_URL: &str = "{{notifications}}";
/// The redis address (`addr`, or the one entry of `addrs`).
pub const REDIS_ADDR: &str = "{{redis.addr}}";
/// The redis password the environment's redis-server requires.
pub const REDIS_PASSWORD: &str = "{{redis.password}}";

/// Top-level sections rendered into the registry's config, and the services
/// they need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserSections {
    /// Merged into the rendered config ([`merge_into`]).
    pub config: Mapping,
    pub redis: bool,
    /// The notification endpoints' names, in the config's order.
    pub notification_endpoints: Vec<String>,
}

/// Where the loopback services listen, for the placeholders.
#[derive(Debug, Clone, Default)]
pub struct LocalServices {
    pub redis_addr: Option<String>,
    pub redis_password: Option<String>,
    /// The recorder's base URL (`http://host`), the endpoint's name appended.
    pub notifications_url: Option<String>,
}

impl LocalServices {
    /// `text` with each service placeholder in it replaced (a variable's
    /// value: `[{{redis.addr}}]` keeps its list form).
    pub fn fill_text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (placeholder, value) in [
            (REDIS_ADDR, &self.redis_addr),
            (REDIS_PASSWORD, &self.redis_password),
        ] {
            if let Some(value) = value {
                out = out.replace(placeholder, value);
            }
        }
        out
    }
}

impl UserSections {
    /// The config's redis section names a password (its placeholder).
    pub fn redis_password(&self) -> bool {
        self.config
            .get("redis")
            .and_then(|r| r.get("password"))
            .and_then(Value::as_str)
            == Some(REDIS_PASSWORD)
    }

    /// The sections with their placeholders filled.
    pub fn filled(&self, services: &LocalServices) -> Mapping {
        let mut config = self.config.clone();
        if let Some(Value::Mapping(notifications)) = config.get_mut("notifications") {
            if let Some(Value::Sequence(endpoints)) = notifications.get_mut("endpoints") {
                for endpoint in endpoints.iter_mut().filter_map(Value::as_mapping_mut) {
                    let name = endpoint_name(endpoint);
                    if let Some(base) = &services.notifications_url {
                        endpoint.insert("url".into(), format!("{base}/{name}").into());
                    }
                }
            }
        }
        fill_strings(&mut config, &|text| match text {
            REDIS_ADDR => services.redis_addr.clone(),
            REDIS_PASSWORD => services.redis_password.clone(),
            _ => None,
        });
        config
    }
}

/// A notification endpoint's name (`endpoint` when it has none): the
/// recorder files its events under it.
pub fn endpoint_name(endpoint: &Mapping) -> String {
    endpoint
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("endpoint")
        .to_string()
}

fn fill_strings(mapping: &mut Mapping, fill: &dyn Fn(&str) -> Option<String>) {
    fn walk(value: &mut Value, fill: &dyn Fn(&str) -> Option<String>) {
        match value {
            Value::String(s) => {
                if let Some(new) = fill(s) {
                    *s = new;
                }
            }
            Value::Mapping(m) => m.iter_mut().for_each(|(_, v)| walk(v, fill)),
            Value::Sequence(items) => items.iter_mut().for_each(|v| walk(v, fill)),
            _ => {}
        }
    }
    mapping.iter_mut().for_each(|(_, v)| walk(v, fill));
}

/// Merges `user` into the rendered `root`: a section only the user has is
/// added; in one both have (`storage`), the user's keys replace the
/// harness's defaults (`delete`, `redirect`, `maintenance`). Keys the
/// harness must own never reach `user` (upgrade-check leaves them out).
pub fn merge_into(root: &mut Mapping, user: &Mapping) {
    for (key, value) in user {
        match (root.get_mut(key), value) {
            (None, _) => {
                root.insert(key.clone(), value.clone());
            }
            (Some(Value::Mapping(ours)), Value::Mapping(theirs)) => {
                for (k, v) in theirs {
                    ours.insert(k.clone(), v.clone());
                }
            }
            (Some(_), _) => {}
        }
    }
}
