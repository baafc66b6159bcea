//! The clients a row can drive, behind one push/pull interface: the
//! harness's own registry client, the Azure SDK straight to Azurite (the
//! limit), and the peer registry clients (oras, crane) as processes.

use std::sync::Arc;

use super::azure_direct::DirectBlobClient;
use super::azure_direct::DirectError;
use super::blobs::BenchBlob;
use super::peers::PeerClient;
use super::peers::PeerError;
use super::plan::UploadMode;
use super::workload::OpFuture;
use crate::client::{ClientError, RegistryClient};

/// Block size of the limit's monolithic rows.
const MONOLITHIC_LIMIT_BLOCK: u64 = 32 << 20;

/// Why one push or pull failed, worded as the client that failed words it.
#[derive(Debug, thiserror::Error)]
pub enum BlobOpError {
    #[error(transparent)]
    Registry(#[from] ClientError),
    #[error(transparent)]
    AzureSdk(#[from] DirectError),
    #[error(transparent)]
    Peer(#[from] PeerError),
    #[error("Azurite returned {bytes} bytes hashing to {actual}, expected {expected}")]
    DigestMismatch {
        bytes: u64,
        actual: String,
        expected: String,
    },
}

type BlobOp = OpFuture<BlobOpError>;

#[derive(Clone)]
pub enum BlobClient {
    Regmatrix {
        client: RegistryClient,
        repository: String,
    },
    AzureSdk {
        client: Arc<DirectBlobClient>,
        container: String,
    },
    Peer(Arc<PeerClient>),
}

impl BlobClient {
    /// Pushes `blob`; resolves to the bytes sent.
    pub fn push(&self, blob: BenchBlob, mode: UploadMode) -> BlobOp {
        let this = self.clone();
        Box::pin(async move {
            match this {
                BlobClient::Regmatrix { client, repository } => match mode {
                    UploadMode::Monolithic => client
                        .push_blob_monolithic(&repository, &blob.blob, &blob.digest)
                        .await
                        .map(|()| blob.blob.size())
                        .map_err(BlobOpError::from),
                    UploadMode::Chunked { chunk_bytes } => client
                        .push_blob_chunked(
                            &repository,
                            &blob.blob,
                            &blob.digest,
                            chunk_bytes as usize,
                        )
                        .await
                        .map(|_| blob.blob.size())
                        .map_err(BlobOpError::from),
                },
                BlobClient::AzureSdk { client, container } => {
                    // A monolithic upload goes in the largest chunk the plan
                    // uses, not one block: one block would hold the whole
                    // blob in memory (1 GiB), which the bench never does.
                    let block = match mode {
                        UploadMode::Monolithic => {
                            MONOLITHIC_LIMIT_BLOCK.min(blob.blob.size()) as usize
                        }
                        UploadMode::Chunked { chunk_bytes } => chunk_bytes as usize,
                    };
                    client
                        .upload(&container, blob.hex(), blob.blob.pieces(block))
                        .await
                        .map_err(BlobOpError::from)
                }
                BlobClient::Peer(peer) => peer.push(&blob).await.map_err(BlobOpError::from),
            }
        })
    }

    /// Pulls `blob`, verifying its digest; resolves to the bytes received.
    pub fn pull(&self, blob: BenchBlob) -> BlobOp {
        let this = self.clone();
        Box::pin(async move {
            match this {
                BlobClient::Regmatrix { client, repository } => client
                    .pull_blob_verified(&repository, &blob.digest)
                    .await
                    .map(|read| read.bytes)
                    .map_err(BlobOpError::from),
                BlobClient::AzureSdk { client, container } => {
                    let (bytes, digest) = client
                        .download_digest(&container, blob.hex())
                        .await
                        .map_err(BlobOpError::from)?;
                    if digest != blob.digest {
                        return Err(BlobOpError::DigestMismatch {
                            bytes,
                            actual: digest.to_string(),
                            expected: blob.digest.to_string(),
                        });
                    }
                    Ok(bytes)
                }
                BlobClient::Peer(peer) => peer.pull(&blob).await.map_err(BlobOpError::from),
            }
        })
    }
}
