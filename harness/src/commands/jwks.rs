//! `regmatrix jwks`: JWKS tools for the `auth.token.jwks` option of 3.x.
//! It reads and writes files only; the key work is `regmatrix::migrate`'s.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use regmatrix::migrate::{self, JwksKids};
use regmatrix::progress::Progress;

#[derive(clap::Args)]
pub struct JwksArgs {
    #[command(subcommand)]
    command: JwksCommand,
}

#[derive(Subcommand)]
enum JwksCommand {
    /// Write a JWKS for the keys of PEM certificates (a 2.8 rootcertbundle)
    /// whose kids match what your token server puts in its tokens.
    FromCert {
        /// PEM files with CERTIFICATE or PUBLIC KEY blocks.
        #[arg(required = true)]
        pems: Vec<PathBuf>,
        /// The kid form your token server writes.
        #[arg(long, value_enum, default_value = "both")]
        kid: JwksKids,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(args: JwksArgs, _progress: &Progress) -> Result<u8> {
    let JwksCommand::FromCert { pems, kid, out } = args.command;
    let mut texts = Vec::new();
    for path in &pems {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        texts.push((path.display().to_string(), text));
    }
    let jwks = migrate::jwks_from_certificates(&texts, kid)?;
    let text = serde_json::to_string_pretty(&jwks)? + "\n";
    match out {
        Some(path) => {
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            // On stderr, so stdout stays the JWKS alone when there is one.
            eprintln!(
                "wrote {} ({} keys)",
                path.display(),
                jwks["keys"].as_array().map_or(0, Vec::len)
            );
        }
        None => print!("{text}"),
    }
    Ok(0)
}
