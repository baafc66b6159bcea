//! What each version's own configuration parser makes of the user's config
//! and variables, asked of the tag's parser itself (the config probe built
//! from its module): a key it parsed and cannot write back is one it does
//! not have (unknown, removed or renamed) and ignores at start-up without a
//! word; a variable it cannot map it logs as unrecognized and ignores; a
//! config it cannot parse it rejects, and the registry does not start.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_yaml::Value;

use super::KeyFinding;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot write the config for the parser probe: {0}")]
    Write(#[source] std::io::Error),
    #[error("cannot run the parser probe {path}: {source}")]
    Run {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the parser probe answered {0:?}")]
    Answer(String),
}

/// The parser's answer for one version.
#[derive(Debug, Clone, PartialEq)]
pub struct ParserReading {
    /// What it read, written back; or why it refused the config.
    pub read: Result<Value, String>,
    /// Variables it logged as unrecognized.
    pub ignored_env: Vec<String>,
}

/// Runs `probe` on `config` (YAML) with exactly the variables `env`.
pub fn probe(
    probe: &Path,
    config: &str,
    env: &[(String, String)],
    scratch: &Path,
) -> Result<ParserReading, ProbeError> {
    let path = scratch.join("config.yml");
    std::fs::write(&path, config).map_err(ProbeError::Write)?;
    let output = Command::new(probe)
        .arg(&path)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .map_err(|source| ProbeError::Run {
            path: probe.display().to_string(),
            source,
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let answer: serde_json::Value = serde_json::from_str(stdout.trim())
        .map_err(|_| ProbeError::Answer(stdout.trim().to_string()))?;
    let read = match (answer.get("read"), answer.get("error")) {
        (Some(serde_json::Value::String(yaml)), _) => {
            // Not echoed: what the parser read holds the config's values.
            Ok(serde_yaml::from_str(yaml)
                .map_err(|_| ProbeError::Answer("a `read` that is not YAML".into()))?)
        }
        (_, Some(serde_json::Value::String(error))) => Err(error.clone()),
        _ => return Err(ProbeError::Answer(stdout.trim().to_string())),
    };
    Ok(ParserReading {
        read,
        ignored_env: unrecognized_variables(&String::from_utf8_lossy(&output.stderr)),
    })
}

/// The variables in the parser's `Ignoring unrecognized environment
/// variable NAME` warnings.
fn unrecognized_variables(log: &str) -> Vec<String> {
    const NEEDLE: &str = "Ignoring unrecognized environment variable ";
    log.lines()
        .filter_map(|line| {
            let rest = &line[line.find(NEEDLE)? + NEEDLE.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// Every leaf of `value` as a dotted path; list items share `[]`.
fn leaves(value: &Value, prefix: &str, out: &mut Vec<(String, Value)>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Mapping(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                // yaml.v2 matches struct keys exactly: `Timeout` is not `timeout`.
                leaves(v, &join(&key), out);
            }
        }
        Value::Sequence(items) if !items.is_empty() && items.iter().any(Value::is_mapping) => {
            for item in items {
                leaves(item, &format!("{prefix}[]"), out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// A value the parser writes back as nothing (`omitempty`): its absence
/// says nothing about whether the key was read.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty() || s == "0s",
        Value::Sequence(s) => s.is_empty(),
        Value::Mapping(m) => m.is_empty(),
        Value::Tagged(_) => false,
    }
}

/// What `tag`'s parser did with the user's `input` config and variables.
pub fn findings(tag: &str, input: &Value, reading: &ParserReading) -> Vec<KeyFinding> {
    let finding = |key: &str, note: String| KeyFinding {
        version: tag.to_string(),
        key: key.to_string(),
        note,
    };
    let mut out = Vec::new();
    let read = match &reading.read {
        Ok(read) => read,
        Err(error) => {
            out.push(finding(
                "config",
                format!("rejected by {tag}'s configuration parser: {error}; the registry does not start"),
            ));
            return out;
        }
    };
    let mut written = Vec::new();
    leaves(read, "", &mut written);
    let known: BTreeSet<&str> = written.iter().map(|(path, _)| path.as_str()).collect();
    let mut given = Vec::new();
    leaves(input, "", &mut given);
    let mut seen = BTreeSet::new();
    for (path, value) in &given {
        let kept = known.contains(path.as_str())
            || known
                .iter()
                .any(|k| k.starts_with(path.as_str()) && k[path.len()..].starts_with(['.', '[']));
        if kept || is_zero(value) || !seen.insert(path.clone()) {
            continue;
        }
        // 3.x moves the old top-level loglevel into log.level.
        let note = if path == "loglevel" {
            format!("deprecated: {tag} reads it as log.level when log.level is not set, else ignores it")
        } else {
            format!("not a key of {tag}'s configuration: the parser drops it and the registry starts without it")
        };
        out.push(finding(path, note));
    }
    for name in &reading.ignored_env {
        out.push(finding(
            name,
            format!("{tag}'s parser cannot map this variable to a key (it logs `Ignoring unrecognized environment variable`): ignored"),
        ));
    }
    out
}

#[cfg(test)]
mod tests;
