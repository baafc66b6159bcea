//! What steps share: the running environment (`Target`), the state one run
//! builds up (`StepContext`, `Pushed`), the state loading builds up
//! (`LoadContext`) and why a step failed (`StepError`). It sits below both
//! the step files and the engine, so it must not import either of them.

use crate::digest::Digest;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use regmatrix_mocks::front_door::{FaultId, FrontDoor, TrafficLog};
use regmatrix_mocks::seed::Seed;

use crate::client::{ClientError, RegistryClient};
use crate::env::{ClientAccess, IdentityCloud};
use crate::env::{Side, Workload};
use crate::install::InstalledConformance;
use crate::payload::RandomBlob;
use crate::report::ConformanceSummary;
use crate::storage::BlobStorageClient;

/// One registry process the steps can go through.
pub struct Served<'a> {
    pub client: &'a RegistryClient,
    pub registry_log: &'a Path,
    /// The version tag it runs.
    pub version: &'a str,
}

/// Everything the steps need from a running environment.
pub struct Target<'a> {
    /// The registry, or an upgrade's `from` version.
    pub from: Served<'a>,
    /// An upgrade's `to` version.
    pub to: Option<Served<'a>>,
    pub storage: &'a BlobStorageClient,
    pub storage_port: u16,
    pub container: &'a str,
    pub traffic: &'a TrafficLog,
    pub identity: &'a IdentityCloud,
    pub front_door: &'a FrontDoor,
    pub processes: &'a dyn crate::env::ProcessControl,
    /// The cell's seed: every blob a step makes derives from it.
    pub seed: Seed,
    /// How an outside client reaches the environment (the suite's way in).
    pub access: &'a ClientAccess,
    /// The cell's run directory, for files a step's programs write.
    pub run_dir: &'a Path,
    pub tools: &'a StepTools,
    /// Where files kept with the report go; `None`: nothing is kept.
    pub keep_dir: Option<&'a KeepDir>,
}

/// Programs the steps run, installed before the run when a scenario needs them.
#[derive(Debug, Clone, Default)]
pub struct StepTools {
    pub conformance: Option<InstalledConformance>,
}

/// A cell's directory next to the report, and how the report names it.
#[derive(Debug, Clone)]
pub struct KeepDir {
    pub absolute: PathBuf,
    /// Relative to the report's own directory, `/`-separated.
    pub relative: String,
}

impl<'a> Target<'a> {
    /// The process `side` names; `to` without an upgrade is the registry.
    pub fn served(&self, side: Side) -> &Served<'a> {
        match (side, &self.to) {
            (Side::To, Some(to)) => to,
            _ => &self.from,
        }
    }

    /// Every process's client, to collect what each exchanged.
    pub fn clients(&self) -> impl Iterator<Item = &'a RegistryClient> + '_ {
        std::iter::once(self.from.client).chain(self.to.as_ref().map(|t| t.client))
    }
}

/// Requests to Blob storage, as opposed to identity endpoints, in the traffic log.
pub fn is_storage_host(host: &str) -> bool {
    // Any cloud's realm: core.windows.net, core.chinacloudapi.cn, ...
    host.contains(".blob.")
}

/// Why a step did not do what it should.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The registry answered, but not as the step requires.
    #[error("{0}")]
    Unmet(String),
    /// The registry accepted what it must refuse; `security` when that lets
    /// an attack or an invalid token in.
    #[error("{message}")]
    Accepted { message: String, security: bool },
    /// Acknowledged data is gone or corrupt, or refused data appeared.
    #[error("{0}")]
    DataLoss(String),
    /// The registry did not serve again within the bound.
    #[error("{0}")]
    NoRecovery(String),
    /// The harness could not do its part.
    #[error("{0}")]
    Harness(String),
    /// A refusal the step allows under faults: the step has recorded the
    /// blob as rejected and the run goes on. Shows as the refusal itself.
    #[error(transparent)]
    Tolerated(Box<StepError>),
}

impl StepError {
    /// The harness, not the registry, failed: never a tolerated refusal.
    pub fn is_harness(&self) -> bool {
        matches!(
            self,
            StepError::Harness(_) | StepError::Client(ClientError::Setup(_))
        )
    }

    /// The error under a `Tolerated` wrapper.
    pub fn cause(&self) -> &StepError {
        match self {
            StepError::Tolerated(inner) => inner.cause(),
            other => other,
        }
    }
}

pub struct PushedBlob {
    pub blob: RandomBlob,
    pub digest: Digest,
}

/// State shared between steps: what was pushed, under which names, and
/// what the registry refused (for the invariants after faults).
#[derive(Default)]
pub struct Pushed {
    pub blobs: HashMap<String, PushedBlob>,
    /// Manifests under their tags.
    pub manifests: HashMap<String, Digest>,
    /// Manifests pushed by digest, under the scenario's name for them.
    pub untagged: HashMap<String, Digest>,
    /// Images acknowledged under a tag that a concurrent push then took:
    /// still stored by digest, with the tag's index link, but no longer
    /// the tag's (so garbage collection may take them).
    pub superseded: Vec<(String, Digest)>,
    /// Blob names and digests whose push the registry refused.
    pub rejected: Vec<(String, Digest)>,
    /// Blob names and digests a `delete-blob` step deleted.
    pub deleted_blobs: Vec<(String, Digest)>,
}

impl Pushed {
    /// The blob an earlier step stored under `name`. Loading guarantees a
    /// step defined the name, but a push that may fail can leave it unset.
    pub fn blob(&self, name: &str) -> Result<&PushedBlob, StepError> {
        if let Some(blob) = self.blobs.get(name) {
            return Ok(blob);
        }
        let refused = self.rejected.iter().find(|(n, _)| n == name);
        let deleted = self.deleted_blobs.iter().find(|(n, _)| n == name);
        let why = match (refused, deleted) {
            (_, Some((_, digest))) => format!("a delete-blob step deleted it ({digest})"),
            (Some((_, digest)), None) => {
                format!("the registry refused its push ({digest}), which the scenario allowed")
            }
            (None, None) => "no earlier step stored it".to_string(),
        };
        Err(StepError::Unmet(format!(
            "blob {name:?} is not in the registry: {why}"
        )))
    }

    /// The digest a manifest was pushed as; empty when none was, so the
    /// registry answers for an unknown manifest.
    pub fn manifest_digest(&self, tag: &str) -> String {
        self.manifests
            .get(tag)
            .or_else(|| self.untagged.get(tag))
            .map(|digest| digest.to_string())
            .unwrap_or_default()
    }

    /// What a request names manifest `name` by: its tag, or its digest when
    /// it was pushed by digest (an unknown name goes as it is, so the
    /// registry answers for it).
    pub fn manifest_reference(&self, name: &str) -> String {
        match (self.manifests.get(name), self.untagged.get(name)) {
            (None, Some(digest)) => digest.to_string(),
            _ => name.to_string(),
        }
    }

    /// Records a successful push under its scenario name.
    pub fn store(&mut self, name: &str, blob: RandomBlob, digest: Digest) {
        self.blobs
            .insert(name.to_string(), PushedBlob { blob, digest });
    }

    /// The registry deleted blob `name`: later steps no longer expect it.
    pub fn blob_deleted(&mut self, name: &str) {
        if let Some(blob) = self.blobs.remove(name) {
            self.deleted_blobs.push((name.to_string(), blob.digest));
        }
    }

    /// The registry deleted manifest `digest`, and with it every tag that
    /// pointed at it (every version untags them); returns those tags.
    pub fn manifest_deleted(&mut self, digest: &str) -> Vec<String> {
        let mut tags: Vec<String> = self
            .manifests
            .iter()
            .filter(|(_, d)| d.as_str() == digest)
            .map(|(tag, _)| tag.clone())
            .collect();
        tags.sort();
        for tag in &tags {
            self.manifests.remove(tag);
        }
        self.superseded.retain(|(_, d)| d.as_str() != digest);
        self.untagged.retain(|_, d| d.as_str() != digest);
        tags
    }

    /// Turns a refused push the step allows into a tolerated error, recording
    /// the blob as rejected for `check-invariants`. Harness failures pass.
    pub fn refused(&mut self, name: &str, digest: Digest, err: StepError) -> StepError {
        if err.is_harness() {
            return err;
        }
        self.rejected.push((name.to_string(), digest));
        StepError::Tolerated(Box::new(err))
    }
}

/// One run of one scenario, as the steps see it.
pub struct StepContext<'a> {
    pub target: &'a Target<'a>,
    pub scenario_id: &'a str,
    /// The repository the steps push to unless they name another.
    pub repository: &'a str,
    /// The step running now (0-based), for its seed.
    pub index: usize,
    /// The process the step running now goes through.
    pub via: Side,
    /// Where this run's traffic starts in the shared log.
    pub traffic_start: usize,
    pub pushed: Pushed,
    /// Rules this run added, removed by `clear-faults` and at the end.
    pub injected: Vec<FaultId>,
    /// What a `conformance` step found, for the cell.
    pub conformance: Option<ConformanceSummary>,
}

impl<'a> StepContext<'a> {
    pub fn new(target: &'a Target<'a>, scenario_id: &'a str, repository: &'a str) -> Self {
        StepContext {
            target,
            scenario_id,
            repository,
            index: 0,
            via: Side::From,
            traffic_start: target.traffic.len(),
            pushed: Pushed::default(),
            injected: Vec::new(),
            conformance: None,
        }
    }

    pub fn repository(&self) -> &'a str {
        self.repository
    }

    /// The client of the process this step goes through.
    pub fn client(&self) -> &'a RegistryClient {
        self.target.served(self.via).client
    }

    /// The log of the process this step goes through.
    pub fn registry_log(&self) -> &'a Path {
        self.target.served(self.via).registry_log
    }

    /// This step's bytes: different per scenario and step, the same on
    /// every run with the cell's seed, so a cell can be reproduced.
    pub fn seed(&self) -> u64 {
        self.target
            .seed
            .derive(&format!("{}#{}", self.scenario_id, self.index))
            .value()
    }
}

/// What loading has seen so far, for the checks of the steps after it.
pub struct LoadContext {
    pub workload: Workload,
    /// Blob names earlier `push-blob` steps define.
    pub blobs: HashSet<String>,
    /// Tags earlier steps make, and names of manifests pushed by digest:
    /// apart, so a name says unambiguously how a request addresses it.
    tags: HashSet<String>,
    by_digest: HashSet<String>,
}

impl LoadContext {
    pub fn new(workload: Workload) -> Self {
        LoadContext {
            workload,
            blobs: HashSet::new(),
            tags: HashSet::new(),
            by_digest: HashSet::new(),
        }
    }

    /// A step pushes a blob under `name`, which no earlier step did.
    pub fn define_blob(&mut self, name: &str) -> Result<(), String> {
        if !self.blobs.insert(name.to_string()) {
            return Err(format!("blob {name:?} is pushed twice"));
        }
        Ok(())
    }

    /// A step makes tag `name` (again, possibly: tags move).
    pub fn define_tag(&mut self, name: &str) -> Result<(), String> {
        if self.by_digest.contains(name) {
            return Err(format!(
                "{name:?} names a manifest pushed by digest; a tag needs another name"
            ));
        }
        self.tags.insert(name.to_string());
        Ok(())
    }

    /// A step pushes a manifest by digest, named `name` in the scenario.
    pub fn define_by_digest(&mut self, name: &str) -> Result<(), String> {
        if self.tags.contains(name) || !self.by_digest.insert(name.to_string()) {
            return Err(format!(
                "manifest name {name:?} is already used by an earlier step"
            ));
        }
        Ok(())
    }

    /// `name` is a tag or a manifest an earlier step pushed.
    pub fn known_manifest(&self, name: &str) -> Result<(), String> {
        if self.tags.contains(name) || self.by_digest.contains(name) {
            Ok(())
        } else {
            Err(format!(
                "manifest {name:?} is used before a step pushes or tags it"
            ))
        }
    }

    pub fn known(&self, name: &str) -> Result<(), String> {
        if self.blobs.contains(name) {
            Ok(())
        } else {
            Err(format!(
                "blob {name:?} is used before a push-blob step defines it"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_blob_is_an_error_naming_it_not_a_panic() {
        let mut pushed = Pushed::default();
        let digest = Digest::sha256_of(b"during");
        let refused = pushed.refused("during", digest.clone(), StepError::Unmet("503".into()));
        assert!(matches!(refused, StepError::Tolerated(_)));
        let err = pushed.blob("during").err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("\"during\""), "{err}");
        assert!(
            err.contains(&format!("refused its push ({digest})")),
            "{err}"
        );
        let never = pushed.blob("never").err().map(|e| e.to_string());
        assert!(never
            .unwrap_or_default()
            .contains("no earlier step stored it"));
    }

    #[test]
    fn deleted_blobs_and_manifests_are_no_longer_expected() {
        let mut pushed = Pushed::default();
        let blob = RandomBlob::new(1, 8);
        let digest = Digest::sha256_of(b"x");
        pushed.store("a", blob, digest.clone());
        pushed.blob_deleted("a");
        assert!(pushed.blobs.is_empty());
        let err = pushed.blob("a").err().map(|e| e.to_string());
        assert!(err
            .unwrap_or_default()
            .contains(&format!("a delete-blob step deleted it ({digest})")),);
        let m = Digest::sha256_of(b"m");
        pushed.manifests.insert("v1".into(), m.clone());
        pushed.manifests.insert("alias".into(), m.clone());
        pushed.manifests.insert("other".into(), digest.clone());
        assert_eq!(pushed.manifest_deleted(&m), ["alias", "v1"]);
        assert_eq!(pushed.manifests.len(), 1);
    }

    #[test]
    fn a_harness_failure_is_not_recorded_as_a_refusal() {
        let mut pushed = Pushed::default();
        let err = pushed.refused("b", Digest::sha256_of(b"b"), StepError::Harness("x".into()));
        assert!(matches!(err, StepError::Harness(_)));
        assert!(pushed.rejected.is_empty());
    }
}
