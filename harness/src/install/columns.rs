//! The columns of a run: Azurite and each requested registry version,
//! built or found in the cache (or one binary the user brought), ready to
//! start. It installs only; it must not start environments or run anything.

use std::time::Instant;

use super::{
    custom_registry, InstallError, InstalledAzurite, InstalledRegistry, Installer, AZURITE_VERSION,
};
use crate::progress::Progress;
use crate::versions::RegistryVersion;

/// One column of the matrix: the version it claims to be and the binary.
#[derive(Debug, Clone)]
pub struct Column {
    pub version: RegistryVersion,
    pub registry: InstalledRegistry,
}

/// Builds (or finds) Azurite and every requested registry.
pub async fn prepare(
    installer: &Installer,
    versions: &[RegistryVersion],
    registry_bin: Option<&std::path::Path>,
    progress: &Progress,
) -> Result<(InstalledAzurite, Vec<Column>), InstallError> {
    let bar = progress.spinner(format!("azurite {}", AZURITE_VERSION));
    let azurite = installer.azurite(&bar).await;
    bar.finish_and_clear();
    let azurite = azurite?;
    if let Some(notice) = &azurite.notice {
        notice.report(progress);
    }
    let mut columns = Vec::new();
    if let Some(binary) = registry_bin {
        let registry = custom_registry(binary)?;
        for version in versions {
            columns.push(Column {
                version: version.clone(),
                registry: InstalledRegistry {
                    tag: version.tag().to_string(),
                    ..registry.clone()
                },
            });
        }
        return Ok((azurite, columns));
    }
    for version in versions {
        columns.push(registry_column(installer, version, progress).await?);
    }
    Ok((azurite, columns))
}

/// Builds (or finds) one version's registry, saying how long it took.
pub async fn registry_column(
    installer: &Installer,
    version: &RegistryVersion,
    progress: &Progress,
) -> Result<Column, InstallError> {
    let bar = progress.spinner(format!("registry {version}"));
    let started = Instant::now();
    let registry = installer.registry(version, &bar).await;
    bar.finish_and_clear();
    let registry = registry?;
    progress.println(&format!(
        "registry {version}: {} ({:.1}s)",
        registry.version_line,
        started.elapsed().as_secs_f64()
    ));
    Ok(Column {
        version: version.clone(),
        registry,
    })
}
