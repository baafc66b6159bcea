//! Building a 2.8.x registry, which has no go.mod: its dependencies are
//! pinned by commit in `vendor.conf`, and module zips omit `vendor/`. We
//! generate a go.mod that pins exactly those revisions and build from it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{tool_run, InstallError};
use crate::toolchain;
use crate::versions::RegistryVersion;

const MODULE: &str = "github.com/docker/distribution";

#[derive(Debug, thiserror::Error)]
pub enum VendorConfError {
    #[error("{file}:{line}: cannot read vendor.conf entry {text:?}: expected `<import path> <revision> [repository URL]`")]
    Malformed {
        file: PathBuf,
        line: usize,
        text: String,
    },
}

/// One pinned dependency of a vendor.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorPin {
    pub path: String,
    pub revision: String,
    /// Where the code really lives when it is not at `path` (a fork or a rename).
    pub source: Option<String>,
}

pub fn parse_vendor_conf(file: &Path, text: &str) -> Result<Vec<VendorPin>, VendorConfError> {
    let mut pins = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(path), Some(revision)) = (fields.next(), fields.next()) else {
            return Err(VendorConfError::Malformed {
                file: file.to_path_buf(),
                line: index + 1,
                text: raw.to_string(),
            });
        };
        let source = fields.next().map(module_path_of_url);
        pins.push(VendorPin {
            path: path.to_string(),
            revision: revision.to_string(),
            source,
        });
    }
    Ok(pins)
}

fn module_path_of_url(url: &str) -> String {
    let without_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    without_scheme
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .to_string()
}

/// The go.mod text for a vendor.conf. Revisions stay as written (commit
/// hashes or tags); the go command turns them into pseudo-versions when it is
/// allowed to edit go.mod (`-mod=mod`). A pin with another source becomes a
/// `replace`, so the import path stays the one the code uses.
pub fn go_mod_from_vendor_conf(pins: &[VendorPin], extra: &[VendorPin]) -> String {
    let mut out = format!("module {MODULE}\n\n{GO_DIRECTIVE}\n\nrequire (\n");
    for pin in pins.iter().chain(extra) {
        out.push_str(&format!("\t{} {}\n", pin.path, pin.revision));
    }
    out.push_str(")\n");
    let replaced: Vec<&VendorPin> = pins.iter().filter(|p| p.source.is_some()).collect();
    if !replaced.is_empty() {
        out.push_str("\nreplace (\n");
        for pin in replaced {
            let source = pin.source.as_deref().unwrap_or(&pin.path);
            out.push_str(&format!("\t{} => {} {}\n", pin.path, source, pin.revision));
        }
        out.push_str(")\n");
    }
    out
}

/// Go language version for the generated module: old enough that the code's
/// semantics (loop variables, etc.) are those it was written for.
const GO_DIRECTIVE: &str = "go 1.20";

pub fn build(
    version: &RegistryVersion,
    scratch: &Path,
    log_path: &Path,
) -> Result<PathBuf, InstallError> {
    let _ = (version, scratch, log_path, Command::new("true"), tool_run::run, toolchain::require);
    todo!("vendor.conf build recipe")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
github.com/Azure/azure-sdk-for-go 4650843026a7fdec254a8d9cf893693a254edd0b
github.com/dgrijalva/jwt-go 4bbdd8ac624fc7a9ef7aec841c43d99b5fe65a29 https://github.com/golang-jwt/jwt.git # v3.2.2

gopkg.in/yaml.v2 v2.2.1
";

    #[test]
    fn forks_become_replaces_and_comments_are_dropped() {
        let pins = parse_vendor_conf(Path::new("vendor.conf"), SAMPLE).unwrap();
        assert_eq!(pins.len(), 3);
        assert_eq!(pins[1].source.as_deref(), Some("github.com/golang-jwt/jwt"));
        let go_mod = go_mod_from_vendor_conf(&pins, &[]);
        assert!(go_mod.contains("\tgopkg.in/yaml.v2 v2.2.1\n"));
        assert!(go_mod.contains(
            "\tgithub.com/dgrijalva/jwt-go => github.com/golang-jwt/jwt 4bbdd8ac624fc7a9ef7aec841c43d99b5fe65a29\n"
        ));
        assert!(!go_mod.contains('#'));
    }

    #[test]
    fn a_line_without_revision_names_file_and_line() {
        let err = parse_vendor_conf(Path::new("vendor.conf"), "a b\nlonely\n").unwrap_err();
        assert!(err.to_string().starts_with("vendor.conf:2:"), "{err}");
    }
}
