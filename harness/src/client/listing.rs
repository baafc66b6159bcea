//! Listings: a repository's tags and the registry's catalog.

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

impl RegistryClient {
    pub async fn list_tags(&self, repository: &str) -> Result<Vec<String>, ClientError> {
        let url = self.url(&format!("/v2/{repository}/tags/list"));
        let response = self.send(Method::GET, &url, |r| r).await?;
        let response = expect_status(response, "GET", &url, &[200]).await?;
        let list: TagList = json(response, &url).await?;
        Ok(list.tags.unwrap_or_default())
    }

    pub async fn catalog(&self) -> Result<Vec<String>, ClientError> {
        let url = self.url("/v2/_catalog?n=1000");
        let response = self.send(Method::GET, &url, |r| r).await?;
        let response = expect_status(response, "GET", &url, &[200]).await?;
        let catalog: Catalog = json(response, &url).await?;
        Ok(catalog.repositories)
    }
}

async fn json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    url: &str,
) -> Result<T, ClientError> {
    let bytes = response
        .bytes()
        .await
        .map_err(|source| ClientError::Transport {
            method: "GET".into(),
            path: url.to_string(),
            source,
        })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ClientError::Protocol(format!("{url}: unexpected JSON: {e}")))
}
