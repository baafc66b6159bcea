//! The bench report: every row measured in one run, and the ratios that
//! make its figures comparable across machines (a registry's push rate as a
//! fraction of what Azurite takes directly, the Azure driver against the
//! filesystem driver of the same binary, the harness client against oras
//! and crane). Renderers only read this.

use serde::{Deserialize, Serialize};

use super::plan::{BenchPlan, PlanError, UploadMode};
use super::resources::CpuUse;
use super::stats::{ratio, PhaseFigures};

pub const BENCH_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema_version: u32,
    pub generated_at: String,
    pub host: HostInfo,
    pub plan: BenchPlan,
    pub versions: Vec<BenchVersion>,
    /// Raw loopback TCP, one stream per connection: the ceiling of any hop.
    pub loopback_tcp: Vec<LoopbackFigure>,
    pub rows: Vec<BenchRow>,
    pub comparisons: Vec<Comparison>,
    pub wall_s: f64,
    pub harness_cpu_s: f64,
    pub harness_peak_rss_mib: f64,
}

impl BenchReport {
    /// A failed row fails the run (exit 1); skipped and unsupported rows do not.
    pub fn any_failed(&self) -> bool {
        self.rows.iter().any(|r| r.status == RowStatus::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    pub cpus: usize,
    pub azurite: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchVersion {
    pub tag: String,
    pub version_line: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopbackFigure {
    pub concurrency: usize,
    pub bytes: u64,
    pub mb_per_s: f64,
}

/// Where the bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BenchPath {
    /// Straight to Azurite with the Azure SDK: put block + put block list.
    AzureDirect,
    /// Through the registry, Azure driver, shared key.
    RegistryAzureSharedKey,
    /// Through the registry, Azure driver, an Entra ID token (client secret).
    RegistryAzureOauth,
    /// Through the registry, filesystem driver.
    RegistryFilesystem,
}

impl BenchPath {
    pub fn label(self) -> &'static str {
        match self {
            BenchPath::AzureDirect => "Azurite direct (Azure SDK)",
            BenchPath::RegistryAzureSharedKey => "registry, Azure, shared key",
            BenchPath::RegistryAzureOauth => "registry, Azure, OAuth",
            BenchPath::RegistryFilesystem => "registry, filesystem",
        }
    }

    /// `--paths`: comma-separated words, at least one.
    pub fn parse_list(text: &str) -> Result<Vec<BenchPath>, PlanError> {
        let paths = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if paths.is_empty() {
            return Err(PlanError::NoPath);
        }
        Ok(paths)
    }
}

/// The short words of `--paths`; the serialized names are the report's own.
impl std::str::FromStr for BenchPath {
    type Err = PlanError;

    fn from_str(text: &str) -> Result<Self, PlanError> {
        match text.trim() {
            "limit" => Ok(BenchPath::AzureDirect),
            "shared-key" => Ok(BenchPath::RegistryAzureSharedKey),
            "oauth" => Ok(BenchPath::RegistryAzureOauth),
            "filesystem" => Ok(BenchPath::RegistryFilesystem),
            other => Err(PlanError::Path(other.to_string())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BenchClient {
    Regmatrix,
    AzureSdk,
    Oras,
    Crane,
}

impl BenchClient {
    pub fn name(self) -> &'static str {
        match self {
            BenchClient::Regmatrix => "regmatrix",
            BenchClient::AzureSdk => "azure-sdk",
            BenchClient::Oras => "oras",
            BenchClient::Crane => "crane",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowStatus {
    Measured,
    /// The plan left it out (bytes in flight); `note` says why.
    Skipped,
    /// The version cannot run this path (2.8 has no OAuth); `note` quotes why.
    Unsupported,
    /// An operation failed; `note` has the first failure.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub figures: PhaseFigures,
    pub cpu: CpuUse,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    pub path: BenchPath,
    pub client: BenchClient,
    /// The registry version; none for the Azurite-direct limit.
    pub version: Option<String>,
    pub size: u64,
    /// The harness's mode. A peer uploads its own way (`note`), and its rows
    /// carry `monolithic`, the harness mode they are compared with.
    pub mode: UploadMode,
    pub concurrency: usize,
    pub ops: usize,
    pub status: RowStatus,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    pub push: Option<Phase>,
    pub pull: Option<Phase>,
}

impl BenchRow {
    pub fn push_mb_per_s(&self) -> f64 {
        self.push.as_ref().map_or(0.0, |p| p.figures.mb_per_s)
    }

    pub fn pull_mb_per_s(&self) -> f64 {
        self.pull.as_ref().map_or(0.0, |p| p.figures.mb_per_s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Push,
    Pull,
}

/// One (version, size, mode, concurrency, direction) of the registry's
/// Azure shared-key path, against its references. A ratio is absent when
/// either side was not measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub version: String,
    pub size: u64,
    pub mode: UploadMode,
    pub concurrency: usize,
    pub direction: Direction,
    pub registry_mb_per_s: f64,
    /// registry / Azurite direct (same bytes, block size and concurrency).
    pub fraction_of_limit: Option<f64>,
    /// registry with Azure / registry with the filesystem driver.
    pub azure_vs_filesystem: Option<f64>,
    /// registry with an OAuth token / with shared key.
    pub oauth_vs_shared_key: Option<f64>,
    /// The harness client / oras, and / crane, on the same registry.
    pub regmatrix_vs_oras: Option<f64>,
    pub regmatrix_vs_crane: Option<f64>,
}

/// Pairs each measured registry row with its references.
pub fn compare(rows: &[BenchRow]) -> Vec<Comparison> {
    let measured = |path: BenchPath,
                    client: BenchClient,
                    version: Option<&str>,
                    row: &BenchRow|
     -> Option<&BenchRow> {
        rows.iter().find(|r| {
            r.status == RowStatus::Measured
                && r.path == path
                && r.client == client
                && r.version.as_deref() == version
                && r.size == row.size
                && r.mode == row.mode
                && r.concurrency == row.concurrency
        })
    };
    let mut comparisons = Vec::new();
    for row in rows.iter().filter(|r| {
        r.status == RowStatus::Measured
            && r.path == BenchPath::RegistryAzureSharedKey
            && r.client == BenchClient::Regmatrix
    }) {
        let version = row.version.as_deref();
        let limit = measured(BenchPath::AzureDirect, BenchClient::AzureSdk, None, row);
        let filesystem = measured(
            BenchPath::RegistryFilesystem,
            BenchClient::Regmatrix,
            version,
            row,
        );
        let oauth = measured(
            BenchPath::RegistryAzureOauth,
            BenchClient::Regmatrix,
            version,
            row,
        );
        let oras = measured(
            BenchPath::RegistryAzureSharedKey,
            BenchClient::Oras,
            version,
            row,
        );
        let crane = measured(
            BenchPath::RegistryAzureSharedKey,
            BenchClient::Crane,
            version,
            row,
        );
        for direction in [Direction::Push, Direction::Pull] {
            let rate = |r: Option<&BenchRow>| {
                r.map_or(0.0, |r| match direction {
                    Direction::Push => r.push_mb_per_s(),
                    Direction::Pull => r.pull_mb_per_s(),
                })
            };
            let own = rate(Some(row));
            comparisons.push(Comparison {
                version: row.version.clone().unwrap_or_default(),
                size: row.size,
                mode: row.mode,
                concurrency: row.concurrency,
                direction,
                registry_mb_per_s: own,
                fraction_of_limit: ratio(own, rate(limit)),
                azure_vs_filesystem: ratio(own, rate(filesystem)),
                oauth_vs_shared_key: ratio(rate(oauth), own),
                regmatrix_vs_oras: ratio(own, rate(oras)),
                regmatrix_vs_crane: ratio(own, rate(crane)),
            });
        }
    }
    comparisons
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bench::plan::MIB;

    pub fn row(
        path: BenchPath,
        client: BenchClient,
        version: Option<&str>,
        push: f64,
        pull: f64,
    ) -> BenchRow {
        let phase = |mb_per_s: f64| {
            (mb_per_s > 0.0).then(|| Phase {
                figures: PhaseFigures {
                    ops: 4,
                    bytes: 64 * MIB,
                    wall_s: 1.0,
                    mb_per_s,
                    p50_ms: 10.0,
                    p99_ms: 20.0,
                },
                cpu: CpuUse::default(),
            })
        };
        BenchRow {
            path,
            client,
            version: version.map(str::to_string),
            size: 16 * MIB,
            mode: UploadMode::Monolithic,
            concurrency: 1,
            ops: 4,
            status: RowStatus::Measured,
            note: String::new(),
            push: phase(push),
            pull: phase(pull),
        }
    }

    #[test]
    fn comparisons_pair_rows_of_the_same_shape_and_version() {
        let v = Some("v3.1.1");
        let mut rows = vec![
            row(
                BenchPath::AzureDirect,
                BenchClient::AzureSdk,
                None,
                400.0,
                800.0,
            ),
            row(
                BenchPath::RegistryAzureSharedKey,
                BenchClient::Regmatrix,
                v,
                100.0,
                400.0,
            ),
            row(
                BenchPath::RegistryFilesystem,
                BenchClient::Regmatrix,
                v,
                200.0,
                0.0,
            ),
            row(
                BenchPath::RegistryAzureSharedKey,
                BenchClient::Oras,
                v,
                50.0,
                400.0,
            ),
            // Another version's filesystem row must not be used.
            row(
                BenchPath::RegistryFilesystem,
                BenchClient::Regmatrix,
                Some("v2.8.3"),
                1.0,
                1.0,
            ),
        ];
        let mut other_shape = row(
            BenchPath::RegistryAzureSharedKey,
            BenchClient::Crane,
            v,
            9.0,
            9.0,
        );
        other_shape.concurrency = 4;
        rows.push(other_shape);
        let c = compare(&rows);
        assert_eq!(c.len(), 2);
        let push = &c[0];
        assert_eq!(push.direction, Direction::Push);
        assert_eq!(push.fraction_of_limit, Some(0.25));
        assert_eq!(push.azure_vs_filesystem, Some(0.5));
        assert_eq!(push.regmatrix_vs_oras, Some(2.0));
        assert_eq!(push.regmatrix_vs_crane, None);
        assert_eq!(push.oauth_vs_shared_key, None);
        let pull = &c[1];
        assert_eq!(pull.fraction_of_limit, Some(0.5));
        assert_eq!(
            pull.azure_vs_filesystem, None,
            "no filesystem pull measured"
        );
        assert_eq!(pull.regmatrix_vs_oras, Some(1.0));
    }

    #[test]
    fn paths_parse_from_their_short_words() {
        assert_eq!(
            BenchPath::parse_list(" limit,oauth ,,filesystem").unwrap(),
            [
                BenchPath::AzureDirect,
                BenchPath::RegistryAzureOauth,
                BenchPath::RegistryFilesystem
            ]
        );
        assert_eq!(
            BenchPath::parse_list("shared-key,s3")
                .unwrap_err()
                .to_string(),
            "unknown bench path \"s3\": expected limit, shared-key, oauth or filesystem"
        );
        assert_eq!(BenchPath::parse_list(" , ").unwrap_err(), PlanError::NoPath);
    }
}
