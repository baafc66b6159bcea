//! `storage/shared-key` on every default version, with the real binaries
//! built from their Go modules and the real Azurite.

mod common;

use regmatrix::cache::Cache;
use regmatrix::install::{Column, Installer};
use regmatrix::progress::Progress;
use regmatrix::report::Outcome;
use regmatrix::runner::{self, RunOptions};
use regmatrix::scenario;

async fn shared_key_passes_on(tag: &str) {
    let version = tag.parse().unwrap();
    let installer = Installer::new(Cache::from_env().unwrap());
    let progress = Progress::hidden();
    let (azurite, columns) = regmatrix::install::prepare(&installer, &[version], None, &progress)
        .await
        .unwrap();
    let column: &Column = &columns[0];
    assert!(
        column
            .registry
            .version_line
            .contains(tag.trim_start_matches('v')),
        "the binary's own --version names {tag}: {}",
        column.registry.version_line
    );
    let scenario =
        scenario::load_file(&common::scenario_dir().join("storage/shared-key.toml")).unwrap();
    let cell = runner::run_cell(
        &scenario,
        &runner::Lane::Version(column.clone()),
        &azurite,
        &RunOptions::default(),
    )
    .await;
    assert_eq!(cell.outcome, Outcome::Pass, "{tag}: {}", cell.evidence);
    // The bytes went to Blob storage with the account key, and were read back.
    assert!(
        cell.storage_traffic
            .by_auth_scheme
            .get("shared_key")
            .copied()
            .unwrap_or(0)
            > 0
    );
    assert!(
        cell.storage_traffic.bytes_up >= 25 * 1024 * 1024,
        "{:?}",
        cell.storage_traffic
    );
    let read = common::step(&cell, "read-storage");
    assert!(
        read.ok && read.summary.contains("matching digests"),
        "{}",
        read.summary
    );
    let chunked = cell
        .steps
        .iter()
        .find(|s| s.summary.contains("large"))
        .unwrap();
    assert!(
        chunked.summary.contains("5 chunks of 4194304 bytes"),
        "{}",
        chunked.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_key_v2_8_3() {
    shared_key_passes_on("v2.8.3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_key_v3_0_0_alpha_1() {
    shared_key_passes_on("v3.0.0-alpha.1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_key_v3_0_0() {
    shared_key_passes_on("v3.0.0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_key_v3_1_1() {
    shared_key_passes_on("v3.1.1").await;
}
