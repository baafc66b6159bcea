//! Criterion benches for the harness's own hot paths: the work regmatrix does
//! itself, as opposed to the registries it drives. They answer "is the
//! harness the bottleneck?" when a matrix run or `regmatrix bench` is slow.
//!
//! - `digest/*`: `RandomBlob` generation and SHA-256, together (what
//!   `RandomBlob::digest` does before every push) and apart, over 16 and
//!   128 MiB, so a slowdown can be pinned on the RNG or on the hash.
//! - `upload/*`: `RegistryClient::push_blob_chunked` (5 and 32 MiB chunks) and
//!   `push_blob_monolithic` of a 64 MiB blob against an in-process loopback
//!   server that only drains bodies. Blob generation is inside the loop, as it
//!   is in the client; subtract `digest/generate` to see the HTTP cost.
//! - `jwt/*`: registry-token minting (`token_server::mint`, as the mock token
//!   server signs) and verification (`CompactJws::parse` + `verify`) for
//!   RS256, ES256 and EdDSA.
//! - `report/*`: rendering a 42 x 4 (168-cell) matrix as Markdown, HTML and
//!   JUnit.
//!
//! Each bench checks its result once outside the timed loop, so a broken
//! path fails the run instead of benching fast.
//!
//! Run from the workspace root:
//!
//! ```text
//! cargo bench --bench hot_paths              # everything, ~2-3 min on 2 cores
//! cargo bench --bench hot_paths -- digest    # one group (a regex on the id)
//! cargo bench --bench hot_paths -- --quick   # a rough figure, fast
//! ```

mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::runtime::Runtime;

use regmatrix::client::{ClientConfig, RegistryClient};
use regmatrix::payload::RandomBlob;
use regmatrix::report::{html, junit, markdown, Outcome};
use regmatrix_mocks::jose::{AnyKey, AnyPublicKey, CompactJws, KeyKind};
use regmatrix_mocks::token_server::{
    mint, Audience, GrantedAccess, Signature, TokenProfile, TokenSigner, Validity,
};

use support::upload_server::UploadServer;

const MIB: u64 = 1 << 20;

/// The harness generates blobs in 1 MiB blocks; asking for pieces of that
/// size makes `pieces` cost what generation costs, plus one copy.
const GENERATION_PIECE: usize = 1 << 20;

fn digest(c: &mut Criterion) {
    let mut group = c.benchmark_group("digest");
    // One iteration of the 128 MiB case takes around a tenth of a second:
    // flat sampling keeps ten samples within the measurement time.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(4));
    for size in [16 * MIB, 128 * MIB] {
        let label = format!("{}MiB", size / MIB);
        let blob = RandomBlob::new(0x5eed, size);
        let expected = blob.digest();
        group.throughput(Throughput::Bytes(size));

        group.bench_with_input(
            BenchmarkId::new("generate-and-sha256", &label),
            &blob,
            |b, blob| b.iter(|| blob.digest()),
        );

        let pieces: Vec<_> = blob.pieces(GENERATION_PIECE).collect();
        assert_eq!(
            pieces.iter().map(|p| p.len() as u64).sum::<u64>(),
            size,
            "pieces must cover the blob"
        );
        // The same bytes through an independent hasher: `digest()` and
        // `pieces()` agree, so the two halves below measure the same data.
        assert_eq!(sha256(&pieces), expected.as_str());

        group.bench_with_input(BenchmarkId::new("generate", &label), &blob, |b, blob| {
            b.iter(|| {
                blob.pieces(GENERATION_PIECE)
                    .map(|piece| black_box(piece).len())
                    .sum::<usize>()
            })
        });

        group.bench_with_input(BenchmarkId::new("sha256", &label), &pieces, |b, pieces| {
            b.iter(|| sha256(pieces))
        });
    }
    group.finish();
}

fn sha256(pieces: &[bytes::Bytes]) -> String {
    let mut hasher = Sha256::new();
    for piece in pieces {
        hasher.update(piece);
    }
    regmatrix::digest::finish(hasher)
}

fn upload(c: &mut Criterion) {
    let rt = Runtime::new().expect("tokio runtime");
    let server = rt.block_on(UploadServer::start()).expect("upload server");
    let client = RegistryClient::new(ClientConfig {
        base_url: server.base_url(),
        proxy_url: None,
        roots: rustls::RootCertStore::empty(),
        credentials: None,
        timeout: Duration::from_secs(120),
    })
    .expect("registry client");

    let size = 64 * MIB;
    let blob = RandomBlob::new(0xb10b, size);
    let digest = blob.digest();
    let repository = "regmatrix/bench-upload";

    let mut group = c.benchmark_group("upload");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Bytes(size));

    for chunk in [5 * MIB as usize, 32 * MIB as usize] {
        let expected_chunks = (size as usize).div_ceil(chunk);
        // Once with the server checking ranges and hashing what arrived: the
        // timed runs below send the same bytes the same way.
        server.set_verify(true);
        let chunks = rt
            .block_on(client.push_blob_chunked(repository, &blob, &digest, chunk))
            .expect("verified chunked push");
        server.set_verify(false);
        assert_eq!(chunks, expected_chunks);
        assert_committed(&server, &client, size, &digest, expected_chunks + 2);

        group.bench_function(
            BenchmarkId::new("chunked", format!("{}MiB", chunk as u64 / MIB)),
            |b| {
                b.iter(|| {
                    let chunks = rt
                        .block_on(client.push_blob_chunked(repository, &blob, &digest, chunk))
                        .expect("chunked push");
                    // The exchange log grows by one entry per request; the
                    // engine drains it per step, so the bench does too.
                    client.exchanges().drain();
                    chunks
                })
            },
        );
    }

    server.set_verify(true);
    rt.block_on(client.push_blob_monolithic(repository, &blob, &digest))
        .expect("verified monolithic push");
    server.set_verify(false);
    assert_committed(&server, &client, size, &digest, 2);

    group.bench_function(BenchmarkId::new("monolithic", "64MiB"), |b| {
        b.iter(|| {
            rt.block_on(client.push_blob_monolithic(repository, &blob, &digest))
                .expect("monolithic push");
            client.exchanges().drain();
        })
    });
    group.finish();
}

/// The server got every byte, they hash to `digest`, and the client made
/// `requests` requests (POST, the PATCHes, PUT), each answered 2xx.
fn assert_committed(
    server: &UploadServer,
    client: &RegistryClient,
    size: u64,
    digest: &str,
    requests: usize,
) {
    let commit = server.last_commit().expect("the upload was committed");
    assert_eq!(commit.bytes, size);
    assert_eq!(commit.digest, digest);
    assert_eq!(commit.computed.as_deref(), Some(digest));
    let exchanges = client.exchanges().drain();
    assert_eq!(exchanges.len(), requests, "{exchanges:?}");
    assert!(
        exchanges
            .iter()
            .all(|e| e.status.is_some_and(|s| (200..300).contains(&s))),
        "{exchanges:?}"
    );
}

const SERVICE: &str = "regmatrix-registry";
const SUBJECT: &str = "bench-user";

fn jwt(c: &mut Criterion) {
    let mut group = c.benchmark_group("jwt");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let profile = TokenProfile {
        issuer: "regmatrix-token-server".into(),
        audience: Audience::Single(SERVICE.into()),
        lifetime: Duration::from_secs(300),
        validity: Validity::Current,
    };
    // What a `docker push` of one repository is granted.
    let access = vec![GrantedAccess {
        resource_type: "repository".into(),
        name: "regmatrix/bench".into(),
        actions: vec!["pull".into(), "push".into()],
    }];

    for kind in KeyKind::ALL {
        let alg = kind.algorithm();
        let key = Arc::new(AnyKey::generate(kind).expect("signing key"));
        let public = key.public();
        let kid = public.libtrust_key_id();
        let mut header = Map::new();
        header.insert("kid".into(), Value::from(kid.clone()));
        let signer = TokenSigner {
            header,
            signature: Signature::Key(key.clone()),
        };
        let token = mint(&profile, &signer, SUBJECT, &access).expect("mint").jwt;
        check_token(&token, &public, alg, &kid);
        // Same header and claims, another token's signature (each has its
        // own `jti`): a verifier that passes this checks nothing.
        let other = mint(&profile, &signer, SUBJECT, &access).expect("mint").jwt;
        let spliced = format!(
            "{}.{}",
            token.rsplit_once('.').expect("compact JWS").0,
            other.rsplit_once('.').expect("compact JWS").1
        );
        assert!(CompactJws::parse(&spliced)
            .expect("parses")
            .verify(&public)
            .is_err());

        group.bench_function(BenchmarkId::new("mint", alg), |b| {
            b.iter(|| mint(&profile, &signer, SUBJECT, &access).expect("mint"))
        });
        group.bench_with_input(BenchmarkId::new("verify", alg), &token, |b, token| {
            b.iter(|| {
                let jws = CompactJws::parse(token).expect("parse");
                jws.verify(&public).expect("verify");
                jws
            })
        });
    }
    group.finish();
}

fn check_token(token: &str, public: &AnyPublicKey, alg: &str, kid: &str) {
    let jws = CompactJws::parse(token).expect("parse");
    jws.verify(public).expect("the minted token verifies");
    assert_eq!(jws.algorithm(), Some(alg));
    assert_eq!(jws.key_id(), Some(kid));
    assert_eq!(jws.claim_str("sub"), Some(SUBJECT));
    assert_eq!(jws.audiences(), vec![SERVICE]);
    assert_eq!(jws.claims["access"][0]["name"], "regmatrix/bench");
    assert_eq!(jws.claims["access"][0]["actions"][1], "push");
    assert!(jws.claim_i64("exp").expect("exp") > jws.claim_i64("nbf").expect("nbf"));
}

fn report(c: &mut Criterion) {
    let report = support::matrix::report();
    let cells = report.cells.len();
    assert_eq!(cells, 168);
    check_renders(&report);

    let mut group = c.benchmark_group("report");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(cells as u64));
    group.bench_function("markdown", |b| b.iter(|| markdown::render(&report)));
    group.bench_function("html", |b| b.iter(|| html::render(&report)));
    group.bench_function("junit", |b| b.iter(|| junit::render(&report)));
    group.finish();
}

/// Every renderer saw every cell: one table row per scenario, one HTML cell
/// and one testcase per cell, and the security finding where each puts it.
fn check_renders(report: &regmatrix::report::MatrixReport) {
    let scenarios = report.scenarios.len();
    let cells = report.cells.len();
    let security = report
        .cells
        .iter()
        .filter(|c| c.outcome == Outcome::Security)
        .count();
    assert_eq!(security, 1);

    let md = markdown::render(report);
    let rows = md.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(rows, scenarios, "one Markdown row per scenario");
    assert!(md.contains("`auth/attack-embedded-jwk` on `v3.0.0-alpha.1`: **security**"));

    let page = html::render(report);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches("<td class=\"cell ").count(), cells);

    let xml = junit::render(report);
    assert_eq!(xml.matches("<testcase ").count(), cells);
    assert!(xml.contains(&format!("<testsuites name=\"regmatrix\" tests=\"{cells}\"")));
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = digest, upload, jwt, report
}
criterion_main!(benches);
