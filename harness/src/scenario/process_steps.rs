//! Process faults: Azurite or the registry crashed (SIGKILL) and started
//! again, between steps or in the middle of a chunked upload.

use std::sync::{Mutex, PoisonError};

use super::engine::{StepError, Target};
use super::model::ProcessName;
use crate::client::ClientError;
use crate::payload::RandomBlob;

/// How each process is taken down (see `AzuriteService::restart`).
fn how(process: ProcessName) -> &'static str {
    match process {
        ProcessName::Azurite => "Azurite stopped (SIGTERM)",
        ProcessName::Registry => "the registry crashed (SIGKILL)",
    }
}

async fn restart_process(target: &Target<'_>, process: ProcessName) -> Result<f64, StepError> {
    let gone = match process {
        ProcessName::Azurite => target.processes.restart_azurite().await,
        ProcessName::Registry => target.processes.restart_registry().await,
    }
    .map_err(|e| StepError::Harness(format!("restarting {process:?}: {e}")))?;
    Ok(gone.as_secs_f64())
}

pub(super) async fn restart(
    target: &Target<'_>,
    process: ProcessName,
) -> Result<String, StepError> {
    let gone = restart_process(target, process).await?;
    Ok(format!("{} and was back in {gone:.1}s", how(process)))
}

pub(super) async fn push_across_restart(
    target: &Target<'_>,
    repository: &str,
    blob: &RandomBlob,
    digest: &str,
    chunk: usize,
    process: ProcessName,
    after_chunks: usize,
) -> Result<String, StepError> {
    // Written from inside the chunk callback; a lock keeps the future Send.
    let outcome: Mutex<Option<Result<f64, String>>> = Mutex::new(None);
    let result = target
        .client
        .push_blob_chunked_with(repository, blob, digest, chunk, |n| {
            let outcome = &outcome;
            async move {
                if n != after_chunks {
                    return Ok(());
                }
                let restarted = restart_process(target, process)
                    .await
                    .map_err(|e| e.to_string());
                let failed = restarted.as_ref().err().cloned();
                *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(restarted);
                match failed {
                    Some(e) => Err(ClientError::Setup(e)),
                    None => Ok(()),
                }
            }
        })
        .await;
    let restarted = outcome.into_inner().unwrap_or_else(PoisonError::into_inner);
    let gone = match restarted {
        Some(Err(e)) => return Err(StepError::Harness(e)),
        Some(Ok(seconds)) => seconds,
        None => {
            return Err(StepError::Harness(format!(
                "the upload has fewer than {after_chunks} chunks: nothing was restarted"
            )))
        }
    };
    let chunks = result?;
    Ok(format!(
        "{chunks} chunks of {chunk} bytes acknowledged as {digest}; {} after chunk {after_chunks} and was back in {gone:.1}s",
        how(process)
    ))
}
