//! `regmatrix bench`: bad options are one line and exit 2 before anything
//! is built, and a small real run on two versions (the registry binaries,
//! Azurite, the Azure SDK and the peer clients oras and crane) writes a
//! report whose rows moved every byte they claim, with the ratios filled
//! and the charts in the page, leaving no process or run directory behind.

mod common;

use std::collections::HashSet;

fn one_line_error(args: &[&str]) -> String {
    let output = common::regmatrix()
        .args(["--quiet", "bench"])
        .args(args)
        .output()
        .unwrap();
    common::one_line_error(&output)
}

#[test]
fn bad_bench_options_are_one_line_and_exit_2() {
    for (args, needle) in [
        (&["--sizes", "12MB"][..], "bad size \"12MB\""),
        (&["--sizes", ","][..], "--sizes is empty"),
        (
            &["--modes", "streaming"][..],
            "bad upload mode \"streaming\"",
        ),
        (&["--concurrency", "0"][..], "bad concurrency \"0\""),
        (&["--paths", "s3"][..], "unknown bench path \"s3\""),
        (&["--peers", "docker"][..], "unknown peer client \"docker\""),
        (&["--versions", "v9.1.0"][..], "2.8 and 3.x series"),
    ] {
        let line = one_line_error(args);
        assert!(line.contains(needle), "{args:?}: {line}");
    }
}

fn run_dirs() -> HashSet<String> {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("regmatrix-bench"))
        .collect()
}

#[test]
fn a_small_run_measures_every_path_and_writes_the_ratios() {
    let out = tempfile::tempdir().unwrap();
    let dirs_before = run_dirs();
    let output = common::regmatrix()
        .args([
            "--quiet",
            "bench",
            "--versions",
            "v2.8.3,v3.1.1",
            "--sizes",
            "1MiB,3MiB",
            "--modes",
            "monolithic,chunked:1MiB",
            "--concurrency",
            "1,2",
            "--row-bytes",
            "2MiB",
            "--max-inflight",
            "4MiB",
            "--max-ops",
            "2",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("bench.json")).unwrap())
            .unwrap();
    let rows = json["rows"].as_array().unwrap();
    let of = |path: &str, client: &str, version: Option<&str>| -> Vec<&serde_json::Value> {
        rows.iter()
            .filter(|r| {
                r["path"] == path && r["client"] == client && r["version"].as_str() == version
            })
            .collect()
    };
    // 2 sizes x 2 modes x 2 concurrencies; 3 MiB at 2 at once is 6 MiB in flight.
    let limit = of("azure-direct", "azure-sdk", None);
    assert_eq!(limit.len(), 8);
    assert_eq!(limit.iter().filter(|r| r["status"] == "skipped").count(), 2);
    for version in ["v2.8.3", "v3.1.1"] {
        for path in ["registry-azure-shared-key", "registry-filesystem"] {
            let measured: Vec<_> = of(path, "regmatrix", Some(version))
                .into_iter()
                .filter(|r| r["status"] == "measured")
                .collect();
            assert_eq!(measured.len(), 6, "{version} {path}");
            for row in measured {
                let ops = row["ops"].as_u64().unwrap();
                let size = row["size"].as_u64().unwrap();
                for phase in ["push", "pull"] {
                    let figures = &row[phase]["figures"];
                    assert_eq!(figures["ops"].as_u64(), Some(ops), "{row}");
                    assert_eq!(figures["bytes"].as_u64(), Some(ops * size), "{row}");
                    assert!(figures["mb_per_s"].as_f64().unwrap() > 0.0, "{row}");
                    assert!(
                        figures["p99_ms"].as_f64() >= figures["p50_ms"].as_f64(),
                        "{row}"
                    );
                }
                if path == "registry-azure-shared-key" {
                    // Azurite did the storing: its CPU time was read.
                    assert!(
                        row["push"]["cpu"]["azurite_s"].as_f64().unwrap() > 0.0,
                        "{row}"
                    );
                    assert!(
                        row["push"]["cpu"]["registry_s"].as_f64().unwrap() > 0.0,
                        "{row}"
                    );
                }
            }
        }
        for peer in ["oras", "crane"] {
            let measured = of("registry-azure-shared-key", peer, Some(version))
                .into_iter()
                .filter(|r| r["status"] == "measured")
                .count();
            // Monolithic rows only: 2 sizes x 2 concurrencies, less the skipped one.
            assert_eq!(measured, 3, "{peer} on {version}: {stdout}");
        }
    }
    // 2.8 cannot use an Entra ID token; the reason is quoted per row.
    let oauth_28 = of("registry-azure-oauth", "regmatrix", Some("v2.8.3"));
    assert!(oauth_28
        .iter()
        .filter(|r| r["status"] != "skipped")
        .all(|r| r["status"] == "unsupported"
            && r["note"]
                .as_str()
                .unwrap()
                .contains("accountname/accountkey only")));
    assert!(of("registry-azure-oauth", "regmatrix", Some("v3.1.1"))
        .iter()
        .any(|r| r["status"] == "measured"));

    let comparisons = json["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), 2 * 2 * 6, "versions x directions x rows");
    for c in comparisons {
        assert!(c["fraction_of_limit"].as_f64().unwrap() > 0.0, "{c}");
        assert!(c["azure_vs_filesystem"].as_f64().unwrap() > 0.0, "{c}");
        if c["mode"] == "monolithic" {
            assert!(c["regmatrix_vs_oras"].as_f64().unwrap() > 0.0, "{c}");
            assert!(c["regmatrix_vs_crane"].as_f64().unwrap() > 0.0, "{c}");
        }
    }
    assert!(json["loopback_tcp"][0]["mb_per_s"].as_f64().unwrap() > 0.0);
    // The run's peak covers every phase's (each phase measures its own).
    let run_peak = json["harness_peak_rss_mib"].as_f64().unwrap();
    for row in rows.iter().filter(|r| r["status"] == "measured") {
        for phase in ["push", "pull"] {
            let peak = row[phase]["cpu"]["harness_peak_rss_mib"].as_f64().unwrap();
            assert!(peak > 0.0 && peak <= run_peak, "{peak} > {run_peak}: {row}");
        }
    }

    let markdown = std::fs::read_to_string(out.path().join("bench.md")).unwrap();
    assert!(markdown.contains("## v3.1.1: registry on Azure (shared key), harness client"));
    assert!(markdown.contains("## v2.8.3: harness client vs peers"));
    let html = std::fs::read_to_string(out.path().join("bench.html")).unwrap();
    assert!(html.contains("<svg class=\"chart\""), "charts in the page");
    assert!(
        html.contains("1 MiB · v3.1.1"),
        "a bar per size and version"
    );
    assert!(
        html.contains("script-src &#39;none&#39;"),
        "no script on the bench page"
    );

    // Nothing left behind: no registry, Azurite, peer or run directory.
    let out_dir = out.path().display().to_string();
    assert!(common::processes_mentioning("regmatrix-bench-").is_empty());
    assert!(common::processes_mentioning(&out_dir).is_empty());
    let new_dirs: Vec<String> = run_dirs().difference(&dirs_before).cloned().collect();
    assert!(new_dirs.is_empty(), "left behind: {new_dirs:?}");
}
