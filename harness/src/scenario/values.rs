//! The value types step fields are written in: sizes (`5MiB`), durations
//! (`90s`), upload modes, process names, and name lists with numbered
//! ranges (`t-{000..249}`). Leaf module: it must not import the steps, the
//! model or the engine.

use serde::{Deserialize, Serialize};

/// Sizes and durations follow the one grammar the bench and the fault
/// rules also read (`regmatrix_model::units`).
pub use regmatrix_model::units::{ByteSize, HumanDuration};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessName {
    Azurite,
    Registry,
}

/// The one upload mode; a scenario writes it as `mode` plus `chunk`.
pub use crate::client::UploadMode;

/// The `mode` word of a scenario step; with its `chunk` it becomes an
/// `UploadMode` when the step loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UploadModeWord {
    Monolithic,
    Chunked,
}

/// The most names one list may expand to.
pub const MAX_NAMES: usize = 100_000;

/// Expands a list of names in which an entry may hold one numbered range,
/// `{FIRST..LAST}`: `t-{000..249}` is `t-000` to `t-249`. Numbers are
/// zero-padded to the width of `FIRST` when it starts with `0` (as
/// `tag-many` names its tags); `{0..9}` is not padded. Tags and repository
/// names cannot hold braces, so any other brace is an error.
pub fn expand_names(entries: &[String]) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for entry in entries {
        let Some(open) = entry.find('{') else {
            if entry.contains('}') {
                return Err(format!(
                    "{entry:?}: a name holds no braces but a {{FIRST..LAST}} range"
                ));
            }
            names.push(entry.clone());
            continue;
        };
        let bad = || {
            format!(
                "{entry:?}: write one numbered range as {{FIRST..LAST}}, e.g. \"t-{{000..249}}\""
            )
        };
        let close = open + entry[open..].find('}').ok_or_else(bad)?;
        let (head, tail) = (&entry[..open], &entry[close + 1..]);
        if head.contains('}') || tail.contains(['{', '}']) {
            return Err(bad());
        }
        let (first, last) = entry[open + 1..close].split_once("..").ok_or_else(bad)?;
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(first) || !digits(last) {
            return Err(bad());
        }
        let (from, to): (usize, usize) = (
            first.parse().map_err(|_| bad())?,
            last.parse().map_err(|_| bad())?,
        );
        if to < from {
            return Err(format!(
                "{entry:?}: the range runs backwards ({from} > {to})"
            ));
        }
        if names.len() + (to - from + 1) > MAX_NAMES {
            return Err(format!("{entry:?}: more than {MAX_NAMES} names"));
        }
        let width = if first.len() > 1 && first.starts_with('0') {
            first.len()
        } else {
            0
        };
        names.extend((from..=to).map(|i| format!("{head}{i:0width$}{tail}")));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(entries: &[&str]) -> Result<Vec<String>, String> {
        expand_names(&entries.iter().map(ToString::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn a_numbered_range_expands_padded_like_its_first_bound() {
        let names = expand(&["latest", "t-{000..249}"]).unwrap();
        assert_eq!(names.len(), 251);
        assert_eq!(names[..3], ["latest", "t-000", "t-001"]);
        assert_eq!(names[250], "t-249");
        assert_eq!(expand(&["v{8..10}.x"]).unwrap(), ["v8.x", "v9.x", "v10.x"]);
        assert_eq!(expand(&["r{1..1}"]).unwrap(), ["r1"]);
        assert_eq!(expand(&[]).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_malformed_range_is_refused_with_the_entry() {
        for bad in [
            "t-{a..b}",
            "t-{1..}",
            "t-{1-3}",
            "t-{1..3",
            "t-1..3}",
            "{1..2}{3..4}",
            "t-{}",
        ] {
            let err = expand(&[bad]).unwrap_err();
            assert!(err.starts_with(&format!("{bad:?}")), "{bad}: {err}");
        }
        assert_eq!(
            expand(&["t-{5..1}"]).unwrap_err(),
            "\"t-{5..1}\": the range runs backwards (5 > 1)"
        );
        assert!(expand(&["t-{0..100000}"])
            .unwrap_err()
            .contains("more than 100000 names"));
    }
}
