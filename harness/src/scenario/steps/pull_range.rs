//! `pull-range`: GETs of byte ranges of a pushed blob, as a client resuming
//! an interrupted pull (or a lazy-pulling snapshotter) asks. Each range must
//! come back 206 with the `Content-Range` the spec names and exactly those
//! bytes. A redirect to storage is followed with the header kept, so with
//! redirects on it is Blob storage that answers the range. It must not push
//! or change anything.

use serde::Deserialize;

use super::{LoadContext, StepAction, StepContext, StepError, StepKind};

/// GET each of `ranges` of `blob` (`"0-1023"`, `"1048576-"`, `"-500"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRange {
    pub blob: String,
    pub ranges: Vec<ByteRange>,
}

/// One `Range: bytes=` specification (RFC 9110 §14.1.2), single range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum ByteRange {
    /// `first-last`
    Span { first: u64, last: u64 },
    /// `first-`: to the end.
    From { first: u64 },
    /// `-len`: the last `len` bytes.
    Suffix { len: u64 },
}

impl TryFrom<String> for ByteRange {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let bad = || format!("range {text:?} is not first-last, first- or -length (bytes)");
        let number = |s: &str| s.parse::<u64>().map_err(|_| bad());
        let (first, last) = text.split_once('-').ok_or_else(bad)?;
        match (first.is_empty(), last.is_empty()) {
            (true, true) => Err(bad()),
            (true, false) => match number(last)? {
                0 => Err(format!("range {text:?} asks for no bytes")),
                len => Ok(ByteRange::Suffix { len }),
            },
            (false, true) => Ok(ByteRange::From {
                first: number(first)?,
            }),
            (false, false) => {
                let (first, last) = (number(first)?, number(last)?);
                if last < first {
                    return Err(format!("range {text:?} ends before it starts"));
                }
                Ok(ByteRange::Span { first, last })
            }
        }
    }
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ByteRange::Span { first, last } => write!(f, "{first}-{last}"),
            ByteRange::From { first } => write!(f, "{first}-"),
            ByteRange::Suffix { len } => write!(f, "-{len}"),
        }
    }
}

impl ByteRange {
    /// The first and last byte it selects of a blob of `size` bytes;
    /// `None` when it selects none (a server answers 416).
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        let end = size.checked_sub(1)?;
        match self {
            ByteRange::Span { first, last } => (first <= end).then(|| (first, last.min(end))),
            ByteRange::From { first } => (first <= end).then_some((first, end)),
            ByteRange::Suffix { len } => Some((size.saturating_sub(len), end)),
        }
    }
}

impl StepAction for PullRange {
    fn kind(&self) -> StepKind {
        StepKind::PullRange
    }

    fn validate(&self, cx: &mut LoadContext) -> Result<(), String> {
        if self.ranges.is_empty() {
            return Err("pull-range needs at least one range".into());
        }
        cx.known(&self.blob)
    }

    fn describe(&self) -> String {
        let ranges: Vec<String> = self.ranges.iter().map(ToString::to_string).collect();
        format!("pull ranges {} of blob {}", ranges.join(", "), self.blob)
    }

    async fn run(&self, cx: &mut StepContext<'_>) -> Result<String, StepError> {
        let pushed = cx.pushed.blob(&self.blob)?;
        let (digest, blob) = (pushed.digest.to_string(), pushed.blob.clone());
        let size = blob.size();
        let mut parts = Vec::new();
        let mut via = None;
        for range in &self.ranges {
            let Some((first, last)) = range.resolve(size) else {
                return Err(StepError::Harness(format!(
                    "range {range} selects nothing of blob {} ({size} bytes)",
                    self.blob
                )));
            };
            let read = cx
                .client()
                .read_blob_range(cx.repository(), &digest, &range.to_string())
                .await?;
            let what = format!("range {range} of blob {} ({size} bytes)", self.blob);
            if read.status != 206 {
                return Err(StepError::Unmet(format!(
                    "{what} answered {} with {} bytes: the range was not honoured",
                    read.status, read.bytes
                )));
            }
            let wanted_range = format!("bytes {first}-{last}/{size}");
            if read.content_range.as_deref() != Some(wanted_range.as_str()) {
                return Err(StepError::Unmet(format!(
                    "{what} answered 206 with Content-Range {}, expected {wanted_range}",
                    read.content_range.as_deref().unwrap_or("(none)")
                )));
            }
            let (count, wanted) = blob.range_digest(first, last);
            // A 206 names its own length (RFC 9110 §15.3.7); chunked is allowed.
            if let Some(length) = read.content_length.as_deref() {
                if length != count.to_string() {
                    return Err(StepError::Unmet(format!(
                        "{what} answered 206 with Content-Length {length}, the range holds {count} bytes"
                    )));
                }
            }
            if (read.bytes, read.digest.as_str()) != (count, wanted.as_str()) {
                return Err(StepError::Unmet(format!(
                    "{what} answered 206 with {} bytes hashing to {}, expected bytes {first}-{last}: {count} hashing to {wanted}",
                    read.bytes, read.digest
                )));
            }
            via = via.or(read.redirected_to);
            parts.push(format!("{range} -> 206 {wanted_range}"));
        }
        let via = via
            .map(|host| format!(" (via redirect to {host})"))
            .unwrap_or_default();
        Ok(format!(
            "pulled ranges of blob {}{via}, bytes verified: {}",
            self.blob,
            parts.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::ByteRange;

    fn parse(text: &str) -> Result<ByteRange, String> {
        ByteRange::try_from(text.to_string())
    }

    #[test]
    fn ranges_read_as_the_header_writes_them_and_resolve_against_a_size() {
        assert_eq!(parse("0-99"), Ok(ByteRange::Span { first: 0, last: 99 }));
        assert_eq!(parse("100-"), Ok(ByteRange::From { first: 100 }));
        assert_eq!(parse("-500"), Ok(ByteRange::Suffix { len: 500 }));
        for bad in ["", "-", "a-b", "5-2", "-0", "1-2-3", "bytes=0-1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse("-500").map(|r| r.to_string()), Ok("-500".to_string()));
        let size = 1000;
        let resolve = |t: &str| parse(t).ok().and_then(|r| r.resolve(size));
        assert_eq!(resolve("0-99"), Some((0, 99)));
        assert_eq!(resolve("900-5000"), Some((900, 999)));
        assert_eq!(resolve("999-"), Some((999, 999)));
        assert_eq!(resolve("1000-"), None);
        assert_eq!(resolve("-500"), Some((500, 999)));
        assert_eq!(resolve("-5000"), Some((0, 999)));
    }
}
