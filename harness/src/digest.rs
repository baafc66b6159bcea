//! OCI content digests as the registry spells them (`sha256:<hex>`).

use sha2::{Digest, Sha256};

/// The digest of bytes held in memory.
pub fn sha256_of(bytes: &[u8]) -> String {
    finish(Sha256::new_with_prefix(bytes))
}

/// The digest of bytes hashed while streaming.
pub fn finish(hasher: Sha256) -> String {
    format!("sha256:{}", hex::encode(hasher.finalize()))
}
