//! Azure Storage Shared Key authorization (the Blob service's string-to-sign,
//! version 2009-09-19 and later), enough for the harness's own calls.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::seed::Seed;

/// A storage account: its name and its base64 key.
#[derive(Clone, PartialEq, Eq)]
pub struct StorageAccount {
    pub name: String,
    pub key_base64: String,
}

impl std::fmt::Debug for StorageAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never print it.
        f.debug_struct("StorageAccount")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl StorageAccount {
    /// A fresh account with a random lowercase name (3-24 chars, as Azure
    /// requires) and a random 64-byte key.
    pub fn generate() -> Self {
        Self::from_seed(Seed::new(rand::random()))
    }

    /// The account `seed` makes: the same name and key on every run.
    pub fn from_seed(seed: Seed) -> Self {
        let rng = &mut seed.rng();
        let mut key = [0u8; 64];
        rng.fill_bytes(&mut key);
        let mut suffix = [0u8; 5];
        rng.fill_bytes(&mut suffix);
        StorageAccount {
            name: format!("regmatrix{}", hex::encode(suffix)),
            key_base64: STANDARD.encode(key),
        }
    }

    /// The production host name of the account's Blob endpoint in the
    /// public cloud.
    pub fn host(&self) -> String {
        self.host_in(PUBLIC_REALM)
    }

    /// The host name of the account's Blob endpoint in the cloud whose
    /// storage suffix is `realm` (`core.windows.net`,
    /// `core.usgovcloudapi.net`, `core.chinacloudapi.cn`).
    pub fn host_in(&self, realm: &str) -> String {
        format!("{}.blob.{realm}", self.name)
    }

    /// The `AZURITE_ACCOUNTS` entry for this account.
    pub fn azurite_accounts_entry(&self) -> String {
        format!("{}:{}", self.name, self.key_base64)
    }
}

/// The public cloud's storage suffix, distribution's default `realm`.
pub const PUBLIC_REALM: &str = "core.windows.net";

/// One account's Blob endpoint in one cloud: what a front-door correction
/// answers for (the account's requests to that host, and no other).
#[derive(Debug, Clone)]
pub struct BlobEndpoint {
    pub account: StorageAccount,
    pub host: String,
}

impl BlobEndpoint {
    pub fn new(account: StorageAccount, realm: &str) -> Self {
        BlobEndpoint {
            host: account.host_in(realm),
            account,
        }
    }
}

/// [`sign_request`] for a request whose headers are already in a header map
/// (a request the front door re-signs after changing it). Headers whose
/// value is not text cannot be signed and are left out, as before.
pub fn sign_headers(
    account: &StorageAccount,
    method: &str,
    path_and_query: &str,
    headers: &hyper::HeaderMap,
) -> String {
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)))
        .collect();
    sign_request(account, method, path_and_query, &pairs)
}

/// The `Authorization` header value for a Blob request (Shared Key, string-to-sign
/// of version 2009-09-19 and later). `headers` are every header sent; the
/// standard ones and all `x-ms-*` ones enter the signature.
pub fn sign_request(
    account: &StorageAccount,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    // A zero Content-Length is signed as empty (version 2015-02-21 and later).
    let length = match header("content-length") {
        "0" => "",
        other => other,
    };
    let mut to_sign = format!(
        "{method}\n{}\n{}\n{length}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        header("content-encoding"),
        header("content-language"),
        header("content-md5"),
        header("content-type"),
        if header("x-ms-date").is_empty() {
            header("date")
        } else {
            ""
        },
        header("if-modified-since"),
        header("if-match"),
        header("if-none-match"),
        header("if-unmodified-since"),
        header("range"),
    );
    let mut ms_headers: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-ms-"))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    ms_headers.sort();
    for (name, value) in &ms_headers {
        to_sign.push_str(&format!("{name}:{value}\n"));
    }
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(&k.to_ascii_lowercase()), percent_decode(v))
        })
        .collect();
    params.sort();
    to_sign.push_str(&format!("/{}{}", account.name, path));
    for (name, value) in &params {
        to_sign.push_str(&format!("\n{name}:{value}"));
    }
    let key = STANDARD.decode(&account.key_base64).unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(to_sign.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    format!("SharedKey {}:{signature}", account.name)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independently_computed_value() {
        // Computed with Python's hmac/hashlib over the same string-to-sign:
        // "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sat, 28 Nov 2026 12:00:00 GMT\nx-ms-version:2021-12-02\n/acct/c\nrestype:container"
        let account = StorageAccount {
            name: "acct".into(),
            key_base64: STANDARD.encode(b"0123456789abcdef"),
        };
        let header = sign_request(
            &account,
            "PUT",
            "/c?restype=container",
            &[
                ("x-ms-version", "2021-12-02"),
                ("Content-Length", "0"),
                ("x-ms-date", "Sat, 28 Nov 2026 12:00:00 GMT"),
            ],
        );
        assert_eq!(header, format!("SharedKey acct:{}", KNOWN_ANSWER));
    }

    const KNOWN_ANSWER: &str = "SIc/ykT0AvEtOxI4ZLe82wd28yix3lD9MWjGEFGacT8=";

    #[test]
    fn generated_accounts_are_valid_azure_names() {
        let a = StorageAccount::generate();
        assert!(
            a.name.len() <= 24
                && a.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert!(!format!("{a:?}").contains(&a.key_base64));
    }
}
