//! The bench report as Markdown (for the closing note and PR comments) and
//! as a self-contained HTML page with SVG charts. Both are built from the
//! same grids, so they cannot disagree; this module only reads the report.

use super::plan::{format_size, UploadMode};
use super::report::{BenchClient, BenchPath, BenchReport, BenchRow, Direction, RowStatus};
use crate::report::html::{bar_chart_svg, escape};

mod grids;

use grids::{grids, measured};

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    path: std::path::PathBuf,
    source: std::io::Error,
}

/// Writes bench.json, bench.md and bench.html into `dir`.
pub fn write_all(
    report: &BenchReport,
    dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, WriteError> {
    let fail = |path: &std::path::Path, source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    let json = serde_json::to_string_pretty(report).unwrap_or_default() + "\n";
    let mut written = Vec::new();
    for (name, text) in [
        ("bench.json", json),
        ("bench.md", markdown(report)),
        ("bench.html", html(report)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| fail(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

pub fn markdown(report: &BenchReport) -> String {
    let mut out = format!(
        "# regmatrix bench, {}\n\n{}\n",
        report.generated_at,
        summary(report)
    );
    for grid in grids(report) {
        out.push_str(&format!("\n## {}\n\n", grid.title));
        if !grid.note.is_empty() {
            out.push_str(&format!("{}\n\n", grid.note));
        }
        out.push_str(&format!("| {} |\n", grid.headers.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(grid.headers.len())));
        for row in &grid.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
    }
    let unmeasured = unmeasured_notes(report);
    if !unmeasured.is_empty() {
        out.push_str("\n## Not measured\n\n");
        for line in unmeasured {
            out.push_str(&format!("- {line}\n"));
        }
    }
    out
}

pub fn html(report: &BenchReport) -> String {
    let mut body = format!(
        "<header><h1>regmatrix bench</h1><p>{}</p><p>{}</p></header>\n<main>\n",
        escape(&report.generated_at),
        escape(&summary(report))
    );
    body.push_str("<section class=\"charts\"><h2>Throughput by size</h2>\n");
    for (title, series) in charts(report) {
        body.push_str(&bar_chart_svg(&title, "MB/s", &series));
        body.push('\n');
    }
    body.push_str("</section>\n");
    for grid in grids(report) {
        body.push_str(&format!("<section><h2>{}</h2>\n", escape(&grid.title)));
        if !grid.note.is_empty() {
            body.push_str(&format!("<p>{}</p>\n", escape(&grid.note)));
        }
        body.push_str("<table><thead><tr>");
        for header in &grid.headers {
            body.push_str(&format!("<th>{}</th>", escape(header)));
        }
        body.push_str("</tr></thead><tbody>\n");
        for row in &grid.rows {
            body.push_str("<tr>");
            for cell in row {
                body.push_str(&format!("<td>{}</td>", escape(cell)));
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</tbody></table></section>\n");
    }
    let unmeasured = unmeasured_notes(report);
    if !unmeasured.is_empty() {
        body.push_str("<section><h2>Not measured</h2><ul>\n");
        for line in unmeasured {
            body.push_str(&format!("<li>{}</li>\n", escape(&line)));
        }
        body.push_str("</ul></section>\n");
    }
    body.push_str("</main>\n");
    crate::report::html::page(
        &format!("regmatrix bench, {}", report.generated_at),
        BENCH_STYLE,
        &body,
        None,
    )
}

fn summary(report: &BenchReport) -> String {
    let plan = &report.plan;
    let list = |items: Vec<String>| items.join(", ");
    format!(
        "{} CPUs, Azurite {}. Sizes {}; modes {}; concurrency {}; rows with more than {} in flight skipped. \
         Wall {:.0} s; harness CPU {:.1} s, peak RSS {:.0} MiB. MB/s are 10^6 bytes per second of a phase's wall time; \
         latencies are per operation (nearest-rank percentiles).",
        report.host.cpus,
        report.host.azurite,
        list(plan.sizes.iter().map(|s| format_size(*s)).collect()),
        list(plan.modes.iter().map(UploadMode::to_string).collect()),
        list(plan.concurrency.iter().map(usize::to_string).collect()),
        format_size(plan.max_inflight),
        report.wall_s,
        report.harness_cpu_s,
        report.harness_peak_rss_mib,
    )
}

/// One line per (status, version, path, client, note) that was not
/// measured, naming the rows it covers: a version that cannot run a path
/// says so once, not once per row.
fn unmeasured_notes(report: &BenchReport) -> Vec<String> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for row in report
        .rows
        .iter()
        .filter(|r| r.status != RowStatus::Measured)
    {
        let status = match row.status {
            RowStatus::Skipped => "skipped",
            RowStatus::Unsupported => "unsupported",
            RowStatus::Failed => "failed",
            RowStatus::Measured => continue,
        };
        let (head, shape) = if row.status == RowStatus::Skipped {
            (
                format!("{status} ({})", row.note),
                format!("{} {}", format_size(row.size), row.mode),
            )
        } else {
            (
                format!(
                    "{status}: {} {}, {}: {}",
                    row.version.as_deref().unwrap_or("limit"),
                    row.path.label(),
                    row.client.name(),
                    without_queries(&row.note)
                ),
                format!(
                    "{} {} x{}",
                    format_size(row.size),
                    row.mode,
                    row.concurrency
                ),
            )
        };
        match groups.iter_mut().find(|(h, _)| *h == head) {
            Some((_, shapes)) => {
                if !shapes.contains(&shape) {
                    shapes.push(shape);
                }
            }
            None => groups.push((head, vec![shape])),
        }
    }
    groups
        .into_iter()
        .map(|(head, shapes)| format!("{head} [{}]", shapes.join(", ")))
        .collect()
}

/// A note with every URL's query cut (upload `_state` tokens and digests
/// are long and say nothing to a reader).
fn without_queries(note: &str) -> String {
    note.split(' ')
        .map(|word| match word.find('?') {
            Some(at) if word.starts_with('/') || word.starts_with("http") => &word[..at],
            _ => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Charts: per direction, the shared-key path by size and version, and per
/// version every path by size (monolithic, one at a time).
fn charts(report: &BenchReport) -> Vec<(String, Vec<(String, f64)>)> {
    let mut charts = Vec::new();
    let one_at_a_time = |r: &BenchRow, size: u64| {
        r.mode == UploadMode::Monolithic && r.concurrency == 1 && r.size == size
    };
    for direction in [Direction::Push, Direction::Pull] {
        let value = |r: &BenchRow| match direction {
            Direction::Push => r.push_mb_per_s(),
            Direction::Pull => r.pull_mb_per_s(),
        };
        let name = match direction {
            Direction::Push => "push",
            Direction::Pull => "pull",
        };
        let mut series = Vec::new();
        for &size in &report.plan.sizes {
            for limit in measured(report, BenchPath::AzureDirect, BenchClient::AzureSdk, None)
                .into_iter()
                .filter(|r| one_at_a_time(r, size))
            {
                series.push((
                    format!("{} · Azurite direct", format_size(size)),
                    value(limit),
                ));
            }
            for version in &report.versions {
                for row in measured(
                    report,
                    BenchPath::RegistryAzureSharedKey,
                    BenchClient::Regmatrix,
                    Some(&version.tag),
                )
                .into_iter()
                .filter(|r| one_at_a_time(r, size))
                {
                    series.push((
                        format!("{} · {}", format_size(size), version.tag),
                        value(row),
                    ));
                }
            }
        }
        charts.push((
            format!(
                "{name} MB/s by size and version (Azure, shared key, monolithic, one at a time)"
            ),
            series,
        ));
        for version in &report.versions {
            let mut series = Vec::new();
            for &size in &report.plan.sizes {
                for (path, client) in [
                    (BenchPath::RegistryAzureSharedKey, BenchClient::Regmatrix),
                    (BenchPath::RegistryAzureOauth, BenchClient::Regmatrix),
                    (BenchPath::RegistryFilesystem, BenchClient::Regmatrix),
                    (BenchPath::RegistryAzureSharedKey, BenchClient::Oras),
                    (BenchPath::RegistryAzureSharedKey, BenchClient::Crane),
                ] {
                    for row in measured(report, path, client, Some(&version.tag))
                        .into_iter()
                        .filter(|r| one_at_a_time(r, size))
                    {
                        let who = match client {
                            BenchClient::Regmatrix => {
                                path.label().trim_start_matches("registry, ").to_string()
                            }
                            other => other.name().to_string(),
                        };
                        series.push((format!("{} · {who}", format_size(size)), value(row)));
                    }
                }
            }
            charts.push((
                format!(
                    "{}: {name} MB/s by size and path (monolithic, one at a time)",
                    version.tag
                ),
                series,
            ));
        }
    }
    charts.retain(|(_, series)| !series.is_empty());
    charts
}

const BENCH_STYLE: &str = r##"
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1c1c1e;background:#f6f6f8}
header,main{padding:12px 20px}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:18px 0 6px}
table{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d9d9de;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
.chart{display:block;margin:10px 0;background:#fff;border:1px solid #d9d9de}
.chart text{font-size:12px;fill:#1c1c1e}.chart .chart-title{font-weight:600}
.chart rect{fill:#3b6fb6}
"##;

#[cfg(test)]
mod tests;
