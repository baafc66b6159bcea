//! The text form of fault rules, for scenario files and command lines, and
//! its inverse: every rule the text can express prints back to text that
//! parses to an equal rule. The grammar is in the `fault` module docs.
//! Parsing never panics; every error names the token it stopped at.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use hyper::{Method, StatusCode};
use regmatrix_model::units::{ByteSize, HumanDuration};

use super::action::{AckLost, Bandwidth, BodyDirection, FaultAction, Latency};
use super::azure_error::AzureError;
use super::op::BlobOp;
use super::schedule::Schedule;
use super::FaultRule;
use crate::front_door::routing::HostPattern;

/// Why a rule's text was rejected, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fault rule: `{token}`: {kind}")]
pub struct FaultParseError {
    /// The offending token (a whole `key=value` field, or the part of its
    /// value that failed); the whole rule when a field is missing.
    pub token: String,
    pub kind: FaultParseErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultParseErrorKind {
    #[error("expected key=value, e.g. `action=status:503`")]
    NotKeyValue,
    #[error("unknown key; keys are name, host, method, path, op, action, schedule")]
    UnknownKey,
    #[error("this key was already given; give each key once")]
    DuplicateKey,
    #[error("the rule has no `{0}=`; every rule needs host= and action=")]
    Missing(&'static str),
    #[error("invalid host pattern: {0}")]
    InvalidHost(String),
    #[error("not an HTTP method (GET, PUT, ...)")]
    InvalidMethod,
    #[error("a path prefix starts with `/` and has no query")]
    InvalidPath,
    #[error(
        "unknown Blob operation; operations are put-blob, create-append-blob, append-block, \
         put-block, put-block-list, copy-blob, get-blob, get-blob-properties, delete-blob, \
         get-block-list, list-blobs, create-container, delete-container, joined with `|`"
    )]
    UnknownOp,
    #[error(
        "unknown action; actions are reset, stall, blackhole, status:N[,code:C][,retry-after:D], \
         latency:D[..D], bandwidth:RATE, bandwidth-up:RATE, reset-mid-body:SIZE, truncate:SIZE, \
         ack-lost:status:N[,code:C][,retry-after:D], ack-lost:reset"
    )]
    UnknownAction,
    #[error(
        "ack-lost needs the answer the client gets instead of the target's: \
         ack-lost:status:N[,code:C][,retry-after:D] or ack-lost:reset"
    )]
    InvalidAckLost,
    #[error("expected a whole number with a unit: ms, s, m or h (200ms, 5s, 2m)")]
    InvalidDuration,
    #[error(
        "expected a whole number of bytes with an optional unit: B, KiB, MiB, GiB, KB, MB, GB"
    )]
    InvalidSize,
    #[error("expected a size per second above zero (1MiB/s, 500KB/s)")]
    InvalidRate,
    #[error("expected an HTTP error status from 400 to 599")]
    InvalidStatus,
    #[error("status {0} has no default Azure error code; add `,code:ErrorCode`")]
    NoDefaultCode(u16),
    #[error("an Azure error code is ASCII letters and digits (OperationTimedOut)")]
    InvalidCode,
    #[error("unknown status option; options are code:C and retry-after:D")]
    UnknownStatusOption,
    #[error("the minimum latency is above the maximum")]
    LatencyRange,
    #[error("expected a probability from 0 to 1 (0.1)")]
    InvalidProbability,
    #[error("expected a whole number (every: above zero)")]
    InvalidCount,
    #[error("`seed:` must follow a `prob:` term")]
    SeedWithoutProbability,
    #[error(
        "unknown schedule term; terms are always, first:N, every:K, prob:P[,seed:S], \
         window:START+LENGTH, joined with `,`"
    )]
    UnknownSchedule,
}

fn error(token: &str, kind: FaultParseErrorKind) -> FaultParseError {
    FaultParseError {
        token: token.to_owned(),
        kind,
    }
}

use FaultParseErrorKind as Kind;

impl FromStr for FaultRule {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, FaultParseError> {
        let mut fields = Fields::default();
        for token in text.split_whitespace() {
            let (key, value) = token
                .split_once('=')
                .ok_or_else(|| error(token, Kind::NotKeyValue))?;
            let slot = match key {
                "name" => &mut fields.name,
                "host" => &mut fields.host,
                "method" => &mut fields.method,
                "path" => &mut fields.path,
                "op" => &mut fields.op,
                "action" => &mut fields.action,
                "schedule" => &mut fields.schedule,
                _ => return Err(error(token, Kind::UnknownKey)),
            };
            if slot.replace(Field { token, value }).is_some() {
                return Err(error(token, Kind::DuplicateKey));
            }
        }
        let host_field = fields
            .host
            .ok_or_else(|| error(text.trim(), Kind::Missing("host")))?;
        let action_field = fields
            .action
            .ok_or_else(|| error(text.trim(), Kind::Missing("action")))?;
        let host = host_field.parse(|value| {
            HostPattern::parse(value)
                .map_err(|reason| error(value, Kind::InvalidHost(reason.to_string())))
        })?;
        let method = fields
            .method
            .map(|field| {
                field.parse(|value| {
                    Method::from_bytes(value.as_bytes())
                        .map_err(|_| error(value, Kind::InvalidMethod))
                })
            })
            .transpose()?;
        let path_prefix = fields
            .path
            .map(|field| {
                field.parse(|value| {
                    if value.starts_with('/') && !value.contains('?') {
                        Ok(value.to_owned())
                    } else {
                        Err(error(value, Kind::InvalidPath))
                    }
                })
            })
            .transpose()?;
        let ops = fields
            .op
            .map(|field| field.parse(parse_ops))
            .transpose()?
            .unwrap_or_default();
        let action = action_field.parse(str::parse::<FaultAction>)?;
        let schedule = fields
            .schedule
            .map(|field| field.parse(str::parse::<Schedule>))
            .transpose()?
            .unwrap_or_default();
        let action_text = action_field.value;
        Ok(FaultRule {
            // An unnamed rule is named after what it does.
            name: fields
                .name
                .map_or(action_text, |field| field.value)
                .to_owned(),
            host,
            method,
            path_prefix,
            ops,
            action,
            schedule,
        })
    }
}

#[derive(Default)]
struct Fields<'a> {
    name: Option<Field<'a>>,
    host: Option<Field<'a>>,
    method: Option<Field<'a>>,
    path: Option<Field<'a>>,
    op: Option<Field<'a>>,
    action: Option<Field<'a>>,
    schedule: Option<Field<'a>>,
}

/// One `key=value` token and its value.
#[derive(Clone, Copy)]
struct Field<'a> {
    token: &'a str,
    value: &'a str,
}

impl<'a> Field<'a> {
    /// Parses the value; an error about an empty piece of it (`host=`,
    /// `status:503,,`) names the whole field instead, so every error points
    /// at something visible in the rule.
    fn parse<T>(
        self,
        parse: impl FnOnce(&'a str) -> Result<T, FaultParseError>,
    ) -> Result<T, FaultParseError> {
        parse(self.value).map_err(|mut error| {
            if error.token.is_empty() {
                error.token = self.token.to_owned();
            }
            error
        })
    }
}

/// `put-blob`, `append-block|put-block|put-block-list`.
fn parse_ops(text: &str) -> Result<Vec<BlobOp>, FaultParseError> {
    text.split('|')
        .map(|name| name.parse().map_err(|_| error(name, Kind::UnknownOp)))
        .collect()
}

impl FromStr for FaultAction {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, FaultParseError> {
        parse_action(text)
    }
}

/// An action's argument, which must be there and not be empty.
fn required<'a>(
    text: &str,
    argument: Option<&'a str>,
    invalid: FaultParseErrorKind,
) -> Result<&'a str, FaultParseError> {
    argument
        .filter(|argument| !argument.is_empty())
        .ok_or_else(|| error(text, invalid))
}

fn parse_action<'a>(text: &'a str) -> Result<FaultAction, FaultParseError> {
    {
        let (kind, argument) = match text.split_once(':') {
            Some((kind, argument)) => (kind, Some(argument)),
            None => (text, None),
        };
        let needs = |argument: Option<&'a str>, invalid| required(text, argument, invalid);
        let bandwidth = |direction, argument| -> Result<FaultAction, FaultParseError> {
            Ok(FaultAction::Bandwidth(Bandwidth {
                direction,
                bytes_per_second: parse_rate(needs(argument, Kind::InvalidRate)?)?,
            }))
        };
        match (kind, argument) {
            ("reset", None) => Ok(FaultAction::Reset),
            ("stall", None) => Ok(FaultAction::Stall),
            ("blackhole", None) => Ok(FaultAction::Blackhole),
            ("status", argument) => {
                parse_status(needs(argument, Kind::InvalidStatus)?).map(FaultAction::AzureError)
            }
            ("latency", argument) => {
                parse_latency(needs(argument, Kind::InvalidDuration)?).map(FaultAction::Latency)
            }
            ("bandwidth", argument) => bandwidth(BodyDirection::Response, argument),
            ("bandwidth-up", argument) => bandwidth(BodyDirection::Request, argument),
            ("reset-mid-body", argument) => Ok(FaultAction::ResetMidBody {
                after: parse_size(needs(argument, Kind::InvalidSize)?)?,
            }),
            ("truncate", argument) => Ok(FaultAction::Truncate {
                after: parse_size(needs(argument, Kind::InvalidSize)?)?,
            }),
            ("ack-lost", argument) => {
                parse_ack_lost(needs(argument, Kind::InvalidAckLost)?).map(FaultAction::AckLost)
            }
            _ => Err(error(text, Kind::UnknownAction)),
        }
    }
}

/// `status:500,code:OperationTimedOut`, `status:503`, `reset`: what the
/// client of an `ack-lost:` request gets.
fn parse_ack_lost(text: &str) -> Result<AckLost, FaultParseError> {
    match text.split_once(':') {
        None if text == "reset" => Ok(AckLost::Reset),
        Some(("status", status)) => {
            parse_status(required(text, Some(status), Kind::InvalidStatus)?)
                .map(AckLost::AzureError)
        }
        _ => Err(error(text, Kind::InvalidAckLost)),
    }
}

/// `503`, `500,code:OperationTimedOut`, `429,retry-after:2s`.
fn parse_status(text: &str) -> Result<AzureError, FaultParseError> {
    let mut parts = text.split(',');
    let status_text = parts.next().unwrap_or_default();
    let status = status_text
        .parse::<u16>()
        .ok()
        .filter(|code| (400..=599).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| error(status_text, Kind::InvalidStatus))?;
    let mut code = None;
    let mut retry_after = None;
    for option in parts {
        match option.split_once(':') {
            Some(("code", value)) => {
                if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
                    return Err(error(option, Kind::InvalidCode));
                }
                code = Some(value.to_owned());
            }
            Some(("retry-after", value)) => retry_after = Some(parse_duration(value)?),
            _ => return Err(error(option, Kind::UnknownStatusOption)),
        }
    }
    let code = match code {
        Some(code) => code,
        None => AzureError::default_code(status)
            .ok_or_else(|| error(status_text, Kind::NoDefaultCode(status.as_u16())))?
            .to_owned(),
    };
    Ok(AzureError {
        status,
        code,
        retry_after,
    })
}

/// `200ms` or `100ms..300ms`.
fn parse_latency(text: &str) -> Result<Latency, FaultParseError> {
    match text.split_once("..") {
        None => Ok(Latency::fixed(parse_duration(text)?)),
        Some((min, max)) => Latency::jittered(parse_duration(min)?, parse_duration(max)?)
            .ok_or_else(|| error(text, Kind::LatencyRange)),
    }
}

impl FromStr for Schedule {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, FaultParseError> {
        let mut terms: Vec<Schedule> = Vec::new();
        for term in text.split(',') {
            let (kind, value) = term.split_once(':').unwrap_or((term, ""));
            let count = |value: &str, minimum: u64| {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n >= minimum)
                    .ok_or_else(|| error(term, Kind::InvalidCount))
            };
            let next = match kind {
                "always" if value.is_empty() && term == "always" => Schedule::Always,
                "first" => Schedule::First(count(value, 0)?),
                "every" => Schedule::Every(count(value, 1)?),
                "prob" => Schedule::Probability {
                    p: value
                        .parse::<f64>()
                        .ok()
                        .filter(|p| (0.0..=1.0).contains(p))
                        .ok_or_else(|| error(term, Kind::InvalidProbability))?,
                    // Without a seed one is drawn here; it is part of the
                    // rule from now on, so reports can print it.
                    seed: rand::random(),
                },
                "seed" => {
                    let seed = value
                        .parse::<u64>()
                        .map_err(|_| error(term, Kind::InvalidCount))?;
                    match terms.last_mut() {
                        Some(Schedule::Probability { seed: slot, .. }) => *slot = seed,
                        _ => return Err(error(term, Kind::SeedWithoutProbability)),
                    }
                    continue;
                }
                "window" => {
                    let (start, length) = value
                        .split_once('+')
                        .ok_or_else(|| error(term, Kind::UnknownSchedule))?;
                    Schedule::Window {
                        start: parse_duration(start)?,
                        length: parse_duration(length)?,
                    }
                }
                _ => return Err(error(term, Kind::UnknownSchedule)),
            };
            terms.push(next);
        }
        Ok(terms
            .into_iter()
            .fold(Schedule::Always, |schedule, term| schedule.and(term)))
    }
}

/// `200ms`, `5s`, `2m`, `1h`: the shared grammar, whole milliseconds, so
/// printing is exact.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, FaultParseError> {
    text.parse::<HumanDuration>()
        .map(|duration| duration.0)
        .map_err(|_| error(text, Kind::InvalidDuration))
}

/// `65536`, `64KiB`, `1MB`: the shared grammar.
pub(crate) fn parse_size(text: &str) -> Result<u64, FaultParseError> {
    text.parse::<ByteSize>()
        .map(|size| size.0)
        .map_err(|_| error(text, Kind::InvalidSize))
}

/// `1MiB/s`.
fn parse_rate(text: &str) -> Result<u64, FaultParseError> {
    let invalid = || error(text, Kind::InvalidRate);
    let size = text.strip_suffix("/s").ok_or_else(invalid)?;
    parse_size(size)
        .ok()
        .filter(|rate| *rate > 0)
        .ok_or_else(invalid)
}

/// Prints durations as the shared grammar does: the largest whole unit.
pub(crate) struct DurationText(pub Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        HumanDuration(self.0).fmt(f)
    }
}

/// Prints sizes as the shared grammar does: the largest whole binary unit.
pub(crate) struct SizeText(pub u64);

impl fmt::Display for SizeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ByteSize(self.0).fmt(f)
    }
}

impl fmt::Display for FaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Not parseable: canned bodies are set through the API.
            Self::Respond(canned) => write!(f, "canned:{}", canned.status.as_u16()),
            Self::Reset => f.write_str("reset"),
            Self::Stall => f.write_str("stall"),
            Self::Blackhole => f.write_str("blackhole"),
            Self::AzureError(azure) => write_status(f, azure),
            Self::AckLost(AckLost::AzureError(azure)) => {
                f.write_str("ack-lost:")?;
                write_status(f, azure)
            }
            Self::AckLost(AckLost::Reset) => f.write_str("ack-lost:reset"),
            Self::Latency(Latency { min, max }) if min == max => {
                write!(f, "latency:{}", DurationText(*min))
            }
            Self::Latency(Latency { min, max }) => {
                write!(f, "latency:{}..{}", DurationText(*min), DurationText(*max))
            }
            Self::Bandwidth(bandwidth) => write!(
                f,
                "{}:{}/s",
                self.kind(),
                SizeText(bandwidth.bytes_per_second)
            ),
            Self::ResetMidBody { after } => write!(f, "reset-mid-body:{}", SizeText(*after)),
            Self::Truncate { after } => write!(f, "truncate:{}", SizeText(*after)),
        }
    }
}

/// `status:N`, then `,code:C` unless it is the status's default, then
/// `,retry-after:D`.
fn write_status(f: &mut fmt::Formatter<'_>, azure: &AzureError) -> fmt::Result {
    write!(f, "status:{}", azure.status.as_u16())?;
    if AzureError::default_code(azure.status) != Some(azure.code.as_str()) {
        write!(f, ",code:{}", azure.code)?;
    }
    if let Some(retry_after) = azure.retry_after {
        write!(f, ",retry-after:{}", DurationText(retry_after))?;
    }
    Ok(())
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Always => f.write_str("always"),
            Self::First(n) => write!(f, "first:{n}"),
            Self::Every(k) => write!(f, "every:{k}"),
            Self::Probability { p, seed } => write!(f, "prob:{p},seed:{seed}"),
            Self::Window { start, length } => write!(
                f,
                "window:{}+{}",
                DurationText(*start),
                DurationText(*length)
            ),
            Self::All(terms) if terms.is_empty() => f.write_str("always"),
            Self::All(terms) => {
                for (index, term) in terms.iter().enumerate() {
                    if index > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{term}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Whitespace separates fields, so a name cannot carry it.
        let name: String = self
            .name
            .chars()
            .map(|c| if c.is_whitespace() { '-' } else { c })
            .collect();
        write!(f, "name={name} host={}", self.host)?;
        if let Some(method) = &self.method {
            write!(f, " method={method}")?;
        }
        if let Some(path) = &self.path_prefix {
            write!(f, " path={path}")?;
        }
        for (index, op) in self.ops.iter().enumerate() {
            f.write_str(if index == 0 { " op=" } else { "|" })?;
            write!(f, "{op}")?;
        }
        write!(f, " action={}", self.action)?;
        if self.schedule != Schedule::Always {
            write!(f, " schedule={}", self.schedule)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
