//! The blobs a row moves: seeded pseudo-random bytes, distinct per row and
//! per client family (a peer checks whether a blob exists before it
//! uploads, so it must never be handed one the harness already pushed),
//! and the same across versions, so each digest is computed once a run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::plan::RowShape;
use crate::payload::RandomBlob;

#[derive(Debug, Clone)]
pub struct BenchBlob {
    pub blob: RandomBlob,
    pub digest: String,
}

impl BenchBlob {
    /// The hex part of the digest: a storage-safe unique name.
    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }
}

/// Whose blobs: the harness client and the Azure SDK share a family (they
/// never meet in one store); each peer has its own.
pub type Family = &'static str;

type Key = (Family, u64, String, usize, usize);

#[derive(Default, Clone)]
pub struct BlobCatalog {
    known: Arc<Mutex<HashMap<Key, Arc<Vec<BenchBlob>>>>>,
}

impl BlobCatalog {
    /// The row's blobs with their digests. Hashing runs on blocking threads,
    /// one per blob, before any timing starts.
    pub async fn blobs(&self, family: Family, shape: &RowShape) -> Arc<Vec<BenchBlob>> {
        let key = (
            family,
            shape.size,
            shape.mode.to_string(),
            shape.concurrency,
            shape.ops,
        );
        if let Some(found) = super::lock(&self.known).get(&key) {
            return found.clone();
        }
        let base = seed_of(&key);
        let mut hashing = tokio::task::JoinSet::new();
        for index in 0..shape.ops {
            let blob = RandomBlob::new(base.wrapping_add(index as u64), shape.size);
            hashing.spawn_blocking(move || {
                let digest = blob.digest();
                (
                    index,
                    BenchBlob {
                        blob,
                        digest: digest.into(),
                    },
                )
            });
        }
        let mut blobs: Vec<Option<BenchBlob>> = vec![None; shape.ops];
        while let Some(Ok((index, blob))) = hashing.join_next().await {
            blobs[index] = Some(blob);
        }
        let blobs: Arc<Vec<BenchBlob>> = Arc::new(blobs.into_iter().flatten().collect());
        super::lock(&self.known).insert(key, blobs.clone());
        blobs
    }
}

fn seed_of(key: &Key) -> u64 {
    let digest = Sha256::digest(format!("{key:?}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// Writes each blob to `dir/<hex>` (peers push files), streaming the bytes.
pub async fn write_files(dir: &Path, blobs: &[BenchBlob]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut writing = tokio::task::JoinSet::new();
    for (index, blob) in blobs.iter().enumerate() {
        let path = dir.join(blob.hex());
        let blob = blob.blob.clone();
        writing.spawn_blocking(move || {
            use std::io::Write;
            let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
            for piece in blob.pieces(1 << 20) {
                file.write_all(&piece)?;
            }
            file.flush()?;
            Ok::<_, std::io::Error>((index, path))
        });
    }
    let mut paths = vec![PathBuf::new(); blobs.len()];
    while let Some(joined) = writing.join_next().await {
        let (index, path) = joined.map_err(std::io::Error::other)??;
        paths[index] = path;
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::plan::{UploadMode, MIB};

    #[tokio::test]
    async fn families_and_rows_get_distinct_blobs_and_repeat_lookups_are_free() {
        let catalog = BlobCatalog::default();
        let shape = RowShape {
            size: MIB,
            mode: UploadMode::Monolithic,
            concurrency: 2,
            ops: 4,
        };
        let ours = catalog.blobs("regmatrix", &shape).await;
        let again = catalog.blobs("regmatrix", &shape).await;
        assert!(Arc::ptr_eq(&ours, &again));
        let peer = catalog.blobs("oras", &shape).await;
        let wider = catalog
            .blobs(
                "regmatrix",
                &RowShape {
                    concurrency: 4,
                    ..shape
                },
            )
            .await;
        let mut digests: Vec<&str> = ours
            .iter()
            .chain(peer.iter())
            .chain(wider.iter())
            .map(|b| b.digest.as_str())
            .collect();
        assert_eq!(digests.len(), 12);
        digests.sort();
        digests.dedup();
        assert_eq!(digests.len(), 12, "every blob is distinct");
        assert_eq!(ours[1].digest, ours[1].blob.digest().as_str());

        let dir = tempfile::tempdir().unwrap();
        let paths = write_files(dir.path(), &ours[..2]).await.unwrap();
        let written = std::fs::read(&paths[1]).unwrap();
        assert_eq!(crate::digest::sha256_of(&written), ours[1].digest);
    }
}
