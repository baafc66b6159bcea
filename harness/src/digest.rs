//! OCI content digests as the registry spells them (`sha256:<hex>`)
//! (layer 3, foundations). It must not import anything above it.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

/// The digest of bytes held in memory.
pub fn sha256_of(bytes: &[u8]) -> String {
    finish(Sha256::new_with_prefix(bytes))
}

/// The digest of bytes hashed while streaming.
pub fn finish(hasher: Sha256) -> String {
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// Reads a response body to its end, hashing while it streams (a blob is
/// never held whole): its length and `sha256:` digest.
pub async fn hash_body(mut response: reqwest::Response) -> Result<(u64, String), reqwest::Error> {
    let mut hasher = Sha256::new();
    let mut length = 0u64;
    while let Some(chunk) = response.chunk().await? {
        length += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok((length, finish(hasher)))
}

/// A content digest: an algorithm and its lower-case hex, `sha256:<hex>`.
/// Kept as the registry's text, since that is what every request and
/// report carries; the parts are checked when it is made.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid digest {0:?}: expected sha256:<64 hex digits> or sha512:<128 hex digits>")]
pub struct DigestError(pub String);

impl Digest {
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Digest(sha256_of(bytes))
    }

    pub fn from_hasher(hasher: Sha256) -> Digest {
        Digest(finish(hasher))
    }

    pub fn algorithm(&self) -> &str {
        self.0
            .split_once(':')
            .map_or("", |(algorithm, _)| algorithm)
    }

    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, hex)| hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(text: &str) -> Result<Self, DigestError> {
        let bad = || DigestError(text.to_owned());
        let (algorithm, hex) = text.split_once(':').ok_or_else(bad)?;
        let length = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => return Err(bad()),
        };
        let lower_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
        if hex.len() != length || !hex.bytes().all(lower_hex) {
            return Err(bad());
        }
        Ok(Digest(text.to_owned()))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Client calls take digests as `&str`; a `&Digest` passes as one.
impl std::ops::Deref for Digest {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<Digest> for String {
    fn from(digest: Digest) -> String {
        digest.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_check_their_parts_and_print_as_written() {
        let digest = Digest::sha256_of(b"");
        assert_eq!(digest.algorithm(), "sha256");
        assert_eq!(digest.hex().len(), 64);
        assert_eq!(digest.to_string().parse(), Ok(digest.clone()));
        for bad in ["", "sha256", "sha256:abc", "md5:00", &digest.to_uppercase()] {
            assert!(bad.parse::<Digest>().is_err(), "{bad:?} accepted");
        }
    }
}
