//! The bench's environments: starting one for a registry path on the cloud
//! runtime, the client each driver uses on it, and emptying its store
//! between rows. It measures nothing; the rows are the run's.

use std::sync::Arc;
use std::time::Duration;

use super::{Bench, Driver, LIMIT_CONTAINER, REPOSITORY};
use crate::bench::azure_direct::{DirectBlobClient, DirectError};
use crate::bench::blobs::BenchBlob;
use crate::bench::clients::BlobClient;
use crate::bench::peers::{PeerClient, PeerError};
use crate::bench::report::{BenchPath, RowStatus};
use crate::client::{ClientConfig, ClientError, RegistryClient};
use crate::env::{
    ConfigDialect, CredentialsMode, EnvError, Environment, EnvironmentSpec, StorageBackend,
};
use crate::install::{Column, InstalledAzurite};
use crate::storage::StorageError;

impl Bench<'_> {
    /// Starts an environment on the cloud runtime (the front door and
    /// identity tasks run there). An error is the rows' status and note.
    pub(super) async fn start(
        &self,
        column: &Column,
        azurite: &InstalledAzurite,
        path: BenchPath,
    ) -> Result<Arc<Environment>, (RowStatus, String)> {
        let spec = EnvironmentSpec {
            credentials: match path {
                BenchPath::RegistryAzureOauth => CredentialsMode::ClientSecret,
                _ => CredentialsMode::SharedKey,
            },
            repository: REPOSITORY.into(),
            disable_redirect: !self.options.redirect,
            backend: match path {
                BenchPath::RegistryFilesystem => StorageBackend::Filesystem,
                _ => StorageBackend::Azure,
            },
            ready_timeout: self.options.ready_timeout,
            keep_run_dir: self.options.keep_run_dirs,
            ..EnvironmentSpec::new(
                format!("bench-{}", column.version.tag()),
                column.registry.clone(),
                ConfigDialect::of(&column.version),
                azurite.clone(),
            )
        };
        match self
            .cloud
            .spawn(async move { Environment::start(&spec).await })
            .await
        {
            Ok(Ok(environment)) => Ok(Arc::new(environment)),
            Ok(Err(EnvError::Unsupported(reason))) => Err((RowStatus::Unsupported, reason.0)),
            Ok(Err(other)) => Err((
                RowStatus::Failed,
                format!("the environment did not start: {other}"),
            )),
            Err(join) => Err((
                RowStatus::Failed,
                format!("the environment did not start: {join}"),
            )),
        }
    }

    pub(super) async fn client_for(
        &self,
        driver: Driver<'_>,
        environment: &Arc<Environment>,
    ) -> Result<BlobClient, ClientSetupError> {
        match driver {
            Driver::Harness => {
                let client = RegistryClient::new(ClientConfig {
                    base_url: environment.registry_url().to_string(),
                    proxy_url: Some(environment.front_door.proxy_url()),
                    roots: environment.ca.rustls_root_store(),
                    credentials: None,
                    timeout: Duration::from_secs(1800),
                })
                .map_err(ClientSetupError::from)?;
                Ok(BlobClient::Regmatrix {
                    client,
                    repository: REPOSITORY.into(),
                })
            }
            Driver::Peer(peer) => PeerClient::new(peer, environment, REPOSITORY, &self.scratch)
                .map(|client| BlobClient::Peer(Arc::new(client)))
                .map_err(ClientSetupError::from),
            Driver::Limit => {
                environment
                    .storage
                    .create_container(LIMIT_CONTAINER, environment.azurite_port())
                    .await
                    .map_err(ClientSetupError::from)?;
                let client = DirectBlobClient::new(
                    &environment.account,
                    crate::env::ports::loopback(environment.azurite_port()),
                    environment.ca.rustls_root_store(),
                )
                .map_err(ClientSetupError::from)?;
                Ok(BlobClient::AzureSdk {
                    client: Arc::new(client),
                    container: LIMIT_CONTAINER.into(),
                })
            }
        }
    }
}

/// Why a row's client could not be set up; the row is recorded as failed
/// with this text.
#[derive(Debug, thiserror::Error)]
pub(super) enum ClientSetupError {
    #[error(transparent)]
    Registry(#[from] ClientError),
    #[error(transparent)]
    Peer(#[from] PeerError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    AzureSdk(#[from] DirectError),
}

/// Why emptying the store after a row failed; the row keeps its figures.
#[derive(Debug, thiserror::Error)]
pub(super) enum EmptyStoreError {
    #[error("{}: {source}", root.display())]
    Filesystem {
        root: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Empties what a row wrote, so the next row starts from the same state
/// and a 1 GiB row does not leave its bytes on disk for the rest of the run.
pub(super) async fn empty_store(
    environment: &Environment,
    path: BenchPath,
    blobs: &[BenchBlob],
) -> Result<(), EmptyStoreError> {
    match path {
        BenchPath::RegistryFilesystem => {
            let root = environment
                .run_dir()
                .join("filesystem-storage")
                .join("docker");
            match std::fs::remove_dir_all(&root) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(EmptyStoreError::Filesystem { root, source }),
            }
        }
        BenchPath::AzureDirect => {
            for blob in blobs {
                environment
                    .storage
                    .delete_blob(LIMIT_CONTAINER, blob.hex(), environment.azurite_port())
                    .await
                    .map_err(EmptyStoreError::from)?;
            }
            Ok(())
        }
        BenchPath::RegistryAzureSharedKey | BenchPath::RegistryAzureOauth => environment
            .storage
            .delete_all(&environment.container, environment.azurite_port())
            .await
            .map(|_| ())
            .map_err(EmptyStoreError::from),
    }
}
