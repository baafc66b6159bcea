//! The config parser probe of a registry version: a small Go program of
//! ours (`harness/data/configprobe.go.tmpl`) built inside the tag's own
//! module, with that tag's go.mod (for 2.8, the one pinned from its
//! vendor.conf), so it parses a config with exactly the configuration
//! package the registry binary of that tag starts with. One cache
//! directory per tag, built once.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::{
    go_module, read_manifest, tool_run, vendor_conf, write_manifest, InstallError, Installed,
};
use crate::cache::{Cache, CacheError};
use crate::versions::{BuildRecipe, RegistryVersion};

const PROBE_SOURCE: &str = include_str!("../../data/configprobe.go.tmpl");

/// A built probe.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstalledProbe {
    pub tag: String,
    pub binary: PathBuf,
}

impl Installed for InstalledProbe {
    fn binary(&self) -> &Path {
        &self.binary
    }
}

/// Builds the probe of `version` into the cache unless it is there.
pub fn install(cache: &Cache, version: &RegistryVersion) -> Result<InstalledProbe, InstallError> {
    let label = format!("configprobe-{}", version.tag());
    let dir = cache.registry_dir(&label);
    if let Some(done) = read_manifest::<InstalledProbe>(&dir) {
        return Ok(done);
    }
    let _lock = cache.lock(&label)?;
    if let Some(done) = read_manifest::<InstalledProbe>(&dir) {
        return Ok(done);
    }
    let scratch = cache.scratch_dir(&format!("build-{label}"))?;
    let go = crate::toolchain::require("go", &format!("to build the config probe of {version}"))?;
    let log_path = cache.log_path(&format!("build-{label}"))?;
    let build_error = vendor_conf::build_error(version, &log_path);
    let (src, module, pinned) = match version.recipe() {
        BuildRecipe::GoModule => {
            let module_dir = vendor_conf::download_module(
                &go,
                &format!("{}@{}", go_module::MODULE, version.tag()),
                version,
                &log_path,
            )?;
            let src = scratch.path().join("src");
            vendor_conf::copy_tree(&module_dir, &src)
                .map_err(|e| build_error(format!("copying the source: {e}")))?;
            (src, go_module::MODULE, None)
        }
        BuildRecipe::VendorConf => {
            let (src, go_mod) = vendor_conf::source_tree(&go, version, scratch.path(), &log_path)?;
            (src, vendor_conf::MODULE, Some(go_mod))
        }
    };
    let cmd = src.join("cmd").join("regmatrix-configprobe");
    std::fs::create_dir_all(&cmd)
        .and_then(|_| {
            std::fs::write(
                cmd.join("main.go"),
                PROBE_SOURCE.replace("{{MODULE}}", module),
            )
        })
        .map_err(|e| build_error(format!("writing the probe: {e}")))?;
    let built = scratch.path().join("bin").join("configprobe");
    let mut command = Command::new(&go);
    command
        .current_dir(&src)
        .args(["build", "-trimpath", "-o"])
        .arg(&built)
        .arg("./cmd/regmatrix-configprobe")
        .env("CGO_ENABLED", "0")
        .env("GOFLAGS", "-mod=mod -buildvcs=false");
    if pinned.is_some() {
        command.env("GOTOOLCHAIN", "local");
    }
    let outcome = tool_run::run(command, &log_path).map_err(|e| build_error(e.to_string()))?;
    if !outcome.status.success() {
        return Err(build_error(outcome.last_line()));
    }
    if let Some(go_mod) = &pinned {
        vendor_conf::check_pinned(&src, go_mod, version, &log_path)?;
    }
    crate::cache::create_dir(&dir)?;
    let binary = dir.join("configprobe");
    std::fs::rename(&built, &binary).map_err(|source| CacheError::Io {
        path: binary.clone(),
        source,
    })?;
    let installed = InstalledProbe {
        tag: version.tag().to_string(),
        binary,
    };
    write_manifest(&dir, &installed)?;
    Ok(installed)
}
