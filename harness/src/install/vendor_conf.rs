//! Building a 2.8.x registry, which has no go.mod: its dependencies are
//! pinned by commit in `vendor.conf`, and module zips omit `vendor/`. We
//! generate a go.mod that pins exactly those revisions and build from it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{tool_run, InstallError};
use crate::versions::RegistryVersion;

pub(super) const MODULE: &str = "github.com/docker/distribution";

#[derive(Debug, thiserror::Error)]
pub enum VendorConfError {
    #[error("vendor.conf pins {path} at {revision}, and regmatrix has no module version for that revision (add it to harness/data/vendor-pins.tsv)")]
    Unpinned { path: String, revision: String },
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

/// The module versions for vendor.conf revisions (see the file's header).
const PINS_TSV: &str = include_str!("../../data/vendor-pins.tsv");

/// go.sum files recorded from verified builds, so those builds are checked
/// byte for byte against what was first downloaded.
fn recorded_go_sum(tag: &str) -> Option<&'static str> {
    match tag {
        "v2.8.3" => Some(include_str!("../../data/registry-v2.8.3.go.sum")),
        _ => None,
    }
}

/// The version to require for `pin`, looked up by import path and revision.
fn module_version(pin: &VendorPin) -> Option<&'static str> {
    PINS_TSV
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols.len() >= 3 && cols[0] == pin.path && cols[1] == pin.revision)
        .map(|cols| cols[2])
}

/// The go.mod text for a vendor.conf: one `require` per pin at its module
/// version, in vendor.conf order; a pin whose code lives elsewhere (a fork or
/// a rename) becomes a `replace` to that module at the same version.
pub fn go_mod_from_vendor_conf(pins: &[VendorPin]) -> Result<String, VendorConfError> {
    let mut requires = String::new();
    let mut replaces = String::new();
    for pin in pins {
        let version = module_version(pin).ok_or_else(|| VendorConfError::Unpinned {
            path: pin.path.clone(),
            revision: pin.revision.clone(),
        })?;
        requires.push_str(&format!("\t{} {version}\n", pin.path));
        if let Some(source) = &pin.source {
            replaces.push_str(&format!("\t{} => {source} {version}\n", pin.path));
        }
    }
    let mut out = format!("module {MODULE}\n\n{GO_DIRECTIVE}\n\nrequire (\n{requires})\n");
    if !replaces.is_empty() {
        out.push_str(&format!("\nreplace (\n{replaces})\n"));
    }
    Ok(out)
}

/// Go language version for the generated module: 2.8.3 was released with Go
/// 1.20, so its code keeps the semantics it was written for (loop variables),
/// and with >= 1.17 modules the build does not import are never downloaded.
const GO_DIRECTIVE: &str = "go 1.20";

/// The 2.8 module's source as a writable tree with a go.mod pinned from its
/// vendor.conf (and the recorded go.sum); returns the tree and that go.mod.
pub(super) fn source_tree(
    go: &Path,
    version: &RegistryVersion,
    scratch: &Path,
    log_path: &Path,
) -> Result<(PathBuf, String), InstallError> {
    let build_error = build_error(version, log_path);
    // 1. The module source, from the proxy (it has no go.mod, hence +incompatible).
    let module_dir = download_module(
        go,
        &format!("{MODULE}@{}+incompatible", version.tag()),
        version,
        log_path,
    )?;
    // 2. A writable copy with a generated go.mod.
    let src = scratch.join("src");
    copy_tree(&module_dir, &src).map_err(|e| build_error(format!("copying the source: {e}")))?;
    let vendor_conf = src.join("vendor.conf");
    let text = std::fs::read_to_string(&vendor_conf)
        .map_err(|e| build_error(format!("reading vendor.conf: {e}")))?;
    let go_mod = go_mod_from_vendor_conf(&parse_vendor_conf(&vendor_conf, &text)?)?;
    std::fs::write(src.join("go.mod"), &go_mod)
        .map_err(|e| build_error(format!("writing go.mod: {e}")))?;
    if let Some(sum) = recorded_go_sum(version.tag()) {
        std::fs::write(src.join("go.sum"), sum)
            .map_err(|e| build_error(format!("writing go.sum: {e}")))?;
    }
    Ok((src, go_mod))
}

/// A failed build of `version`, its last line and where its log is.
pub(super) fn build_error<'a>(
    version: &'a RegistryVersion,
    log_path: &'a Path,
) -> impl Fn(String) -> InstallError + 'a {
    move |last_line| InstallError::Build {
        tag: version.tag().to_string(),
        last_line,
        log: log_path.to_path_buf(),
    }
}

/// `go mod download` of `module_at` (`path@version`): its read-only source directory.
pub(super) fn download_module(
    go: &Path,
    module_at: &str,
    version: &RegistryVersion,
    log_path: &Path,
) -> Result<PathBuf, InstallError> {
    let build_error = build_error(version, log_path);
    let download = Command::new(go)
        .args(["mod", "download", "-json"])
        .arg(module_at)
        .env("GOFLAGS", "-mod=mod")
        .output()
        .map_err(|e| build_error(format!("go mod download: {e}")))?;
    let info: serde_json::Value = serde_json::from_slice(&download.stdout).unwrap_or_default();
    if let Some(error) = info.get("Error").and_then(|e| e.as_str()) {
        return Err(InstallError::UnknownVersion {
            tag: version.tag().to_string(),
            detail: error.to_string(),
        });
    }
    match info.get("Dir").and_then(|d| d.as_str()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Err(build_error(format!(
            "go mod download gave no source directory: {}",
            String::from_utf8_lossy(&download.stderr).trim()
        ))),
    }
}

/// With -mod=mod a missing pin silently becomes "latest": refuse that.
pub(super) fn check_pinned(
    src: &Path,
    go_mod: &str,
    version: &RegistryVersion,
    log_path: &Path,
) -> Result<(), InstallError> {
    let after = std::fs::read_to_string(src.join("go.mod")).unwrap_or_default();
    if after != go_mod {
        return Err(build_error(version, log_path)(
            "the go command changed the generated go.mod (a dependency was not pinned); refusing an unpinned build".into(),
        ));
    }
    Ok(())
}

pub fn build(
    go: &Path,
    version: &RegistryVersion,
    scratch: &Path,
    log_path: &Path,
) -> Result<PathBuf, InstallError> {
    let build_error = build_error(version, log_path);
    let (src, go_mod) = source_tree(go, version, scratch, log_path)?;
    // 3. Build, with the version stamped as upstream's Makefile does.
    let binary = scratch.join("bin").join("registry");
    let mut command = Command::new(go);
    command
        .current_dir(&src)
        .args(["build", "-trimpath"])
        .arg(format!(
            "-ldflags=-X {MODULE}/version.Version={tag} -X {MODULE}/version.Package={MODULE}",
            tag = version.tag()
        ))
        .arg("-o")
        .arg(&binary)
        .arg("./cmd/registry")
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "0")
        .env("GOFLAGS", "-mod=mod -buildvcs=false");
    let outcome = tool_run::run(command, log_path).map_err(|e| build_error(e.to_string()))?;
    if !outcome.status.success() {
        return Err(build_error(outcome.last_line()));
    }
    check_pinned(&src, &go_mod, version, log_path)?;
    Ok(binary)
}

/// Copies a read-only module directory into a writable tree.
pub(super) fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
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
        let go_mod = go_mod_from_vendor_conf(&pins).unwrap();
        assert!(go_mod.contains("\tgopkg.in/yaml.v2 v2.2.1\n"));
        assert!(go_mod.contains("\tgithub.com/Azure/azure-sdk-for-go v16.2.1+incompatible\n"));
        assert!(go_mod.contains(
            "\tgithub.com/dgrijalva/jwt-go => github.com/golang-jwt/jwt v3.2.2+incompatible\n"
        ));
        assert!(!go_mod.contains('#'));
    }

    #[test]
    fn a_line_without_revision_names_file_and_line() {
        let err = parse_vendor_conf(Path::new("vendor.conf"), "a b\nlonely\n").unwrap_err();
        assert!(err.to_string().starts_with("vendor.conf:2:"), "{err}");
    }
}

#[cfg(test)]
mod pin_tests {
    use super::*;

    #[test]
    fn an_unknown_revision_is_refused_not_resolved_to_latest() {
        let pins =
            parse_vendor_conf(Path::new("vendor.conf"), "github.com/x/y 0123abcd\n").unwrap();
        let err = go_mod_from_vendor_conf(&pins).unwrap_err();
        assert!(
            err.to_string().contains("github.com/x/y at 0123abcd"),
            "{err}"
        );
    }

    #[test]
    fn every_pin_row_is_well_formed() {
        for line in PINS_TSV.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "{line}");
            assert!(cols[2].starts_with('v'), "{line}");
            assert!(["tag", "pseudo", "substitute"].contains(&cols[3]), "{line}");
            if cols[3] == "pseudo" {
                assert!(
                    cols[2].ends_with(&cols[1][..12]),
                    "a pseudo-version names its commit: {line}"
                );
            }
            if cols[3] == "substitute" {
                assert!(!cols[4].is_empty(), "a substitute says why: {line}");
            }
        }
    }
}
