//! The bench report's tables as grids of text: per version, the registry's
//! rows beside their references, the peer clients, and CPU per party. The
//! Markdown and HTML renderers both draw these grids.

use super::super::plan::{format_size, UploadMode};
use super::super::report::{
    BenchClient, BenchPath, BenchReport, BenchRow, Comparison, Direction, RowStatus,
};

/// A table: headers and rows of already formatted cells.
pub struct Grid {
    pub title: String,
    pub note: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub(super) fn grids(report: &BenchReport) -> Vec<Grid> {
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

pub(super) fn measured<'a>(
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
        let cpu = |p: &Option<super::super::report::Phase>| {
            p.as_ref().map_or(0.0, |x| x.cpu.harness_client_s)
        };
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
