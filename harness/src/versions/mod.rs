//! Registry versions as data: a tag names a version, and the tag alone decides
//! how it is built (its config dialect is `registry_config::ConfigDialect::of`
//! the tag); a version set (`--versions`) is resolved against a list of
//! releases. Nothing here touches the network: the release list comes from
//! the caller (`install::releases` asks the Go module proxy), and whether a
//! tag exists is otherwise found out when it is built.

mod set;

pub use set::{default_set, VersionSet};

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The default set (see [`default_set`]) over the releases known when this
/// was written, for a run that cannot ask the Go module proxy and has no
/// cached build either. v3.1.2 (2026-09-24) needs Go 1.26 (`go 1.26.0` in
/// its go.mod).
pub const DEFAULT_VERSIONS: &[&str] = &["v2.8.3", "v3.0.0-alpha.1", "v3.0.0", "v3.1.2"];

/// The last release whose azure driver is the old one (Azure SDK for Go's
/// legacy storage package); the default set always holds it.
pub const LAST_OLD_AZURE_DRIVER: &str = "v3.0.0-alpha.1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VersionError {
    #[error("unknown registry version {tag:?}: {reason}")]
    Unknown { tag: String, reason: String },
    #[error("--versions {text:?}: {term:?} {reason}")]
    Set {
        text: String,
        term: String,
        reason: String,
    },
    #[error("upgrade path {text:?}: {reason}")]
    Path { text: String, reason: String },
}

/// A distribution release tag such as `v3.0.0` or `v3.0.0-alpha.1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryVersion {
    tag: String,
    semver: SemVer,
}

/// How a tag is built from the Go module proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildRecipe {
    /// `github.com/docker/distribution`, no go.mod: dependencies pinned from vendor.conf.
    VendorConf,
    /// `github.com/distribution/distribution/v3`: a normal module, `go install` works.
    GoModule,
}

impl RegistryVersion {
    pub fn tag(&self) -> &str {
        &self.tag
    }

    pub fn recipe(&self) -> BuildRecipe {
        if self.semver.major == 2 {
            BuildRecipe::VendorConf
        } else {
            BuildRecipe::GoModule
        }
    }

    /// Major, minor and patch, without the pre-release part.
    pub fn release(&self) -> (u64, u64, u64) {
        (self.semver.major, self.semver.minor, self.semver.patch)
    }

    /// Whether the tag is a pre-release (alpha, beta, rc).
    pub fn is_prerelease(&self) -> bool {
        self.semver.pre.is_some()
    }

    /// The release series a patch belongs to: (major, minor).
    pub fn series(&self) -> (u64, u64) {
        (self.semver.major, self.semver.minor)
    }

    /// Compares release order (pre-releases sort before their release).
    pub fn compare(&self, other: &RegistryVersion) -> Ordering {
        self.semver.cmp(&other.semver)
    }

    pub fn defaults() -> Vec<RegistryVersion> {
        DEFAULT_VERSIONS
            .iter()
            .map(|t| t.parse().expect("default versions are valid tags"))
            .collect()
    }
}

impl fmt::Display for RegistryVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag)
    }
}

impl FromStr for RegistryVersion {
    type Err = VersionError;

    fn from_str(tag: &str) -> Result<Self, Self::Err> {
        let unknown = |reason: &str| VersionError::Unknown {
            tag: tag.to_string(),
            reason: reason.to_string(),
        };
        let semver: SemVer = tag
            .strip_prefix('v')
            .ok_or_else(|| unknown("tags start with 'v', e.g. v3.0.0"))?
            .parse()
            .map_err(|_| unknown("not a semantic version tag such as v3.0.0 or v3.0.0-rc.1"))?;
        match semver.major {
            3 => {}
            2 if semver.minor == 8 => {}
            2 => {
                return Err(unknown(
                    "only the 2.8 series of 2.x can be built (from vendor.conf)",
                ))
            }
            _ => {
                return Err(unknown(
                    "distribution has releases only in the 2.8 and 3.x series",
                ))
            }
        }
        Ok(RegistryVersion {
            tag: tag.to_string(),
            semver,
        })
    }
}

/// Parses a comma-separated list of tags, rejecting duplicates.
pub fn parse_version_list(list: &str) -> Result<Vec<RegistryVersion>, VersionError> {
    let mut out: Vec<RegistryVersion> = Vec::new();
    for tag in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let version: RegistryVersion = tag.parse()?;
        if !out.contains(&version) {
            out.push(version);
        }
    }
    Ok(out)
}

/// An upgrade path: `from` writes, `to` starts on the same storage.
pub type UpgradePair = (RegistryVersion, RegistryVersion);

/// The paths an upgrade matrix runs when none are named: every pair with
/// `from` older than `to` (an upgrade, oldest first), then each adjacent
/// pair reversed (a rollback by one release, as operators roll back).
pub fn default_upgrade_paths(versions: &[RegistryVersion]) -> Vec<UpgradePair> {
    let mut sorted = versions.to_vec();
    sorted.sort_by(RegistryVersion::compare);
    let mut paths = Vec::new();
    for (i, from) in sorted.iter().enumerate() {
        for to in &sorted[i + 1..] {
            paths.push((from.clone(), to.clone()));
        }
    }
    for pair in sorted.windows(2) {
        paths.push((pair[1].clone(), pair[0].clone()));
    }
    paths
}

/// Parses `FROM:TO[,FROM:TO...]`, rejecting a path to itself and duplicates.
pub fn parse_upgrade_list(list: &str) -> Result<Vec<UpgradePair>, VersionError> {
    let mut out: Vec<UpgradePair> = Vec::new();
    for text in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let fail = |reason: &str| VersionError::Path {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let (from, to) = text
            .split_once(':')
            .ok_or_else(|| fail("use FROM:TO, e.g. v3.0.0:v3.1.1"))?;
        let pair: UpgradePair = (from.trim().parse()?, to.trim().parse()?);
        if pair.0 == pair.1 {
            return Err(fail("FROM and TO are the same version"));
        }
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    Ok(out)
}

/// Semantic version with SemVer 2.0 precedence, enough for release tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SemVer {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Option<Vec<String>>,
}

impl FromStr for SemVer {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (core, pre) = match s.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (s, None),
        };
        let mut parts = core.split('.').map(|p| p.parse::<u64>().map_err(|_| ()));
        let (major, minor, patch) = (
            parts.next().ok_or(())??,
            parts.next().ok_or(())??,
            parts.next().ok_or(())??,
        );
        if parts.next().is_some() {
            return Err(());
        }
        let pre = match pre {
            Some(p) if p.is_empty() || p.split('.').any(str::is_empty) => return Err(()),
            Some(p) => Some(p.split('.').map(str::to_string).collect()),
            None => None,
        };
        Ok(SemVer {
            major,
            minor,
            patch,
            pre,
        })
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => compare_prerelease(a, b),
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn compare_prerelease(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// A selector over versions as scenario files write it: `*`, an exact tag
/// (`v2.8.3`), or comparisons joined by commas (`>=v3.0.0, <v3.1.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSelector {
    clauses: Vec<(Comparison, RegistryVersion)>,
    any: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl VersionSelector {
    /// The tags the selector writes: an exact tag (`v2.8.3`) or the bounds
    /// of a range (`>=v3.0.0, <v3.1.2`); none for `*`. A version written
    /// there is one the scenario's author had in view.
    pub fn named(&self) -> Vec<RegistryVersion> {
        self.clauses.iter().map(|(_, v)| v.clone()).collect()
    }

    pub fn matches(&self, version: &RegistryVersion) -> bool {
        self.any
            || self.clauses.iter().all(|(cmp, bound)| {
                let ord = version.compare(bound);
                match cmp {
                    Comparison::Eq => ord == Ordering::Equal,
                    Comparison::Lt => ord == Ordering::Less,
                    Comparison::Le => ord != Ordering::Greater,
                    Comparison::Gt => ord == Ordering::Greater,
                    Comparison::Ge => ord != Ordering::Less,
                }
            })
    }
}

impl FromStr for VersionSelector {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim() == "*" {
            return Ok(VersionSelector {
                clauses: Vec::new(),
                any: true,
            });
        }
        let mut clauses = Vec::new();
        for clause in s.split(',').map(str::trim) {
            let (cmp, rest) = [
                (">=", Comparison::Ge),
                ("<=", Comparison::Le),
                (">", Comparison::Gt),
                ("<", Comparison::Lt),
                ("=", Comparison::Eq),
            ]
            .iter()
            .find_map(|(op, cmp)| clause.strip_prefix(op).map(|rest| (*cmp, rest)))
            .unwrap_or((Comparison::Eq, clause));
            let rest = rest.trim();
            let tag = if rest.starts_with('v') {
                rest.to_string()
            } else {
                format!("v{rest}")
            };
            clauses.push((cmp, tag.parse()?));
        }
        Ok(VersionSelector {
            clauses,
            any: false,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_paths_are_every_upgrade_then_each_adjacent_rollback() {
        let versions = super::parse_version_list("v3.1.1,v2.8.3,v3.0.0").unwrap();
        let paths: Vec<String> = super::default_upgrade_paths(&versions)
            .iter()
            .map(|(f, t)| format!("{}:{}", f.tag(), t.tag()))
            .collect();
        assert_eq!(
            paths,
            [
                "v2.8.3:v3.0.0",
                "v2.8.3:v3.1.1",
                "v3.0.0:v3.1.1",
                "v3.0.0:v2.8.3",
                "v3.1.1:v3.0.0"
            ]
        );
    }

    #[test]
    fn an_upgrade_list_names_the_bad_entry() {
        let ok = super::parse_upgrade_list("v3.0.0:v3.1.1, v3.1.1:v3.0.0").unwrap();
        assert_eq!(ok.len(), 2);
        let same = super::parse_upgrade_list("v3.0.0:v3.0.0").unwrap_err();
        assert!(same.to_string().contains("same version"), "{same}");
        let shape = super::parse_upgrade_list("v3.0.0-v3.1.1").unwrap_err();
        assert!(shape.to_string().contains("FROM:TO"), "{shape}");
        assert!(super::parse_upgrade_list("v3.0.0:v9.9.9").is_err());
    }

    use super::*;

    fn v(tag: &str) -> RegistryVersion {
        tag.parse().unwrap()
    }

    #[test]
    fn prereleases_sort_before_release_and_numerically() {
        assert!(v("v3.0.0-alpha.1").compare(&v("v3.0.0")) == Ordering::Less);
        assert!(v("v3.0.0-rc.2").compare(&v("v3.0.0-rc.10")) == Ordering::Less);
        assert!(v("v3.0.0-alpha.1").compare(&v("v3.0.0-beta.1")) == Ordering::Less);
        assert!(v("v2.8.3").compare(&v("v3.0.0-alpha.1")) == Ordering::Less);
    }

    #[test]
    fn recipe_follows_the_tag() {
        assert_eq!(v("v2.8.3").recipe(), BuildRecipe::VendorConf);
        assert_eq!(v("v3.1.1").recipe(), BuildRecipe::GoModule);
        assert!(v("v3.0.0-rc.4").is_prerelease() && !v("v3.0.0").is_prerelease());
    }

    #[test]
    fn bad_tags_are_refused_with_a_reason() {
        for bad in ["3.0.0", "v4.0.0", "v2.7.1", "vx", "v3.0", "v3.0.0-"] {
            let err = bad.parse::<RegistryVersion>().unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn selectors_match_ranges() {
        let s: VersionSelector = ">=v3.0.0, <3.1.0".parse().unwrap();
        assert!(s.matches(&v("v3.0.0")));
        assert!(!s.matches(&v("v3.0.0-alpha.1")));
        assert!(!s.matches(&v("v3.1.1")));
        let exact: VersionSelector = "v2.8.3".parse().unwrap();
        assert!(exact.matches(&v("v2.8.3")) && !exact.matches(&v("v3.0.0")));
        assert!("*"
            .parse::<VersionSelector>()
            .unwrap()
            .matches(&v("v3.1.1")));
    }

    #[test]
    fn selectors_name_their_tags_and_bounds() {
        let named = |s: &str| -> Vec<String> {
            let selector: VersionSelector = s.parse().unwrap();
            selector.named().iter().map(|v| v.to_string()).collect()
        };
        assert_eq!(named("v2.8.3"), ["v2.8.3"]);
        assert_eq!(named(">=v3.0.0, <v3.1.2"), ["v3.0.0", "v3.1.2"]);
        assert!(named("*").is_empty());
    }

    #[test]
    fn version_lists_dedupe() {
        let list = parse_version_list("v3.0.0, v3.0.0,v2.8.3").unwrap();
        assert_eq!(list.len(), 2);
    }
}
