//! `regmatrix install`: builds the requested registries and installs
//! Azurite into the cache, then says what is where. It must not start them.

use anyhow::Result;

use regmatrix::install::{self, Installer};
use regmatrix::progress::Progress;

use super::shared::{resolve_versions, VersionArgs};

#[derive(clap::Args)]
pub struct InstallArgs {
    #[command(flatten)]
    versions: VersionArgs,
}

pub async fn run(args: InstallArgs, progress: &Progress) -> Result<u8> {
    let versions = resolve_versions(&args.versions)?;
    let installer = Installer::from_env()?;
    // The cache is for built binaries: a --registry-bin is not installed.
    let (azurite, columns) = install::prepare(&installer, &versions, None, progress).await?;
    println!(
        "azurite {} ({})",
        azurite.version,
        azurite.blob_script.display()
    );
    for c in columns {
        println!(
            "{}: {} ({})",
            c.version,
            c.registry.version_line,
            c.registry.binary.display()
        );
    }
    Ok(0)
}
