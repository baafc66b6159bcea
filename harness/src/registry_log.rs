//! Reading the registry's own log lines (logrus text format) for evidence:
//! the message and the error detail a reader needs, without the request
//! ids, timings and dashed separators the Azure SDK writes into errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a log delivered later must stay unchanged to count as caught up.
const QUIET: Duration = Duration::from_millis(100);
/// The longest a reader waits for such a log.
const SETTLE_LIMIT: Duration = Duration::from_millis(1500);

fn delivered_later_logs() -> &'static Mutex<BTreeSet<PathBuf>> {
    static LOGS: OnceLock<Mutex<BTreeSet<PathBuf>>> = OnceLock::new();
    LOGS.get_or_init(Default::default)
}

/// Marks a log that reaches its file after the registry wrote it (a
/// container's, copied from the engine's log stream): readers `settle` it
/// first, or the line that explains a refusal may still be on its way.
pub fn delivered_later(path: &Path) {
    let mut logs = delivered_later_logs()
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    logs.insert(path.to_path_buf());
}

/// Waits until a log marked `delivered_later` has stopped growing for a
/// moment (bounded); returns at once for a log a process writes itself.
pub async fn settle(path: &Path) {
    let later = delivered_later_logs()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(path);
    if !later {
        return;
    }
    let started = Instant::now();
    let mut last = (file_len(path), Instant::now());
    while started.elapsed() < SETTLE_LIMIT {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let len = file_len(path);
        if len != last.0 {
            last = (len, Instant::now());
        } else if last.1.elapsed() >= QUIET {
            return;
        }
    }
}

/// The most telling part of one log line, on one line, at most `max` chars.
pub fn condense(line: &str, max: usize) -> String {
    let fields = ["msg", "err.detail", "error", "err.message"];
    let mut parts: Vec<String> = Vec::new();
    for field in fields {
        if let Some(value) = field_value(line, field) {
            let value = flatten(&value);
            if !value.is_empty() && !parts.iter().any(|p| p.contains(&value)) {
                parts.push(value);
            }
        }
    }
    let text = if parts.is_empty() {
        flatten(line)
    } else {
        parts.join(": ")
    };
    truncate(&text, max)
}

/// Both 2.8 and 3.x log why they refused a token at info level, just before
/// the generic `error authorizing context: invalid token`.
pub fn explains_token_refusal(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.contains("token")
        && !lower.contains("error authorizing context")
        && !lower.contains("response completed")
        && (lower.contains("level=info") || lower.contains("level=warn"))
}

/// The line that says most about a failure: a token refusal's reason when
/// there is one, else a Go panic's message, else the last line.
pub fn most_telling(lines: &[String]) -> Option<&String> {
    lines
        .iter()
        .rev()
        .find(|l| explains_token_refusal(l))
        // A Go panic's message, not the stack trace under it.
        .or_else(|| lines.iter().rev().find(|l| l.starts_with("panic:")))
        .or_else(|| lines.last())
}

/// Where the log ends now: read from here to see only what follows.
pub fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The registry's warning and error lines written since `offset`, or its
/// last lines when it logged none (at most 12).
pub fn lines_since(path: &Path, offset: u64) -> Vec<String> {
    let text = std::fs::read(path).unwrap_or_default();
    let start = (offset as usize).min(text.len());
    let fresh = String::from_utf8_lossy(&text[start..]);
    let lines: Vec<&str> = fresh.lines().collect();
    let important: Vec<String> = lines
        .iter()
        .filter(|l| {
            l.contains("level=error")
                || l.contains("level=warn")
                || l.contains("panic")
                || crate::registry_log::explains_token_refusal(l)
        })
        .map(|l| l.to_string())
        .collect();
    let chosen = if important.is_empty() {
        lines[lines.len().saturating_sub(5)..]
            .iter()
            .map(|l| l.to_string())
            .collect()
    } else {
        important
    };
    chosen.into_iter().rev().take(12).rev().collect()
}

/// A `key=value` or `key="quoted \"value\""` field of a logrus text line.
fn field_value(line: &str, key: &str) -> Option<String> {
    let needle = format!(" {key}=");
    let start = line
        .find(&needle)
        .map(|i| i + needle.len())
        .or_else(|| line.strip_prefix(&format!("{key}=")).map(|_| key.len() + 1))?;
    let rest = &line[start..];
    if let Some(quoted) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push(' '),
                    Some(other) => out.push(other),
                    None => break,
                },
                // 2.8's logrus does not escape quotes inside a value, so a
                // quote only closes it when the line or the next field follows.
                '"' if closes_value(&quoted[i + 1..]) => return Some(out),
                c => out.push(c),
            }
        }
        Some(out)
    } else {
        Some(
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    }
}

fn closes_value(after: &str) -> bool {
    let after = after.trim_end();
    if after.is_empty() {
        return true;
    }
    let Some(next) = after.strip_prefix(' ') else {
        return false;
    };
    let key: String = next
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
        .collect();
    !key.is_empty() && next[key.len()..].starts_with('=')
}

/// One line: separators and blank lines dropped, the rest joined with ` | `.
fn flatten(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.chars().all(|c| c == '-' || c == '='))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_message_tells_more_than_the_stack_under_it() {
        let lines: Vec<String> = [
            "panic: invalid credentials type: \"\"",
            "goroutine 1 [running]:",
            "\t/root/go/pkg/mod/x/cmd/registry/main.go:26 +0x1a",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(most_telling(&lines), Some(&lines[0]));
        let plain = vec!["a".to_string(), "b".to_string()];
        assert_eq!(most_telling(&plain), Some(&plain[1]));
    }

    #[test]
    fn keeps_message_and_detail_without_separators() {
        let line = r#"time="2026-11-28T13:40:42Z" level=error msg="response completed with error" err.code=unknown err.detail="azure: failed to get blob properties: HEAD https://a.blob.core.windows.net/x\n-----\nRESPONSE 400: 400 Bad format\nERROR CODE: InvalidAuthenticationInfo\n-----\n" err.message="unknown error" http.request.id=1"#;
        assert_eq!(
            condense(line, 500),
            "response completed with error: azure: failed to get blob properties: HEAD https://a.blob.core.windows.net/x | RESPONSE 400: 400 Bad format | ERROR CODE: InvalidAuthenticationInfo: unknown error"
        );
    }

    #[test]
    fn unescaped_quotes_of_2_8_stay_in_the_value() {
        let line =
            r#"time="t" level=info msg="token signed by untrusted key with ID: "ABCD:EFGH"" "#;
        assert_eq!(
            condense(line, 200),
            r#"token signed by untrusted key with ID: "ABCD:EFGH""#
        );
        let escaped =
            r#"level=info msg="failed to verify token: untrusted key \"K\"" go.version=go1"#;
        assert_eq!(
            condense(escaped, 200),
            r#"failed to verify token: untrusted key "K""#
        );
    }

    #[test]
    fn plain_lines_and_truncation() {
        assert_eq!(condense("panic: boom", 100), "panic: boom");
        assert_eq!(condense("abcdef", 4), "abc…");
        assert_eq!(condense(r#"level=info msg=started"#, 100), "started");
    }
}
