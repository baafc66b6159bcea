//! Arguments and helpers more than one subcommand uses: which registry
//! versions to run, how the registry runs (`--backend`), reading a matrix
//! report, `--shard`, and the stderr line for cells the harness could not
//! run. It must not run anything.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use regmatrix::docker::image::{ImageTemplate, Provenance};
use regmatrix::docker::Engine;
use regmatrix::env::{ContainerRuntime, RegistryRuntime};
use regmatrix::install::list_releases;
use regmatrix::progress::Progress;
use regmatrix::report::{MatrixReport, Outcome, ShardInfo, VersionSetInfo};
use regmatrix::versions::{RegistryVersion, VersionSet, DEFAULT_VERSIONS};

#[derive(clap::Args, Clone)]
pub struct VersionArgs {
    /// The registry versions: comma-separated terms, each a tag (v3.1.2),
    /// `latest`, `all` (every release the harness builds), `default`, a glob
    /// (`v3.1.*`) or a range (`>=v3.0.0 <v3.1.0`); `!TERM` takes versions
    /// out. Resolved against the Go module proxy's release list. Default:
    /// the newest 2.8, v3.0.0-alpha.1, v3.0.0 and the newest patch of each
    /// 3.x minor.
    #[arg(long, value_delimiter = None)]
    pub versions: Option<String>,
    /// Run this registry binary instead of building one; --versions names the
    /// tag it was built from (defaults to the tag in its `--version` line).
    #[arg(long)]
    pub registry_bin: Option<PathBuf>,
}

/// The versions a run covers, and how they were chosen (for the report).
pub struct ChosenVersions {
    pub versions: Vec<RegistryVersion>,
    pub set: Option<VersionSetInfo>,
    /// The releases the set was resolved against (empty: only tags named).
    pub releases: Vec<RegistryVersion>,
}

pub async fn resolve_versions(args: &VersionArgs, progress: &Progress) -> Result<ChosenVersions> {
    if args.versions.is_none() {
        if let Some(bin) = &args.registry_bin {
            let installed = regmatrix::install::custom_registry(bin)?;
            let tag = installed
                .version_line
                .split_whitespace()
                .last()
                .map(|t| t.split('+').next().unwrap_or(t).to_string())
                .unwrap_or_default();
            let version = tag.parse::<RegistryVersion>().with_context(|| {
                format!("cannot tell which version {} is from its `--version` line; pass --versions <tag>", bin.display())
            })?;
            return Ok(ChosenVersions {
                versions: vec![version],
                set: None,
                releases: Vec::new(),
            });
        }
    }
    let expression = args.versions.as_deref().unwrap_or("default");
    let set = VersionSet::parse(expression)?;
    if !set.needs_releases() {
        return Ok(ChosenVersions {
            versions: set.resolve(&[])?,
            set: Some(VersionSetInfo {
                expression: expression.to_string(),
                releases: 0,
                offline: None,
            }),
            releases: Vec::new(),
        });
    }
    let cache = regmatrix::cache::Cache::from_env()?;
    let bar = progress.spinner("release list from the Go module proxy".to_string());
    let list = list_releases(&cache).await;
    bar.finish_and_clear();
    let mut releases = list.releases;
    if let Some(why) = &list.offline {
        let stand_in = if releases.is_empty() {
            // Nothing built yet either: the releases this harness knew of.
            releases = DEFAULT_VERSIONS
                .iter()
                .filter_map(|t| t.parse().ok())
                .collect();
            "the releases this harness was written against"
        } else {
            "the versions built in the cache"
        };
        eprintln!(
            "regmatrix: warning: no release list from the Go module proxy ({why}); --versions {expression:?} is resolved against {stand_in}: {}",
            releases.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        );
    }
    let versions = set.resolve(&releases)?;
    progress.println(&format!(
        "versions {expression:?}: {} (of {} releases{})",
        versions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        releases.len(),
        if list.offline.is_some() {
            ", offline"
        } else {
            ""
        }
    ));
    Ok(ChosenVersions {
        versions,
        set: Some(VersionSetInfo {
            expression: expression.to_string(),
            releases: releases.len(),
            offline: list.offline,
        }),
        releases,
    })
}

pub fn read_report(path: &Path) -> Result<MatrixReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a matrix report", path.display()))
}

pub fn parse_shard(text: &str) -> Result<ShardInfo, String> {
    let (index, count) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: use INDEX/COUNT, e.g. 2/4"))?;
    let index: usize = index
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: INDEX is not a number"))?;
    let count: usize = count
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: COUNT is not a number"))?;
    if count == 0 || index == 0 || index > count {
        return Err(format!("{text:?}: need 1 <= INDEX <= COUNT"));
    }
    Ok(ShardInfo { index, count })
}

/// A cell the harness could not run says why on stderr, whatever command ran it.
pub fn print_harness_errors(report: &MatrixReport) {
    for cell in report.cells.iter().filter(|c| c.outcome == Outcome::Error) {
        eprintln!(
            "regmatrix: error: {} on {}: {}",
            cell.scenario,
            cell.column(),
            cell.evidence
        );
    }
}

/// How the registry runs, for the commands that run one.
#[derive(clap::Args, Clone)]
pub struct BackendArgs {
    /// `process`: the binary built from the version's Go module; `container`:
    /// the version's image through testcontainers, on the Docker engine
    /// DOCKER_HOST names (else /var/run/docker.sock), with host networking.
    #[arg(long, value_enum, default_value_t = Backend::Process)]
    pub backend: Backend,
    /// The image of each version (--backend container): `{version}` is the
    /// tag without its `v` (3.1.2), `{tag}` the tag (v3.1.2).
    #[arg(long, default_value = regmatrix::docker::image::DEFAULT_TEMPLATE)]
    pub image: ImageTemplate,
    /// Where the image reads its config (default: the .yml argument of the
    /// image's command, else /etc/docker/registry/config.yml for 2.x and
    /// /etc/distribution/config.yml for 3.x, the official layout).
    #[arg(long)]
    pub image_config: Option<String>,
    /// Where your deployment mounts the config in the container (default:
    /// where each image reads it). A path an image does not read is a
    /// finding: that registry runs the image's own config.
    #[arg(long)]
    pub mount_config: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Process,
    Container,
}

impl BackendArgs {
    /// Whether the command needs a Docker engine (opened before the async
    /// runtime starts: see `docker::Engine::open`).
    pub fn wants_docker(&self) -> bool {
        self.backend == Backend::Container
    }

    /// The runtime for `tags`: their images resolved on the engine (pulled
    /// when missing), or the process runtime. Bad combinations are refused
    /// before anything starts.
    pub async fn runtime(
        &self,
        tags: &[RegistryVersion],
        registry_bin: Option<&Path>,
        progress: &Progress,
    ) -> Result<RegistryRuntime> {
        if self.backend == Backend::Process {
            if self.image.as_str() != regmatrix::docker::image::DEFAULT_TEMPLATE
                || self.image_config.is_some()
                || self.mount_config.is_some()
            {
                bail!("--image, --image-config and --mount-config need --backend container");
            }
            return Ok(RegistryRuntime::Process);
        }
        if registry_bin.is_some() {
            bail!("--registry-bin runs a binary; with --backend container, name its image with --image");
        }
        for (flag, path) in [
            ("--image-config", &self.image_config),
            ("--mount-config", &self.mount_config),
        ] {
            if let Some(path) = path {
                if !path.starts_with('/') {
                    bail!("{flag} {path:?}: a path in the container starts with /");
                }
            }
        }
        let engine = Engine::open()?;
        let mut images = std::collections::BTreeMap::new();
        for version in tags {
            let tag = version.to_string();
            let reference = self.image.reference(&tag);
            progress.println(&format!(
                "image {reference} for {tag}: looking it up on the engine (pulled if missing)"
            ));
            let (image, provenance) = regmatrix::docker::image::resolve(
                engine,
                &reference,
                &tag,
                self.image_config.as_deref(),
            )
            .await?;
            let pulled = match provenance {
                Provenance::Present => String::new(),
                Provenance::Pulled { seconds } => format!("; pulled in {seconds:.1} s"),
            };
            progress.println(&format!(
                "image {reference} for {tag}: reads {} ({}){pulled}",
                image.config_path,
                image.config_path_source.describe()
            ));
            images.insert(tag, image);
        }
        Ok(RegistryRuntime::Container(ContainerRuntime {
            images,
            mount_config_at: self.mount_config.clone(),
        }))
    }
}
