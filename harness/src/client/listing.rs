//! Listings: a repository's tags and the registry's catalog, page by page.
//! A request with `n` asks for at most that many names; the registry says
//! there are more with `Link: <...>; rel="next"`, which is followed until a
//! page has none.

use reqwest::Method;
use serde::Deserialize;

use super::error::expect_status;
use super::{ClientError, RegistryClient};

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Catalog {
    #[serde(default)]
    repositories: Vec<String>,
}

/// The catalog's page size when the caller names none: one request for
/// every repository a scenario makes (the 3.x default maximum).
const CATALOG_DEFAULT_N: u32 = 1000;

/// A bound on pages, so a registry whose `Link`s never end cannot hold a
/// step forever.
const MAX_PAGES: usize = 10_000;

/// One listing as the registry served it, page by page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The names of each page, in the order served.
    pub pages: Vec<Vec<String>>,
    /// The `n` each request carried, if any.
    pub page_size: Option<u32>,
    /// A `rel="next"` link that named a page already fetched (or the
    /// page bound was reached): the listing stopped there.
    pub looped: Option<String>,
}

impl Listing {
    /// Every page's names, concatenated.
    pub fn names(&self) -> Vec<String> {
        self.pages.iter().flatten().cloned().collect()
    }

    /// Names served more than once across the pages, each once, sorted.
    pub fn duplicates(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut twice: Vec<String> = self
            .pages
            .iter()
            .flatten()
            .filter(|name| !seen.insert(name.as_str()))
            .cloned()
            .collect();
        twice.sort();
        twice.dedup();
        twice
    }

    /// Pages holding more names than the `n` they were asked with.
    pub fn oversized_pages(&self) -> usize {
        match self.page_size {
            Some(n) => self.pages.iter().filter(|p| p.len() > n as usize).count(),
            None => 0,
        }
    }
}

impl RegistryClient {
    /// `GET /v2/<name>/tags/list[?n=][&last=]`, following `rel="next"`
    /// links.
    pub async fn list_tags(
        &self,
        repository: &str,
        page_size: Option<u32>,
        last: Option<&str>,
    ) -> Result<Listing, ClientError> {
        let first = with_query(&format!("/v2/{repository}/tags/list"), page_size, last);
        self.pages(&first, page_size, |bytes, url| {
            let list: TagList = json(bytes, url)?;
            Ok(list.tags.unwrap_or_default())
        })
        .await
    }

    /// `GET /v2/_catalog?n=[&last=]`, following `rel="next"` links;
    /// without a page size, `n` is 1000 (one page for what a scenario
    /// makes).
    pub async fn catalog(
        &self,
        page_size: Option<u32>,
        last: Option<&str>,
    ) -> Result<Listing, ClientError> {
        let n = page_size.unwrap_or(CATALOG_DEFAULT_N);
        let first = with_query("/v2/_catalog", Some(n), last);
        self.pages(&first, Some(n), |bytes, url| {
            let catalog: Catalog = json(bytes, url)?;
            Ok(catalog.repositories)
        })
        .await
    }

    async fn pages(
        &self,
        first: &str,
        page_size: Option<u32>,
        names: impl Fn(&[u8], &str) -> Result<Vec<String>, ClientError>,
    ) -> Result<Listing, ClientError> {
        let mut listing = Listing {
            page_size,
            ..Listing::default()
        };
        let mut visited = std::collections::HashSet::new();
        let mut next = Some(self.url(first));
        while let Some(url) = next.take() {
            if !visited.insert(url.clone()) || listing.pages.len() >= MAX_PAGES {
                listing.looped = Some(super::path_of(&url));
                break;
            }
            let response = self.send(Method::GET, &url, |r| r).await?;
            let response = expect_status(response, "GET", &url, &[200]).await?;
            next = response
                .headers()
                .get_all(reqwest::header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_link)
                .map(|link| self.resolve_location(&link));
            let bytes = super::read_body(response, "GET", &url).await?;
            listing.pages.push(names(&bytes, &url)?);
        }
        Ok(listing)
    }
}

/// `path` with `n` and `last` as its query, `last` percent-encoded (a
/// repository name holds `/`).
fn with_query(path: &str, n: Option<u32>, last: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(n) = n {
        query.append_pair("n", &n.to_string());
    }
    if let Some(last) = last {
        query.append_pair("last", last);
    }
    match query.finish() {
        q if q.is_empty() => path.to_string(),
        q => format!("{path}?{q}"),
    }
}

/// The target of the `rel="next"` entry of a `Link` header value, e.g.
/// `</v2/_catalog?last=b&n=2>; rel="next"` (RFC 8288: entries separated
/// by commas, parameters by semicolons, `rel` quoted or not, and possibly
/// naming several relation types).
pub fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    loop {
        let start = rest.find('<')?;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let after = &rest[end + 1..];
        let params = after.split('<').next().unwrap_or_default();
        let is_next = params.split(';').any(|param| {
            let Some((key, value)) = param.split_once('=') else {
                return false;
            };
            key.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.to_string());
        }
        rest = after;
    }
}

fn json<T: serde::de::DeserializeOwned>(bytes: &[u8], url: &str) -> Result<T, ClientError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ClientError::Protocol(format!("{}: unexpected JSON: {e}", super::path_of(url)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_and_last_make_the_query() {
        assert_eq!(with_query("/v2/_catalog", None, None), "/v2/_catalog");
        assert_eq!(
            with_query("/v2/_catalog", Some(25), Some("regmatrix/c/r-059")),
            "/v2/_catalog?n=25&last=regmatrix%2Fc%2Fr-059"
        );
        assert_eq!(
            with_query("/v2/a/tags/list", None, Some("t-099")),
            "/v2/a/tags/list?last=t-099"
        );
    }

    #[test]
    fn the_next_link_is_found_in_the_forms_registries_write() {
        // distribution's createLinkEntry
        assert_eq!(
            next_link(r#"</v2/_catalog?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/_catalog?last=b&n=2")
        );
        assert_eq!(
            next_link("<https://r.example/v2/x/tags/list?n=1&last=a>;rel=next").as_deref(),
            Some("https://r.example/v2/x/tags/list?n=1&last=a")
        );
        // Several entries, several relation types.
        assert_eq!(
            next_link(r#"</first>; rel="first", </more?last=c>; rel="prefetch next""#).as_deref(),
            Some("/more?last=c")
        );
        assert_eq!(next_link(r#"</first>; rel="first""#), None);
        assert_eq!(next_link("garbage"), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn a_listing_reports_duplicates_across_pages_and_pages_over_n() {
        let page = |names: &[&str]| names.iter().map(ToString::to_string).collect();
        let listing = Listing {
            pages: vec![page(&["a", "b"]), page(&["b", "c", "d"]), page(&["a"])],
            page_size: Some(2),
            looped: None,
        };
        assert_eq!(listing.names(), ["a", "b", "b", "c", "d", "a"]);
        assert_eq!(listing.duplicates(), ["a", "b"]);
        assert_eq!(listing.oversized_pages(), 1);
        let unpaged = Listing {
            page_size: None,
            ..listing
        };
        assert_eq!(unpaged.oversized_pages(), 0);
    }
}
