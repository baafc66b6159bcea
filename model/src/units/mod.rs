//! The one text grammar for byte sizes (`5MiB`, `64KB`, `4096`) and
//! durations (`250ms`, `90s`, `5m`, `1h`), shared by scenario files, the
//! bench's and soak's flags and the front door's fault rules, so a value
//! written for one is read the same by the others. It must not hold any
//! caller's extra rule (no zero, binary units only, ...): callers check
//! those on top and say so in their own words.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[cfg(test)]
mod tests;

/// A byte count. Text: ASCII digits, optional spaces, an optional unit:
/// `B`, `KiB`, `MiB`, `GiB` (any case; `k`, `m`, `g` are short for the
/// binary units) or `KB`, `MB`, `GB` (decimal, upper case only, so `kb`
/// cannot be read as either). Prints in the largest binary unit that keeps
/// it whole: `5MiB`, `1000B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ByteSize(pub u64);

/// Which unit a size was written in, for callers that take only some.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnit {
    Bytes,
    Binary,
    Decimal,
}

const BINARY: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];

impl ByteSize {
    pub fn bytes(self) -> u64 {
        self.0
    }

    /// Parses and says which kind of unit the text used.
    pub fn parse_with_unit(text: &str) -> Result<(ByteSize, SizeUnit), UnitError> {
        let invalid = || UnitError::new(UnitKind::Size, text);
        let (number, unit) = split_number(text).ok_or_else(invalid)?;
        let (factor, kind) = match unit {
            "KB" => (1_000, SizeUnit::Decimal),
            "MB" => (1_000_000, SizeUnit::Decimal),
            "GB" => (1_000_000_000, SizeUnit::Decimal),
            _ => match unit.to_ascii_lowercase().as_str() {
                "" | "b" => (1, SizeUnit::Bytes),
                "k" | "kib" => (1 << 10, SizeUnit::Binary),
                "m" | "mib" => (1 << 20, SizeUnit::Binary),
                "g" | "gib" => (1 << 30, SizeUnit::Binary),
                _ => return Err(invalid()),
            },
        };
        let bytes = number.checked_mul(factor).ok_or_else(invalid)?;
        Ok((ByteSize(bytes), kind))
    }
}

impl FromStr for ByteSize {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, UnitError> {
        ByteSize::parse_with_unit(text).map(|(size, _)| size)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (suffix, unit) in BINARY {
            // `checked_rem`, not `is_multiple_of`: the workspace declares Rust 1.85.
            if self.0 != 0 && self.0.checked_rem(unit) == Some(0) {
                return write!(f, "{}{suffix}", self.0 / unit);
            }
        }
        write!(f, "{}B", self.0)
    }
}

/// A span of time. Text: ASCII digits, optional spaces, then `ms`, `s`,
/// `m` or `h`. Prints in the largest unit that keeps it whole (`90s`,
/// `5m`); sub-millisecond parts, which the text cannot hold, are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub fn duration(self) -> Duration {
        self.0
    }
}

impl FromStr for HumanDuration {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, UnitError> {
        let invalid = || UnitError::new(UnitKind::Duration, text);
        let (number, unit) = split_number(text).ok_or_else(invalid)?;
        let unit_ms: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return Err(invalid()),
        };
        let millis = number.checked_mul(unit_ms).ok_or_else(invalid)?;
        Ok(HumanDuration(Duration::from_millis(millis)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        for (suffix, unit) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
            if ms != 0 && ms.checked_rem(unit) == Some(0) {
                return write!(f, "{}{suffix}", ms / unit);
            }
        }
        write!(f, "{ms}ms")
    }
}

/// Splits `  16 MiB ` into 16 and `MiB`. Digits only, so `+5` and `-1`
/// are refused rather than read by `u64::from_str`'s rules.
fn split_number(text: &str) -> Option<(u64, &str)> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    if digits.is_empty() {
        return None;
    }
    Some((digits.parse().ok()?, unit.trim_start()))
}

/// What kind of value a text failed to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    Size,
    Duration,
}

/// A size or duration that does not follow the grammar; says which text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitError {
    pub kind: UnitKind,
    pub text: String,
}

impl UnitError {
    fn new(kind: UnitKind, text: &str) -> Self {
        UnitError {
            kind,
            text: text.to_owned(),
        }
    }
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            UnitKind::Size => write!(
                f,
                "invalid size {:?}: use a byte count or a number with B, KiB, MiB, GiB, KB, MB or GB (`5MiB`)",
                self.text
            ),
            UnitKind::Duration => write!(
                f,
                "invalid duration {:?}: use a number with ms, s, m or h (`90s`)",
                self.text
            ),
        }
    }
}

impl std::error::Error for UnitError {}

mod serde_impls;
