//! `check-storage`: the storage invariants of the scenario's repository,
//! read straight from the container (not through the registry). Every
//! link object (a tag's `current/link`, its `index/.../link`, every
//! `_layers/.../link` and `_manifests/revisions/.../link`) holds exactly
//! one well-formed digest, `sha256:` and 64 hex digits, and a link whose
//! path names a digest holds that digest; every blob
//! `blobs/sha256/<xx>/<hex>/data` hashes to its name. A link holding two
//! digests (an append where an overwrite was meant, distribution#4887) is
//! a violation. With `require-pushed`, everything the registry
//! acknowledged to earlier steps is there too. A violation is `data-loss`,
//! quoting the object (name, blob type, size, content). Both name forms
//! are read: 3.x's `docker/registry/v2/...` and 2.8's
//! `/docker/registry/v2/...`. It must not write to storage.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::stream::{self, StreamExt};
use serde::Deserialize;

use super::{StepAction, StepContext, StepError, StepKind};
use crate::digest::Digest;
use crate::storage::StoredObject;

/// Where the registry's objects start in a blob name, after the optional
/// root (`/` for 2.8, empty for 3.x, or a configured `rootdirectory`).
const LAYOUT: &str = "docker/registry/v2/";
/// Links are read whole up to this size; a larger one is a violation.
const LINK_LIMIT: u64 = 4096;
/// A violating blob's content is quoted up to this size.
const QUOTE_LIMIT: u64 = 512;
/// Objects read at once.
const CONCURRENCY: usize = 8;
/// Violations spelled out in the error; the rest are counted.
const SHOWN: usize = 5;

/// Check the storage invariants of the scenario's repository.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckStorage {
    /// Also require every blob and tag earlier steps pushed (and the
    /// registry acknowledged) to be in the container.
    #[serde(default)]
    pub require_pushed: bool,
}

impl StepAction for CheckStorage {
    fn kind(&self) -> StepKind {
        StepKind::CheckStorage
    }

    fn describe(&self) -> String {
        if self.require_pushed {
            "check storage invariants and that everything pushed is stored".into()
        } else {
            "check storage invariants".into()
        }
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let target = cx.target;
        let (storage, container, port) = (target.storage, target.container, target.storage_port);
        let harness = |what: &str, e: crate::storage::StorageError| {
            StepError::Harness(format!("check-storage: {what}: {e}"))
        };
        let names = storage
            .list_blob_names(container, port)
            .await
            .map_err(|e| harness("listing the container", e))?;
        let repository = cx.repository();
        let mut links = Vec::new();
        let mut blobs = Vec::new();
        let mut forms: BTreeMap<String, usize> = BTreeMap::new();
        let mut violations = Vec::new();
        for name in &names {
            let Some((root, object)) = classify(name, repository) else {
                continue;
            };
            *forms.entry(format!("{root}{LAYOUT}")).or_default() += 1;
            match object {
                Object::Link(link) => links.push((name.clone(), link)),
                Object::Blob(digest) => blobs.push((name.clone(), digest)),
                Object::Misnamed(problem) => violations.push(Violation::unread(name, problem)),
            }
        }

        // Links: exactly one well-formed digest, the one the path names.
        // Owned futures: a closure over borrowed names does not prove `Send`
        // for every lifetime, which the runner's spawned task needs.
        let reads: Vec<_> = links
            .iter()
            .map(|(name, link)| {
                let (storage, container) = (storage.clone(), container.to_string());
                let (name, link) = (name.clone(), link.clone());
                async move {
                    let object = storage
                        .blob_object(&container, &name, port, LINK_LIMIT)
                        .await;
                    (name, link, object)
                }
            })
            .collect();
        let read: Vec<_> = stream::iter(reads)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut held: HashMap<String, Vec<Digest>> = HashMap::new();
        let mut link_kinds: BTreeMap<&str, usize> = BTreeMap::new();
        let mut blob_types: BTreeMap<String, usize> = BTreeMap::new();
        for (name, link, object) in read {
            let object = object.map_err(|e| harness(&format!("reading {name}"), e))?;
            let Some(object) = object else {
                violations.push(Violation::unread(&name, "listed, then gone".into()));
                continue;
            };
            *link_kinds.entry(link.kind.as_str()).or_default() += 1;
            *blob_types.entry(object.blob_type.clone()).or_default() += 1;
            let content = object.content.as_deref();
            let problem = match content.map(parse_link) {
                None => Some(format!("a link of {} bytes", object.size)),
                Some(Err(fault)) => Some(fault.to_string()),
                Some(Ok(digest)) => {
                    let wrong = link.named.as_ref().filter(|named| **named != digest);
                    held.entry(link.key(repository)).or_default().push(digest);
                    wrong.map(|named| format!("its path names {named}"))
                }
            };
            if let Some(problem) = problem {
                violations.push(Violation::of(&name, &object, problem));
            }
        }

        // Blobs: each hashes to its name.
        let hashes: Vec<_> = blobs
            .iter()
            .map(|(name, digest)| {
                let (storage, container) = (storage.clone(), container.to_string());
                let (name, digest) = (name.clone(), digest.clone());
                async move {
                    let read = storage.blob_digest(&container, &name, port).await;
                    (name, digest, read)
                }
            })
            .collect();
        let hashed: Vec<_> = stream::iter(hashes)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut blob_bytes = 0u64;
        for (name, named, read) in hashed {
            let (size, actual) = read.map_err(|e| harness(&format!("reading {name}"), e))?;
            blob_bytes += size;
            if actual != named.as_str() {
                let object = storage
                    .blob_object(container, &name, port, QUOTE_LIMIT)
                    .await
                    .map_err(|e| harness(&format!("reading {name}"), e))?;
                let problem = format!("{size} bytes hash to {actual}");
                violations.push(match object {
                    Some(object) => Violation::of(&name, &object, problem),
                    None => Violation::unread(&name, problem),
                });
            }
        }

        let stored: HashSet<String> = blobs.iter().map(|(_, digest)| digest.to_string()).collect();
        let mut present = String::new();
        if self.require_pushed {
            let (checked, missing) = acknowledged_absent(cx, &held, &stored);
            violations.extend(missing);
            present = format!("; {checked} acknowledged objects present");
        }
        let pushed_any = !cx.pushed.blobs.is_empty() || !cx.pushed.manifests.is_empty();
        if links.is_empty() && pushed_any {
            violations.push(Violation::unread(
                &format!("repositories/{repository}/"),
                format!(
                    "no link objects of the repository among {} blobs in the container",
                    names.len()
                ),
            ));
        }

        let checked = links.len() + blobs.len();
        if !violations.is_empty() {
            violations.sort_by(|a, b| a.name.cmp(&b.name));
            let more = match violations.len().saturating_sub(SHOWN) {
                0 => String::new(),
                k => format!("; and {k} more"),
            };
            let shown: Vec<String> = violations
                .iter()
                .take(SHOWN)
                .map(|v| v.to_string())
                .collect();
            return Err(StepError::DataLoss(format!(
                "storage invariants broken ({} violations over {checked} objects of {repository}): {}{more}",
                violations.len(),
                shown.join("; ")
            )));
        }
        let count = |m: &BTreeMap<&str, usize>| {
            m.iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let types: Vec<String> = blob_types.iter().map(|(t, n)| format!("{n} {t}")).collect();
        let forms: Vec<String> = forms
            .iter()
            .map(|(f, n)| format!("{f}... ({n} objects)"))
            .collect();
        Ok(format!(
            "checked {} links ({}; {}) and {} blobs ({blob_bytes} bytes): one well-formed digest each, blobs hash to their names{present}; name form {}",
            links.len(),
            count(&link_kinds),
            if types.is_empty() { "none".into() } else { types.join(", ") },
            blobs.len(),
            if forms.is_empty() { "none".into() } else { forms.join(", ") },
        ))
    }
}

/// What `require-pushed` checks: each pushed blob's data and layer link,
/// each tag's current link holding its digest, its revision link and its
/// manifest's data, and for a superseded image all of that but the tag's
/// current link (its index entry instead); returns how many objects were checked and what is
/// missing. Present in either name form counts.
fn acknowledged_absent(
    cx: &StepContext<'_>,
    held: &HashMap<String, Vec<Digest>>,
    stored: &HashSet<String>,
) -> (usize, Vec<Violation>) {
    let repo = cx.repository();
    let mut checked = 0;
    let mut missing = Vec::new();
    let mut require = |key: String, want: &Digest, what: String| {
        checked += 1;
        let ok = if key.starts_with("blobs/") {
            stored.contains(want.as_str())
        } else {
            held.get(&key).is_some_and(|ds| ds.contains(want))
        };
        if !ok {
            let seen = held
                .get(&key)
                .map(|ds| format!(" (holds {})", join(ds)))
                .unwrap_or_else(|| " (absent)".into());
            missing.push(Violation::unread(
                &key,
                format!("{what} {want} acknowledged, not in storage{seen}"),
            ));
        }
    };
    let mut blobs: Vec<_> = cx.pushed.blobs.iter().collect();
    blobs.sort_by_key(|(name, _)| name.as_str());
    for (name, blob) in blobs {
        let d = &blob.digest;
        require(blob_key(d), d, format!("blob {name}"));
        let link = format!("repositories/{repo}/_layers/sha256/{}/link", d.hex());
        require(link, d, format!("layer link of blob {name}"));
    }
    // A tag names its image by the current link; an image a concurrent
    // push superseded keeps everything but that, its index entry instead;
    // one pushed by digest has no tag links at all.
    let mut manifests: Vec<(String, &Digest, TagLinks)> = cx
        .pushed
        .manifests
        .iter()
        .map(|(tag, d)| (tag.clone(), d, TagLinks::Current))
        .chain(
            cx.pushed
                .superseded
                .iter()
                .map(|(tag, d)| (tag.clone(), d, TagLinks::IndexOnly)),
        )
        .chain(
            cx.pushed
                .untagged
                .iter()
                .map(|(name, d)| (name.clone(), d, TagLinks::None)),
        )
        .collect();
    manifests.sort();
    let mut revisions = HashSet::new();
    for (tag, d, links) in manifests {
        match links {
            TagLinks::Current => {
                let link = format!("repositories/{repo}/_manifests/tags/{tag}/current/link");
                require(link, d, format!("tag {tag}"));
            }
            TagLinks::IndexOnly => {
                let index = format!(
                    "repositories/{repo}/_manifests/tags/{tag}/index/sha256/{}/link",
                    d.hex()
                );
                require(index, d, format!("tag {tag}'s index entry"));
            }
            TagLinks::None => {}
        }
        if revisions.insert(d.clone()) {
            let revision = format!(
                "repositories/{repo}/_manifests/revisions/sha256/{}/link",
                d.hex()
            );
            require(revision, d, "revision link of manifest".into());
            require(blob_key(d), d, "manifest".into());
        }
    }
    (checked, missing)
}

/// Which tag links an acknowledged manifest must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TagLinks {
    /// The tag's `current/link` names it.
    Current,
    /// A concurrent push took the tag: only its `index/` entry is left.
    IndexOnly,
    /// Pushed by digest: no tag at all.
    None,
}

fn blob_key(digest: &Digest) -> String {
    let hex = digest.hex();
    format!("blobs/sha256/{}/{hex}/data", hex.get(..2).unwrap_or(hex))
}

fn join(digests: &[Digest]) -> String {
    digests
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// One object that breaks an invariant, quoted as storage holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    name: String,
    /// `(blob type, size, content)` when read.
    seen: Option<(String, u64, Option<String>)>,
    problem: String,
}

impl Violation {
    fn of(name: &str, object: &StoredObject, problem: String) -> Self {
        Violation {
            name: name.to_string(),
            seen: Some((
                object.blob_type.clone(),
                object.size,
                object.content.clone(),
            )),
            problem,
        }
    }

    fn unread(name: &str, problem: String) -> Self {
        Violation {
            name: name.to_string(),
            seen: None,
            problem,
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name)?;
        if let Some((blob_type, size, content)) = &self.seen {
            write!(f, " ({blob_type}, {size} bytes")?;
            if let Some(content) = content {
                write!(f, ", content {content:?}")?;
            }
            write!(f, ")")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// What a link object holds, when it is not exactly one digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkFault {
    #[error("empty link")]
    Empty,
    /// The #4887 symptom: digests appended one after another.
    #[error("holds {0} digests")]
    Several(usize),
    #[error("holds no well-formed digest (sha256: and 64 hex digits)")]
    Malformed,
}

/// A link's content as the registry reads it: exactly `sha256:<64 hex>`,
/// nothing around it (distribution parses the bytes as they are).
pub fn parse_link(content: &str) -> Result<Digest, LinkFault> {
    if content.is_empty() {
        return Err(LinkFault::Empty);
    }
    let well_formed = |text: &str| {
        text.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    };
    if well_formed(content) {
        return content.parse().map_err(|_| LinkFault::Malformed);
    }
    // Several digests, written back to back or on lines of their own.
    let parts: Vec<&str> = content.split("sha256:").skip(1).map(str::trim).collect();
    let all_digests = content.trim_start().starts_with("sha256:")
        && parts.len() > 1
        && parts
            .iter()
            .all(|hex| well_formed(&format!("sha256:{hex}")));
    if all_digests {
        return Err(LinkFault::Several(parts.len()));
    }
    Err(LinkFault::Malformed)
}

/// Which link a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// `_manifests/tags/<tag>/current/link`
    TagCurrent,
    /// `_manifests/tags/<tag>/index/sha256/<hex>/link`
    TagIndex,
    /// `_layers/sha256/<hex>/link`
    Layer,
    /// `_manifests/revisions/sha256/<hex>/link`
    Revision,
}

impl LinkKind {
    fn as_str(self) -> &'static str {
        match self {
            LinkKind::TagCurrent => "tag",
            LinkKind::TagIndex => "tag index",
            LinkKind::Layer => "layer",
            LinkKind::Revision => "revision",
        }
    }
}

/// A link of the repository: its kind, the digest its path names (all but
/// a tag's current link), and its path below the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub kind: LinkKind,
    pub named: Option<Digest>,
    /// The name after `repositories/<repository>/`.
    pub path: String,
}

impl Link {
    /// The name without its root, the same in both name forms.
    fn key(&self, repository: &str) -> String {
        format!("repositories/{repository}/{}", self.path)
    }
}

/// An object the invariants cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    Link(Link),
    /// A blob's data, and the digest its name spells.
    Blob(Digest),
    /// A blob's data or a link whose name spells no digest: why.
    Misnamed(String),
}

/// Classifies a blob name in either form; `Some((root, object))` for the
/// repository's links and every blob's data, `None` for anything else
/// (uploads, other repositories, objects outside the layout).
pub fn classify<'a>(name: &'a str, repository: &str) -> Option<(&'a str, Object)> {
    let at = name.find(LAYOUT)?;
    let (root, path) = (&name[..at], &name[at + LAYOUT.len()..]);
    if let Some(rest) = path.strip_prefix("blobs/") {
        let parts: Vec<&str> = rest.split('/').collect();
        let [algorithm, shard, hex, "data"] = parts[..] else {
            return None;
        };
        let spelled = format!("{algorithm}:{hex}");
        let object = match spelled.parse::<Digest>() {
            Ok(d) if hex.starts_with(shard) && shard.len() == 2 => Object::Blob(d),
            Ok(_) => Object::Misnamed(format!("stored under shard {shard:?}, not {:?}", &hex[..2])),
            Err(_) => Object::Misnamed(format!("{spelled:?} is not a digest")),
        };
        return Some((root, object));
    }
    let rest = path
        .strip_prefix("repositories/")?
        .strip_prefix(repository)?
        .strip_prefix('/')?;
    let parts: Vec<&str> = rest.split('/').collect();
    let named = |algorithm: &str, hex: &str| format!("{algorithm}:{hex}").parse::<Digest>().ok();
    let (kind, named) = match parts[..] {
        ["_layers", algorithm, hex, "link"] => (LinkKind::Layer, named(algorithm, hex)),
        ["_manifests", "revisions", algorithm, hex, "link"] => {
            (LinkKind::Revision, named(algorithm, hex))
        }
        ["_manifests", "tags", _, "current", "link"] => (LinkKind::TagCurrent, None),
        ["_manifests", "tags", _, "index", algorithm, hex, "link"] => {
            (LinkKind::TagIndex, named(algorithm, hex))
        }
        _ => return None,
    };
    if kind != LinkKind::TagCurrent && named.is_none() {
        return Some((root, Object::Misnamed(format!("{rest:?} names no digest"))));
    }
    let link = Link {
        kind,
        named,
        path: rest.to_string(),
    };
    Some((root, Object::Link(link)))
}

#[cfg(test)]
mod tests;
