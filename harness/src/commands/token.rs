//! `regmatrix token`: registry token tools. It decodes and answers from a
//! matrix report; it verifies nothing and runs nothing.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use regmatrix::inspect;
use regmatrix::progress::Progress;
use regmatrix::report::MatrixReport;

#[derive(clap::Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Decode a token's header and claims (no verification) and say, from the
    /// matrix, which registry versions accept that shape and why.
    Inspect {
        /// The token itself, or a file holding it.
        token: String,
        /// The matrix report to answer from.
        #[arg(long, default_value = "reports/matrix.json")]
        matrix: PathBuf,
    },
}

pub async fn run(args: TokenArgs, _progress: &Progress) -> Result<u8> {
    let TokenCommand::Inspect { token, matrix } = args.command;
    let text = match std::fs::read_to_string(&token) {
        Ok(contents) => contents,
        Err(_) if token.contains('.') => token.clone(),
        Err(e) => bail!("{token} is neither a readable file ({e}) nor a JWT"),
    };
    let shape = inspect::inspect(text.trim())?;
    // Without a matrix the shape alone is still worth printing.
    let report = match std::fs::read_to_string(&matrix) {
        Ok(json) => Some(
            serde_json::from_str::<MatrixReport>(&json)
                .with_context(|| format!("{} is not a matrix report", matrix.display()))?,
        ),
        Err(_) => None,
    };
    print!("{}", inspect::render(&shape, report.as_ref()));
    Ok(0)
}
