//! Version sets: what `--versions` says, resolved against the releases that
//! exist. A set is comma-separated terms, each one of
//!
//! - a tag (`v3.1.2`), taken as written even when no list names it;
//! - `latest` (the newest release), `all` (every release the harness can
//!   build: 2.8.x and every 3.x, pre-releases included), `default`;
//! - a glob over tags (`v3.1.*`, `v3.0.0-rc.*`);
//! - a range of space-separated comparisons (`>=v3.0.0`, `>=v3.0.0 <v3.1.0`);
//!
//! and a term written `!TERM` takes its versions out again. A set of only
//! exclusions starts from `default`.

use super::{RegistryVersion, VersionError, VersionSelector, LAST_OLD_AZURE_DRIVER};

/// A parsed `--versions` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSet {
    text: String,
    terms: Vec<(Polarity, Atom)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Polarity {
    Include,
    Exclude,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Tag(RegistryVersion),
    Latest,
    All,
    Default,
    Glob(String),
    Range {
        text: String,
        selector: VersionSelector,
    },
}

impl VersionSet {
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let bad = |term: &str, reason: String| VersionError::Set {
            text: text.to_string(),
            term: term.to_string(),
            reason,
        };
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (polarity, body) = match term.strip_prefix('!') {
                Some(rest) => (Polarity::Exclude, rest.trim()),
                None => (Polarity::Include, term),
            };
            let atom = match body {
                "latest" => Atom::Latest,
                "all" => Atom::All,
                "default" => Atom::Default,
                _ if body.starts_with(['<', '>', '=']) => {
                    Atom::Range {
                    text: body.to_string(),
                    selector: range(body).map_err(|e| bad(term, e.to_string()))?,
                }
                }
                _ if body.contains('*') => {
                    let glob = if body.starts_with('v') || body.starts_with('*') {
                        body.to_string()
                    } else {
                        format!("v{body}")
                    };
                    Atom::Glob(glob)
                }
                _ => Atom::Tag(body.parse().map_err(|e: VersionError| {
                    bad(
                        term,
                        format!(
                            "{e}; a term is a tag, latest, all, default, a glob (v3.1.*) or a range (>=v3.0.0 <v3.1.0)"
                        ),
                    )
                })?),
            };
            terms.push((polarity, atom));
        }
        if terms.is_empty() {
            return Err(bad(text, "names no version".into()));
        }
        Ok(VersionSet {
            text: text.to_string(),
            terms,
        })
    }

    /// The set as the user wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether resolving needs the list of releases (anything but tags).
    pub fn needs_releases(&self) -> bool {
        self.terms
            .iter()
            .any(|(_, atom)| !matches!(atom, Atom::Tag(_)))
    }

    /// The versions the set names, oldest first. `releases` is every release
    /// that exists (in any order); tags named outright need not be in it.
    pub fn resolve(
        &self,
        releases: &[RegistryVersion],
    ) -> Result<Vec<RegistryVersion>, VersionError> {
        let mut chosen: Vec<RegistryVersion> = Vec::new();
        if self.terms.iter().all(|(p, _)| *p == Polarity::Exclude) {
            chosen = default_set(releases);
        }
        for (polarity, atom) in &self.terms {
            let versions = atom.versions(releases);
            match polarity {
                Polarity::Include => {
                    if versions.is_empty() {
                        return Err(VersionError::Set {
                            text: self.text.clone(),
                            term: atom.to_string(),
                            reason: format!(
                                "matches none of the {} known releases",
                                releases.len()
                            ),
                        });
                    }
                    chosen.extend(versions);
                }
                Polarity::Exclude => chosen.retain(|v| !versions.contains(v)),
            }
        }
        chosen.sort_by(RegistryVersion::compare);
        chosen.dedup();
        if chosen.is_empty() {
            return Err(VersionError::Set {
                text: self.text.clone(),
                term: self.text.clone(),
                reason: "leaves no version once its exclusions are taken out".into(),
            });
        }
        Ok(chosen)
    }
}

impl Atom {
    fn versions(&self, releases: &[RegistryVersion]) -> Vec<RegistryVersion> {
        match self {
            Atom::Tag(tag) => vec![tag.clone()],
            Atom::Latest => latest(releases).into_iter().collect(),
            Atom::All => releases.to_vec(),
            Atom::Default => default_set(releases),
            Atom::Glob(glob) => releases
                .iter()
                .filter(|v| glob_matches(glob, v.tag()))
                .cloned()
                .collect(),
            Atom::Range { selector, .. } => releases
                .iter()
                .filter(|v| selector.matches(v))
                .cloned()
                .collect(),
        }
    }
}

impl std::fmt::Display for Atom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Atom::Tag(tag) => write!(f, "{tag}"),
            Atom::Latest => f.write_str("latest"),
            Atom::All => f.write_str("all"),
            Atom::Default => f.write_str("default"),
            Atom::Glob(glob) => f.write_str(glob),
            Atom::Range { text, .. } => f.write_str(text),
        }
    }
}

/// The newest release that is not a pre-release (the newest pre-release
/// when there is nothing else), as `go get module@latest` chooses.
fn latest(releases: &[RegistryVersion]) -> Option<RegistryVersion> {
    let newest = |pre: bool| {
        releases
            .iter()
            .filter(|v| v.is_prerelease() == pre)
            .max_by(|a, b| a.compare(b))
            .cloned()
    };
    newest(false).or_else(|| newest(true))
}

/// The set a run covers when the user names none: the newest 2.8 release,
/// the last release with the old azure driver (v3.0.0-alpha.1), v3.0.0, and
/// the newest patch of each 3.x minor, so the night a release ships the
/// matrix has it. Pre-releases are in it only as alpha.1.
pub fn default_set(releases: &[RegistryVersion]) -> Vec<RegistryVersion> {
    let mut newest_per_series: Vec<RegistryVersion> = Vec::new();
    for release in releases.iter().filter(|v| !v.is_prerelease()) {
        match newest_per_series
            .iter_mut()
            .find(|v| v.series() == release.series())
        {
            Some(kept) if release.compare(kept).is_gt() => *kept = release.clone(),
            Some(_) => {}
            None => newest_per_series.push(release.clone()),
        }
    }
    let mut set: Vec<RegistryVersion> = newest_per_series
        .into_iter()
        .filter(|v| v.series() == (2, 8) || v.release().0 == 3)
        .collect();
    for pinned in [LAST_OLD_AZURE_DRIVER, "v3.0.0"] {
        if let Some(release) = releases.iter().find(|v| v.tag() == pinned) {
            set.push(release.clone());
        }
    }
    set.sort_by(RegistryVersion::compare);
    set.dedup();
    set
}

/// `>=v3.0.0 <v3.1.0` (an operator may stand apart from its tag) as a
/// selector that holds when every comparison does.
fn range(text: &str) -> Result<VersionSelector, VersionError> {
    let mut clauses: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match clauses.last_mut() {
            Some(last) if matches!(last.as_str(), "<" | ">" | "<=" | ">=" | "=") => {
                last.push_str(word)
            }
            _ => clauses.push(word.to_string()),
        }
    }
    clauses.join(",").parse()
}

/// `*` stands for any run of characters; everything else is literal.
fn glob_matches(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return text.is_empty(),
    };
    let Some(mut remainder) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remainder.is_empty();
    };
    for part in middle {
        match remainder.find(part) {
            Some(at) => remainder = &remainder[at + part.len()..],
            None => return false,
        }
    }
    remainder.len() >= last.len() && remainder.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn releases() -> Vec<RegistryVersion> {
        [
            "v2.8.0",
            "v2.8.1",
            "v2.8.2",
            "v2.8.3",
            "v3.0.0-alpha.1",
            "v3.0.0-beta.1",
            "v3.0.0-rc.1",
            "v3.0.0-rc.4",
            "v3.0.0",
            "v3.1.0",
            "v3.1.1",
            "v3.1.2",
        ]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect()
    }

    fn tags(set: &str) -> Vec<String> {
        VersionSet::parse(set)
            .unwrap()
            .resolve(&releases())
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect()
    }

    #[test]
    fn the_default_set_follows_the_releases() {
        assert_eq!(
            tags("default"),
            ["v2.8.3", "v3.0.0-alpha.1", "v3.0.0", "v3.1.2"]
        );
        let mut newer = releases();
        newer.push("v3.1.3".parse().unwrap());
        newer.push("v3.2.0-rc.1".parse().unwrap());
        let set: Vec<String> = default_set(&newer).iter().map(|v| v.to_string()).collect();
        assert_eq!(set, ["v2.8.3", "v3.0.0-alpha.1", "v3.0.0", "v3.1.3"]);
    }

    #[test]
    fn words_globs_ranges_and_exclusions() {
        assert_eq!(tags("latest"), ["v3.1.2"]);
        assert_eq!(tags("all").len(), 12);
        assert_eq!(tags("v3.1.*"), ["v3.1.0", "v3.1.1", "v3.1.2"]);
        assert_eq!(tags("3.0.0-rc.*"), ["v3.0.0-rc.1", "v3.0.0-rc.4"]);
        assert_eq!(tags(">=v3.0.0"), ["v3.0.0", "v3.1.0", "v3.1.1", "v3.1.2"]);
        assert_eq!(tags(">= v3.0.0 <v3.1.1"), ["v3.0.0", "v3.1.0"]);
        assert_eq!(
            tags("v2.8.*, !v2.8.0, latest"),
            ["v2.8.1", "v2.8.2", "v2.8.3", "v3.1.2"]
        );
        assert_eq!(tags("!v3.0.0-alpha.1"), ["v2.8.3", "v3.0.0", "v3.1.2"]);
        // A tag is taken as written: building it finds out whether it exists.
        assert_eq!(tags("v3.1.9"), ["v3.1.9"]);
    }

    #[test]
    fn bad_sets_name_the_term() {
        for (set, says) in [
            ("v3.2.*", "matches none"),
            ("newest", "a term is a tag"),
            (">=v3.0.0 <v2.0.0", "v2.0.0"),
            ("v3.0.0, !v3.0.0", "leaves no version"),
            (" , ", "names no version"),
        ] {
            let err = VersionSet::parse(set).and_then(|s| s.resolve(&releases()));
            let text = err.unwrap_err().to_string();
            assert!(text.contains(says), "{set}: {text}");
        }
    }

    #[test]
    fn only_tags_need_no_release_list() {
        assert!(!VersionSet::parse("v3.0.0,v2.8.3").unwrap().needs_releases());
        assert!(VersionSet::parse("v3.0.0,latest").unwrap().needs_releases());
    }

    #[test]
    fn globs_match_whole_tags() {
        assert!(glob_matches("v3.*.1", "v3.1.1"));
        assert!(!glob_matches("v3.1.*", "v3.10.0"));
        assert!(glob_matches("*", "v2.8.3"));
        assert!(!glob_matches("v3.1.1*", "v3.1"));
    }
}
