//! The bench report as Markdown (for the closing note and PR comments) and
//! as a self-contained HTML page with SVG charts. Both are built from the
//! same grids, so they cannot disagree; this module only reads the report.

use super::plan::{format_size, UploadMode};
use super::report::{
    BenchClient, BenchPath, BenchReport, BenchRow, Comparison, Direction, RowStatus,
};
use crate::report::html::{bar_chart_svg, escape};

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

/// A table: headers and rows of already formatted cells.
pub struct Grid {
    pub title: String,
    pub note: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
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

fn rate(v: f64) -> String {
    if v <= 0.0 {
        "-".into()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn times(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.2}x"))
}

fn latency(row: &BenchRow, direction: Direction) -> String {
    let phase = match direction {
        Direction::Push => &row.push,
        Direction::Pull => &row.pull,
    };
    phase.as_ref().map_or("-".into(), |p| {
        format!("{:.0} / {:.0}", p.figures.p50_ms, p.figures.p99_ms)
    })
}

fn grids(report: &BenchReport) -> Vec<Grid> {
    let mut grids = Vec::new();
    if !report.loopback_tcp.is_empty() {
        grids.push(Grid {
            title: "Limit: loopback TCP".into(),
            note: "Raw loopback TCP, one connection per stream: the ceiling of every hop.".into(),
            headers: vec!["streams".into(), "MB/s".into()],
            rows: report
                .loopback_tcp
                .iter()
                .map(|l| vec![l.concurrency.to_string(), rate(l.mb_per_s)])
                .collect(),
        });
    }
    let limit: Vec<&BenchRow> =
        measured(report, BenchPath::AzureDirect, BenchClient::AzureSdk, None);
    if !limit.is_empty() {
        grids.push(Grid {
            title: "Limit: Azurite direct".into(),
            note: "The same bytes written straight to Azurite with the Azure SDK (put block per chunk, one block for monolithic, then put block list) and read back, verified.".into(),
            headers: phase_headers(),
            rows: limit.iter().map(|r| phase_cells(r)).collect(),
        });
    }
    for version in &report.versions {
        let tag = version.tag.as_str();
        let comparisons: Vec<&Comparison> = report
            .comparisons
            .iter()
            .filter(|c| c.version == tag)
            .collect();
        if !comparisons.is_empty() {
            grids.push(registry_grid(report, tag, &comparisons));
        }
        if let Some(grid) = peer_grid(report, tag) {
            grids.push(grid);
        }
        if let Some(grid) = cpu_grid(report, tag) {
            grids.push(grid);
        }
    }
    grids
}

fn phase_headers() -> Vec<String> {
    [
        "size",
        "mode",
        "at once",
        "ops",
        "push MB/s",
        "push p50 / p99 ms",
        "pull MB/s",
        "pull p50 / p99 ms",
    ]
    .map(String::from)
    .to_vec()
}

fn phase_cells(row: &BenchRow) -> Vec<String> {
    vec![
        format_size(row.size),
        row.mode.to_string(),
        row.concurrency.to_string(),
        row.ops.to_string(),
        rate(row.push_mb_per_s()),
        latency(row, Direction::Push),
        rate(row.pull_mb_per_s()),
        latency(row, Direction::Pull),
    ]
}

fn measured<'a>(
    report: &'a BenchReport,
    path: BenchPath,
    client: BenchClient,
    version: Option<&str>,
) -> Vec<&'a BenchRow> {
    report
        .rows
        .iter()
        .filter(|r| {
            r.status == RowStatus::Measured
                && r.path == path
                && r.client == client
                && r.version.as_deref() == version
        })
        .collect()
}

fn registry_grid(report: &BenchReport, tag: &str, comparisons: &[&Comparison]) -> Grid {
    let shared_key = measured(
        report,
        BenchPath::RegistryAzureSharedKey,
        BenchClient::Regmatrix,
        Some(tag),
    );
    let mut rows = Vec::new();
    for row in shared_key {
        let find = |direction| {
            comparisons.iter().find(|c| {
                c.direction == direction
                    && c.size == row.size
                    && c.mode == row.mode
                    && c.concurrency == row.concurrency
            })
        };
        let (Some(push), Some(pull)) = (find(Direction::Push), find(Direction::Pull)) else {
            continue;
        };
        rows.push(vec![
            format_size(row.size),
            row.mode.to_string(),
            row.concurrency.to_string(),
            rate(push.registry_mb_per_s),
            latency(row, Direction::Push),
            times(push.fraction_of_limit),
            times(push.azure_vs_filesystem),
            times(push.oauth_vs_shared_key),
            rate(pull.registry_mb_per_s),
            latency(row, Direction::Pull),
            times(pull.fraction_of_limit),
            times(pull.azure_vs_filesystem),
            times(pull.oauth_vs_shared_key),
        ]);
    }
    Grid {
        title: format!("{tag}: registry on Azure (shared key), harness client"),
        note: "of limit = registry / Azurite direct (same bytes, chunking and concurrency); vs fs = Azure driver / filesystem driver of the same binary; OAuth = Entra ID token (client secret) / shared key.".into(),
        headers: [
            "size", "mode", "at once", "push MB/s", "push p50 / p99 ms", "push of limit", "push vs fs", "push OAuth",
            "pull MB/s", "pull p50 / p99 ms", "pull of limit", "pull vs fs", "pull OAuth",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

fn peer_grid(report: &BenchReport, tag: &str) -> Option<Grid> {
    let oras = measured(
        report,
        BenchPath::RegistryAzureSharedKey,
        BenchClient::Oras,
        Some(tag),
    );
    let crane = measured(
        report,
        BenchPath::RegistryAzureSharedKey,
        BenchClient::Crane,
        Some(tag),
    );
    if oras.is_empty() && crane.is_empty() {
        return None;
    }
    let ours = measured(
        report,
        BenchPath::RegistryAzureSharedKey,
        BenchClient::Regmatrix,
        Some(tag),
    );
    let mut rows = Vec::new();
    for row in ours.iter().filter(|r| r.mode == UploadMode::Monolithic) {
        let same = |rows: &[&BenchRow]| {
            rows.iter()
                .find(|p| p.size == row.size && p.concurrency == row.concurrency)
                .map(|p| {
                    (
                        p.push_mb_per_s(),
                        p.pull_mb_per_s(),
                        p.push.as_ref().map_or(0.0, |x| x.cpu.peer_s),
                    )
                })
        };
        let (o, c) = (same(&oras), same(&crane));
        let cpu =
            |p: &Option<super::report::Phase>| p.as_ref().map_or(0.0, |x| x.cpu.harness_client_s);
        rows.push(vec![
            format_size(row.size),
            row.concurrency.to_string(),
            rate(row.push_mb_per_s()),
            o.map_or("-".into(), |o| rate(o.0)),
            c.map_or("-".into(), |c| rate(c.0)),
            rate(row.pull_mb_per_s()),
            o.map_or("-".into(), |o| rate(o.1)),
            c.map_or("-".into(), |c| rate(c.1)),
            format!("{:.2}", cpu(&row.push)),
            o.map_or("-".into(), |o| format!("{:.2}", o.2)),
            c.map_or("-".into(), |c| format!("{:.2}", c.2)),
        ]);
    }
    Some(Grid {
        title: format!("{tag}: harness client vs peers (Azure, shared key)"),
        note: "Monolithic rows; oras uploads with one PUT, crane with one PATCH then PUT (plus a config blob and manifest), each as one process per blob. CPU is the client's own CPU seconds for the push phase.".into(),
        headers: [
            "size", "at once", "push regmatrix", "push oras", "push crane", "pull regmatrix", "pull oras", "pull crane",
            "push CPU s regmatrix", "push CPU s oras", "push CPU s crane",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// CPU-seconds per wall-second of each party during the push and pull
/// phases: a party near 1.0 per core it can use is the bound.
fn cpu_grid(report: &BenchReport, tag: &str) -> Option<Grid> {
    let rows: Vec<Vec<String>> = measured(
        report,
        BenchPath::RegistryAzureSharedKey,
        BenchClient::Regmatrix,
        Some(tag),
    )
    .iter()
    .flat_map(|row| {
        [("push", &row.push), ("pull", &row.pull)]
            .into_iter()
            .filter_map(move |(direction, phase)| {
                let phase = phase.as_ref()?;
                let per = |s: f64| format!("{:.2}", s / phase.figures.wall_s.max(1e-9));
                Some(vec![
                    format_size(row.size),
                    row.mode.to_string(),
                    row.concurrency.to_string(),
                    direction.to_string(),
                    rate(phase.figures.mb_per_s),
                    per(phase.cpu.harness_client_s),
                    per(phase.cpu.mock_cloud_s),
                    per(phase.cpu.registry_s),
                    per(phase.cpu.azurite_s),
                    format!("{:.0}", phase.cpu.harness_peak_rss_mib),
                ])
            })
    })
    .collect();
    (!rows.is_empty()).then(|| Grid {
        title: format!("{tag}: where the CPU went (Azure, shared key)"),
        note: "CPU-seconds per wall-second during each phase. Azurite is one Node process (about 1.0 at most on its main thread); the mock cloud is the harness's TLS-terminating front door between the registry and Azurite.".into(),
        headers: [
            "size", "mode", "at once", "phase", "MB/s", "harness client", "mock cloud", "registry", "Azurite", "harness peak RSS MiB",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
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
mod tests {
    use super::*;
    use crate::bench::report::tests::row;

    #[test]
    fn queries_are_cut_from_notes_and_nothing_else() {
        assert_eq!(
            without_queries("push: PUT /v2/r/blobs/uploads/u?_state=abc&digest=sha256:1 answered 500 UNKNOWN: why?"),
            "push: PUT /v2/r/blobs/uploads/u answered 500 UNKNOWN: why?"
        );
    }

    #[test]
    fn unmeasured_rows_are_grouped_by_reason() {
        let mut a = row(
            BenchPath::RegistryAzureOauth,
            BenchClient::Regmatrix,
            Some("v2.8.3"),
            0.0,
            0.0,
        );
        a.status = RowStatus::Unsupported;
        a.note = "client-secret: no token support".into();
        let mut b = a.clone();
        b.concurrency = 4;
        let notes = unmeasured_notes(&BenchReport {
            schema_version: 1,
            generated_at: "now".into(),
            host: crate::bench::report::HostInfo {
                cpus: 2,
                azurite: "3.35.0".into(),
            },
            plan: crate::bench::BenchPlan::default(),
            versions: vec![],
            loopback_tcp: vec![],
            rows: vec![a, b],
            comparisons: vec![],
            wall_s: 1.0,
            harness_cpu_s: 1.0,
            harness_peak_rss_mib: 1.0,
        });
        assert_eq!(
            notes,
            vec!["unsupported: v2.8.3 registry, Azure, OAuth, regmatrix: client-secret: no token support [16 MiB monolithic x1, 16 MiB monolithic x4]"]
        );
    }
}
