//! `regmatrix versions`: what a `--versions` expression resolves to today,
//! against the Go module proxy's releases (or the cache's builds offline),
//! without building or running anything. The nightly workflow resolves the
//! set once with it and hands the tags to every shard.

use anyhow::Result;

use regmatrix::progress::Progress;

use super::shared::{resolve_versions, VersionArgs};

#[derive(clap::Args)]
pub struct VersionsArgs {
    #[command(flatten)]
    versions: VersionArgs,
    /// Print every release the set was resolved against, not only the
    /// chosen ones.
    #[arg(long)]
    releases: bool,
}

pub async fn run(args: VersionsArgs, progress: &Progress) -> Result<u8> {
    let chosen = resolve_versions(&args.versions, progress).await?;
    if args.releases {
        for release in &chosen.releases {
            let mark = if chosen.versions.contains(release) {
                " *"
            } else {
                ""
            };
            println!("{release}{mark}");
        }
        return Ok(0);
    }
    // One line, comma-joined: what `--versions` takes back.
    println!(
        "{}",
        chosen
            .versions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    Ok(0)
}
