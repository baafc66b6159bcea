//! Which registry releases exist, asked of the Go module proxy the builds use
//! (`GOPROXY`): the release lists of `github.com/docker/distribution` (2.x,
//! served as `+incompatible`) and `github.com/distribution/distribution/v3`.
//! A proxy's list can miss tags it would serve (a mirror lists what it has
//! fetched), so the list is completed by asking for each neighbouring tag's
//! `.info`: the next patches of every series, the pre-releases of every x.y.0
//! and the next minor. Without an answer, the versions built in the cache
//! stand in, and the caller says so.

use std::time::Duration;

use futures_util::future::join_all;

use regmatrix_mocks::front_door::body::error_chain;

use crate::cache::Cache;
use crate::versions::RegistryVersion;

/// The 2.x module: tags are served with `+incompatible` (it has no go.mod).
const MODULE_V2: &str = "github.com/docker/distribution";
const MODULE_V3: &str = "github.com/distribution/distribution/v3";
const DEFAULT_PROXY: &str = "https://proxy.golang.org";
/// A proxy that answers at all answers within this; a machine without one
/// should not wait long to fall back to its cache.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The pre-release kinds distribution has tagged.
const PRERELEASE_KINDS: [&str; 3] = ["alpha", "beta", "rc"];

/// The releases a version set is resolved against, and where they came from.
#[derive(Debug, Clone)]
pub struct ReleaseList {
    /// Oldest first.
    pub releases: Vec<RegistryVersion>,
    /// `None` when the proxy answered; else why the cache's builds stand in.
    pub offline: Option<String>,
    /// The proxy asked.
    pub proxy: String,
}

#[derive(Debug, thiserror::Error)]
enum ProxyError {
    #[error("{url}: {detail}")]
    Request { url: String, detail: String },
    #[error("GOPROXY={0} names no HTTP proxy")]
    NoProxy(String),
}

/// Every release the Go module proxy serves, or the cache's builds when it
/// does not answer.
pub async fn list_releases(cache: &Cache) -> ReleaseList {
    let proxy = proxy_url();
    let answer = match &proxy {
        Ok(url) => from_proxy(url).await,
        Err(e) => Err(ProxyError::NoProxy(e.clone())),
    };
    let proxy = proxy.unwrap_or_else(|e| e);
    match answer {
        Ok(releases) => ReleaseList {
            releases,
            offline: None,
            proxy,
        },
        Err(error) => ReleaseList {
            releases: cached_releases(cache),
            offline: Some(error.to_string()),
            proxy,
        },
    }
}

/// The first HTTP entry of `GOPROXY` (as `go env` reports it), else the
/// public proxy; `Err` carries the setting when it names none (`off`,
/// `direct`).
fn proxy_url() -> Result<String, String> {
    let setting = std::env::var("GOPROXY")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(go_env_proxy)
        .unwrap_or_else(|| DEFAULT_PROXY.to_string());
    setting
        .split([',', '|'])
        .map(str::trim)
        .find(|entry| entry.starts_with("http://") || entry.starts_with("https://"))
        .map(|entry| entry.trim_end_matches('/').to_string())
        .ok_or(setting)
}

fn go_env_proxy() -> Option<String> {
    let output = std::process::Command::new("go")
        .args(["env", "GOPROXY"])
        .output()
        .ok()?;
    let value = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && !value.is_empty()).then_some(value)
}

async fn from_proxy(proxy: &str) -> Result<Vec<RegistryVersion>, ProxyError> {
    let client = http_client(proxy)?;
    let (v2, v3) = futures_util::try_join!(
        list(&client, proxy, MODULE_V2),
        list(&client, proxy, MODULE_V3)
    )?;
    let mut known: Vec<RegistryVersion> = v2.into_iter().chain(v3).collect();
    let candidates: Vec<RegistryVersion> = neighbours(&known)
        .into_iter()
        .filter(|c| !known.contains(c))
        .collect();
    let probes = candidates.iter().map(|c| exists(&client, proxy, c));
    for (candidate, found) in candidates.iter().zip(join_all(probes).await) {
        if found {
            known.push(candidate.clone());
        }
    }
    // A found neighbour may have neighbours of its own (rc.3 after rc.2).
    loop {
        let more: Vec<RegistryVersion> = neighbours(&known)
            .into_iter()
            .filter(|c| !known.contains(c) && !candidates.contains(c))
            .collect();
        if more.is_empty() {
            break;
        }
        let mut grew = false;
        let probes = more.iter().map(|c| exists(&client, proxy, c));
        for (candidate, found) in more.iter().zip(join_all(probes).await) {
            if found {
                known.push(candidate.clone());
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    known.sort_by(RegistryVersion::compare);
    known.dedup();
    Ok(known)
}

fn http_client(proxy: &str) -> Result<reqwest::Client, ProxyError> {
    let mut roots = rustls::RootCertStore::empty();
    // A proxy with a certificate no system root vouches for fails at the
    // request, with the reason, like any other unreachable proxy.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ProxyError::Request {
        url: proxy.to_string(),
        detail: e.to_string(),
    })?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| ProxyError::Request {
            url: proxy.to_string(),
            detail: e.to_string(),
        })
}

fn module_of(version: &RegistryVersion) -> (&'static str, String) {
    if version.release().0 == 2 {
        (MODULE_V2, format!("{}+incompatible", version.tag()))
    } else {
        (MODULE_V3, version.tag().to_string())
    }
}

async fn list(
    client: &reqwest::Client,
    proxy: &str,
    module: &str,
) -> Result<Vec<RegistryVersion>, ProxyError> {
    let url = format!("{proxy}/{module}/@v/list");
    let failed = |detail: String| ProxyError::Request {
        url: url.clone(),
        detail,
    };
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| failed(error_chain(&e)))?;
    if !response.status().is_success() {
        return Err(failed(format!("answered {}", response.status())));
    }
    let body = response.text().await.map_err(|e| failed(error_chain(&e)))?;
    Ok(parse_list(&body))
}

/// The release tags of a proxy's `@v/list`: pseudo-versions and tags the
/// harness cannot build (2.7 and older) are left out.
fn parse_list(body: &str) -> Vec<RegistryVersion> {
    body.lines()
        .map(|line| line.trim().trim_end_matches("+incompatible"))
        .filter(|tag| !is_pseudo_version(tag))
        .filter_map(|tag| tag.parse().ok())
        .collect()
}

/// `v0.0.0-20190905152932-14b96e55d84c`, `v3.0.1-0.20240101000000-abcdef123456`.
fn is_pseudo_version(tag: &str) -> bool {
    tag.rsplit('-').nth(1).is_some_and(|stamp| {
        let digits = stamp.rsplit('.').next().unwrap_or(stamp);
        digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

async fn exists(client: &reqwest::Client, proxy: &str, version: &RegistryVersion) -> bool {
    let (module, tag) = module_of(version);
    let url = format!("{proxy}/{module}/@v/{tag}.info");
    match client.get(&url).send().await {
        Ok(response) => response.status().is_success(),
        Err(_) => false,
    }
}

/// Tags that would sit next to the known ones: the next patch of every
/// series (and 2.8.0 upwards), the next pre-release of each kind of every
/// x.y.0 in 3.x, and the next minor with its first pre-releases.
fn neighbours(known: &[RegistryVersion]) -> Vec<RegistryVersion> {
    let mut out = Vec::new();
    let mut push = |tag: String| {
        if let Ok(v) = tag.parse::<RegistryVersion>() {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    };
    let mut series: Vec<(u64, u64)> = known.iter().map(RegistryVersion::series).collect();
    series.push((2, 8));
    let newest_minor = series.iter().filter(|s| s.0 == 3).map(|s| s.1).max();
    if let Some(minor) = newest_minor {
        series.push((3, minor + 1));
    }
    series.sort();
    series.dedup();
    for (major, minor) in series {
        let released: Vec<u64> = known
            .iter()
            .filter(|v| v.series() == (major, minor) && !v.is_prerelease())
            .map(|v| v.release().2)
            .collect();
        // Every patch up to one past the highest known.
        let top = released.iter().max().map_or(0, |p| p + 1);
        for patch in 0..=top {
            push(format!("v{major}.{minor}.{patch}"));
        }
        if major != 3 {
            continue;
        }
        for kind in PRERELEASE_KINDS {
            let highest = known
                .iter()
                .filter(|v| v.release() == (major, minor, 0))
                .filter_map(|v| prerelease_number(v.tag(), kind))
                .max()
                .unwrap_or(0);
            for number in 1..=highest + 1 {
                push(format!("v{major}.{minor}.0-{kind}.{number}"));
            }
        }
    }
    out
}

fn prerelease_number(tag: &str, kind: &str) -> Option<u64> {
    let (_, pre) = tag.split_once('-')?;
    pre.strip_prefix(kind)?.strip_prefix('.')?.parse().ok()
}

/// The versions built in the cache, oldest first.
pub fn cached_releases(cache: &Cache) -> Vec<RegistryVersion> {
    let dir = cache.registry_dir("");
    let mut versions: Vec<RegistryVersion> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let tag = entry.file_name().to_string_lossy().to_string();
            let built = super::read_manifest::<super::InstalledRegistry>(&entry.path()).is_some();
            built.then(|| tag.parse().ok()).flatten()
        })
        .collect();
    versions.sort_by(RegistryVersion::compare);
    versions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(versions: &[RegistryVersion]) -> Vec<String> {
        versions.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn a_proxy_list_keeps_buildable_releases() {
        let body = "v0.0.0-20190905152932-14b96e55d84c\nv2.7.1+incompatible\n\
                    v2.8.3+incompatible\nv3.0.0\nv3.0.1-0.20250101000000-abcdefabcdef\n";
        assert_eq!(tags(&parse_list(body)), ["v2.8.3", "v3.0.0"]);
    }

    #[test]
    fn neighbours_cover_patches_prereleases_and_the_next_minor() {
        let known: Vec<RegistryVersion> = ["v2.8.3", "v3.0.0", "v3.0.0-rc.2", "v3.1.1"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        let around = tags(&neighbours(&known));
        for expected in [
            "v2.8.0",
            "v2.8.4",
            "v3.0.1",
            "v3.0.0-alpha.1",
            "v3.0.0-beta.1",
            "v3.0.0-rc.3",
            "v3.1.0",
            "v3.1.2",
            "v3.1.0-rc.1",
            "v3.2.0",
            "v3.2.0-rc.1",
        ] {
            assert!(
                around.contains(&expected.to_string()),
                "{expected} not in {around:?}"
            );
        }
        assert!(around.contains(&"v3.0.0-rc.1".to_string()), "{around:?}");
        assert!(!around.contains(&"v3.0.0-rc.4".to_string()), "{around:?}");
    }

    #[test]
    fn pseudo_versions_are_not_releases() {
        assert!(is_pseudo_version("v3.0.1-0.20250101000000-abcdefabcdef"));
        assert!(!is_pseudo_version("v3.0.0-rc.1"));
    }
}
