//! `regmatrix install`: builds the requested registries and installs
//! Azurite into the cache, then says what is where; with `--images`, also
//! builds local images of those binaries in the official layout, for
//! `--backend container` on a machine that reaches no image registry. It
//! must not start them.

use anyhow::Result;

use regmatrix::docker::image::ImageTemplate;
use regmatrix::docker::Engine;
use regmatrix::install::{self, Installer};
use regmatrix::progress::Progress;

use super::shared::{resolve_versions, VersionArgs};

#[derive(clap::Args)]
pub struct InstallArgs {
    #[command(flatten)]
    versions: VersionArgs,
    /// Also build an image `FROM scratch` of each binary on the Docker
    /// engine, named by this template (`{version}`: 3.1.2, `{tag}`:
    /// v3.1.2), in the official images' layout (binary /bin/registry,
    /// config /etc/docker/registry/config.yml for 2.x and
    /// /etc/distribution/config.yml for 3.x, filesystem storage built in).
    #[arg(long, value_name = "TEMPLATE")]
    pub images: Option<ImageTemplate>,
}

impl InstallArgs {
    pub fn wants_docker(&self) -> bool {
        self.images.is_some()
    }
}

pub async fn run(args: InstallArgs, progress: &Progress) -> Result<u8> {
    let versions = resolve_versions(&args.versions, progress).await?.versions;
    let installer = Installer::from_env()?;
    let bar = progress.spinner(format!("azurite {}", install::AZURITE_VERSION));
    let azurite = installer.azurite(&bar).await;
    bar.finish_and_clear();
    let azurite = azurite?;
    if let Some(notice) = &azurite.notice {
        notice.report(progress);
    }
    println!(
        "azurite {} ({})",
        azurite.version,
        azurite.blob_script.display()
    );
    // Every version is tried: one that cannot be built says why and the
    // rest are still built (a nightly cache warms with what it can).
    let mut columns = Vec::new();
    let mut failed = Vec::new();
    for version in &versions {
        match install::registry_column(&installer, version, progress).await {
            Ok(c) => {
                println!(
                    "{}: {} ({})",
                    c.version,
                    c.registry.version_line,
                    c.registry.binary.display()
                );
                columns.push(c);
            }
            Err(error) => {
                println!("{version}: not built: {error}");
                failed.push((version.clone(), error));
            }
        }
    }
    match failed.as_slice() {
        [] => {}
        // Only one version asked for: its reason is the error.
        [(_, error)] if versions.len() == 1 => anyhow::bail!("{error}"),
        _ => eprintln!(
            "regmatrix: {} of {} versions not built: {}",
            failed.len(),
            versions.len(),
            failed
                .iter()
                .map(|(v, _)| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
    if let Some(template) = &args.images {
        let engine = Engine::open()?;
        for c in &columns {
            let tag = c.version.to_string();
            let reference = template.reference(&tag);
            let started = std::time::Instant::now();
            progress.println(&format!(
                "building image {reference} from {}",
                c.registry.binary.display()
            ));
            regmatrix::docker::image::build_scratch(engine, &c.registry.binary, &tag, &reference)
                .await?;
            println!(
                "{tag}: image {reference} (reads {}; built in {:.1} s)",
                regmatrix::docker::image::official_config_path(&tag),
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(if failed.is_empty() { 0 } else { 1 })
}
