//! Blob contents for pushes: pseudo-random bytes from a seed, generated in
//! chunks so no blob is ever held whole in memory, and regenerated (not
//! stored) when the same bytes are needed again.

use bytes::{Bytes, BytesMut};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

const GENERATION_CHUNK: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct RandomBlob {
    seed: u64,
    size: u64,
}

impl RandomBlob {
    pub fn new(seed: u64, size: u64) -> Self {
        RandomBlob { seed, size }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The blob's bytes in pieces of exactly `piece` bytes (the last may be
    /// shorter). The bytes do not depend on `piece`: they are generated in
    /// fixed blocks and re-cut, holding at most one piece plus one block.
    pub fn pieces(&self, piece: usize) -> impl Iterator<Item = Bytes> {
        let mut blocks = self.blocks();
        let piece = piece.max(1);
        let mut pending = BytesMut::new();
        let mut exhausted = false;
        std::iter::from_fn(move || {
            while pending.len() < piece && !exhausted {
                match blocks.next() {
                    Some(block) => pending.extend_from_slice(&block),
                    None => exhausted = true,
                }
            }
            if pending.is_empty() {
                return None;
            }
            let take = piece.min(pending.len());
            Some(pending.split_to(take).freeze())
        })
    }

    fn blocks(&self) -> impl Iterator<Item = Bytes> {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut remaining = self.size;
        std::iter::from_fn(move || {
            if remaining == 0 {
                return None;
            }
            let len = remaining.min(GENERATION_CHUNK as u64) as usize;
            let mut buf = vec![0u8; GENERATION_CHUNK];
            rng.fill_bytes(&mut buf);
            buf.truncate(len);
            remaining -= len as u64;
            Some(Bytes::from(buf))
        })
    }

    /// The `sha256:` digest, computed by generating the bytes once.
    pub fn digest(&self) -> crate::digest::Digest {
        let mut hasher = Sha256::new();
        for piece in self.blocks() {
            hasher.update(&piece);
        }
        crate::digest::Digest::from_hasher(hasher)
    }

    /// The `sha256:` digest of bytes `first..=last` (clamped to the blob),
    /// and how many there are: what a range read must return.
    pub fn range_digest(&self, first: u64, last: u64) -> (u64, String) {
        let last = last.min(self.size.saturating_sub(1));
        let mut hasher = Sha256::new();
        let mut count = 0u64;
        let mut offset = 0u64;
        for block in self.blocks() {
            let block_end = offset + block.len() as u64;
            if block_end > first && offset <= last {
                let from = first.saturating_sub(offset) as usize;
                let to = ((last + 1).min(block_end) - offset) as usize;
                hasher.update(&block[from..to]);
                count += (to - from) as u64;
            }
            offset = block_end;
            if offset > last {
                break;
            }
        }
        (count, crate::digest::finish(hasher))
    }

    /// The bytes as a request body stream.
    pub fn body(&self, piece: usize) -> reqwest::Body {
        let stream = futures_util::stream::iter(self.pieces(piece).map(Ok::<_, std::io::Error>));
        reqwest::Body::wrap_stream(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_the_same_bytes_whatever_the_piece_size() {
        let blob = RandomBlob::new(7, (2 << 20) + 5);
        let a: Vec<u8> = blob.pieces(1000).flat_map(|b| b.to_vec()).collect();
        let b: Vec<u8> = blob.pieces(3 << 20).flat_map(|b| b.to_vec()).collect();
        assert_eq!(a.len(), (2 << 20) + 5);
        assert!(blob.pieces(1000).all(|p| p.len() <= 1000));
        assert_eq!(a, b);
        assert_ne!(
            RandomBlob::new(8, 16).digest(),
            RandomBlob::new(7, 16).digest()
        );
    }

    #[test]
    fn a_range_digest_is_the_digest_of_that_slice() {
        let size = (2 << 20) + 5;
        let blob = RandomBlob::new(9, size);
        let all: Vec<u8> = blob.pieces(1 << 16).flat_map(|b| b.to_vec()).collect();
        let cases = [
            (0, 0),
            (0, 99),
            ((1 << 20) - 3, (1 << 20) + 3),
            (size - 500, size - 1),
            (5, size + 100),
        ];
        for (first, last) in cases {
            let end = (last.min(size - 1) + 1) as usize;
            let slice = &all[first as usize..end];
            assert_eq!(
                blob.range_digest(first, last),
                (slice.len() as u64, crate::digest::sha256_of(slice)),
                "{first}-{last}"
            );
        }
    }
}
