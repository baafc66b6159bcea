//! The emulator corrections as an environment installs them, held against
//! the real Azurite: a request through the front door must get Azure's
//! answer, and the traffic record must name the correction exactly when one
//! applied. The `ack-lost` fault is held against it too: the write must be
//! in Azurite while the client was told it failed. Each test starts its own
//! Azurite on a free port in its own temporary directory, so they run in
//! parallel.

use std::sync::Arc;

use regmatrix_mocks::front_door::{FrontDoor, FrontDoorConfig, Route, Target, TrafficRecord};
use regmatrix_mocks::pki::CertificateAuthority;

use super::azurite::{AzuriteService, AzuriteTls};
use super::{correct_emulator, harness_http, ports};
use crate::cache::Cache;
use crate::install::Installer;
use crate::storage::{sign_request, StorageAccount};

const CORRECTION: &str = "azurite-append-create-over-block-blob";

/// Azurite behind a front door with the environment's corrections, and a
/// client that reaches it by the account's production host name.
struct Storage {
    account: StorageAccount,
    http: reqwest::Client,
    front_door: FrontDoor,
    // Dropped after Azurite, which writes into it.
    _azurite: AzuriteService,
    _dir: tempfile::TempDir,
}

impl Storage {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let installed = Installer::new(Cache::from_env().unwrap())
            .azurite(&indicatif::ProgressBar::hidden())
            .await
            .unwrap();
        let account = StorageAccount::generate();
        let ca = Arc::new(CertificateAuthority::generate("regmatrix test CA").unwrap());
        let front_door = FrontDoor::start(FrontDoorConfig::new(ca.clone())).unwrap();
        let leaf = ca.issue_leaf(&["127.0.0.1", &account.host()]).unwrap();
        let (cert, key) = leaf.write_pem_files(dir.path(), "azurite").unwrap();
        let port = ports::free_port().unwrap();
        let azurite = AzuriteService::start(
            &installed,
            &account,
            AzuriteTls {
                cert: &cert,
                key: &key,
            },
            port,
            &front_door.proxy_url(),
            dir.path(),
        )
        .await
        .unwrap();
        let upstream = format!("https://127.0.0.1:{port}").parse().unwrap();
        front_door
            .add_route(
                Route::to(
                    "*.blob.core.windows.net",
                    Target::upstream(upstream, ca.rustls_root_store()),
                )
                .unwrap(),
            )
            .unwrap();
        correct_emulator(&front_door, &account, crate::env::REALM);
        let http = harness_http(&ca, &front_door.proxy_url()).unwrap();
        let storage = Storage {
            account,
            http,
            front_door,
            _azurite: azurite,
            _dir: dir,
        };
        let created = storage
            .send("PUT", "/registry?restype=container", &[], "")
            .await;
        assert_eq!(
            created.status(),
            201,
            "create the container: {:?}",
            created.text().await
        );
        storage
    }

    /// A Shared Key request as the registries' SDKs send them.
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &'static str,
    ) -> reqwest::Response {
        self.try_send(method, path, headers, body).await.unwrap()
    }

    /// [`Storage::send`], for a request that may get no answer.
    async fn try_send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let length = body.len().to_string();
        let mut all = vec![
            ("x-ms-date", date.as_str()),
            ("x-ms-version", "2021-12-02"),
            ("content-length", length.as_str()),
        ];
        all.extend_from_slice(headers);
        let authorization = sign_request(&self.account, method, path, &all);
        let url = format!("https://{}{path}", self.account.host());
        let mut request = self
            .http
            .request(method.parse().unwrap(), url)
            .header("authorization", authorization)
            .body(body);
        for (name, value) in all {
            request = request.header(name, value);
        }
        request.send().await
    }

    async fn put_block_blob(&self, path: &str, content: &'static str) {
        let put = self
            .send("PUT", path, &[("x-ms-blob-type", "BlockBlob")], content)
            .await;
        assert_eq!(put.status(), 201, "put the block blob {path}");
    }

    async fn create_append_blob(&self, path: &str) -> reqwest::Response {
        self.send("PUT", path, &[("x-ms-blob-type", "AppendBlob")], "")
            .await
    }

    /// The traffic record of the last request to `path` with `method`.
    fn record(&self, method: &str, path: &str) -> TrafficRecord {
        self.front_door
            .traffic()
            .snapshot()
            .into_iter()
            .rev()
            .find(|r| r.method == method && r.path == path)
            .unwrap_or_else(|| panic!("no record of {method} {path}"))
    }
}

#[tokio::test]
async fn append_blob_create_over_a_block_or_page_blob_is_refused_as_on_azure() {
    let storage = Storage::start().await;
    let path = "/registry/docker/registry/v2/repositories/r/_manifests/tags/t/current/link";
    storage.put_block_blob(path, "sha256:abc").await;

    let refused = storage.create_append_blob(path).await;
    assert_eq!(refused.status(), 409);
    let headers = refused.headers().clone();
    assert_eq!(headers["x-ms-error-code"], "InvalidBlobType");
    assert_eq!(headers["x-ms-version"], "2021-12-02");
    assert_eq!(headers["content-type"], "application/xml");
    assert_eq!(headers["x-ms-request-id"].len(), 36);
    let body = refused.text().await.unwrap();
    assert!(
        body.starts_with(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>InvalidBlobType</Code>\
             <Message>The blob type is invalid for this operation.\nRequestId:"
        ),
        "{body}"
    );
    assert_eq!(storage.record("PUT", path).rewrites, vec![CORRECTION]);

    // Azurite never saw the create: the block blob is as it was.
    let read = storage.send("GET", path, &[], "").await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["x-ms-blob-type"], "BlockBlob");
    assert_eq!(read.text().await.unwrap(), "sha256:abc");
    assert!(storage.record("GET", path).rewrites.is_empty());

    let page = "/registry/page";
    let created = storage
        .send(
            "PUT",
            page,
            &[
                ("x-ms-blob-type", "PageBlob"),
                ("x-ms-blob-content-length", "512"),
            ],
            "",
        )
        .await;
    assert_eq!(created.status(), 201, "put the page blob");
    let refused = storage.create_append_blob(page).await;
    assert_eq!(refused.status(), 409);
    assert_eq!(refused.headers()["x-ms-error-code"], "InvalidBlobType");
    assert_eq!(storage.record("PUT", page).rewrites, vec![CORRECTION]);

    // The check's own HEAD is not the client's traffic.
    let records = storage.front_door.traffic().snapshot();
    assert!(records.iter().all(|r| r.method != "HEAD"), "{records:?}");
}

#[tokio::test]
async fn append_blob_create_of_a_new_blob_or_over_an_append_blob_goes_through() {
    let storage = Storage::start().await;
    let path = "/registry/docker/registry/v2/blobs/sha256/ab/abc/data";

    let created = storage.create_append_blob(path).await;
    assert_eq!(created.status(), 201);
    assert!(storage.record("PUT", path).rewrites.is_empty());

    let append = format!("{path}?comp=appendblock");
    let appended = storage.send("PUT", &append, &[], "data").await;
    assert_eq!(appended.status(), 201);

    let recreated = storage.create_append_blob(path).await;
    assert_eq!(recreated.status(), 201);
    assert!(storage.record("PUT", path).rewrites.is_empty());
    // As on Azure, the create replaced the append blob with an empty one.
    let read = storage.send("GET", path, &[], "").await;
    assert_eq!(read.headers()["x-ms-blob-type"], "AppendBlob");
    assert_eq!(read.text().await.unwrap(), "");

    // A block blob's Put Blob over the append blob replaces it on Azure too.
    storage.put_block_blob(path, "block").await;
    assert!(storage.record("PUT", path).rewrites.is_empty());

    let records = storage.front_door.traffic().snapshot();
    assert!(
        records.iter().all(|r| !r.rewrites.contains(&CORRECTION)),
        "{records:?}"
    );
}

#[tokio::test]
async fn ack_lost_leaves_the_write_in_azurite_while_the_client_is_told_it_failed() {
    let storage = Storage::start().await;
    for rule in [
        "name=lost host=*.blob.core.windows.net op=put-blob \
         action=ack-lost:status:500,code:OperationTimedOut",
        "name=cut host=*.blob.core.windows.net op=append-block action=ack-lost:reset",
    ] {
        storage.front_door.add_fault_text(rule).unwrap();
    }
    let link = "/registry/docker/registry/v2/repositories/r/_manifests/tags/t/current/link";
    let put = storage
        .send(
            "PUT",
            link,
            &[("x-ms-blob-type", "BlockBlob")],
            "sha256:abc",
        )
        .await;
    assert_eq!(put.status(), 500);
    assert_eq!(put.headers()["x-ms-error-code"], "OperationTimedOut");
    let read = storage.send("GET", link, &[], "").await;
    assert_eq!(read.status(), 200, "the Put Blob was applied");
    assert_eq!(read.text().await.unwrap(), "sha256:abc");
    let record = storage.record("PUT", link);
    assert_eq!(
        (
            record.fault.as_deref(),
            record.status,
            record.discarded_status
        ),
        (Some("lost"), 500, Some(201))
    );

    // Creating the append blob is no Put Blob of content: neither rule takes it.
    let data = "/registry/docker/registry/v2/blobs/sha256/ab/abc/data";
    assert_eq!(storage.create_append_blob(data).await.status(), 201);
    let append = format!("{data}?comp=appendblock");
    let cut = storage.try_send("PUT", &append, &[], "layer").await;
    assert!(cut.is_err(), "{cut:?}");
    let read = storage.send("GET", data, &[], "").await;
    assert_eq!(
        read.text().await.unwrap(),
        "layer",
        "the Append Block was applied"
    );
    let record = storage.record("PUT", &append);
    assert_eq!(
        (
            record.fault.as_deref(),
            record.status,
            record.discarded_status
        ),
        (Some("cut"), 0, Some(201))
    );
    let stats = storage.front_door.fault_stats();
    let counts: Vec<(u64, u64)> = stats.iter().map(|s| (s.matched, s.injected)).collect();
    assert_eq!(counts, [(1, 1), (1, 1)]);
}
