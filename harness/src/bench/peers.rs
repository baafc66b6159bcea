//! The peer registry clients, driven as processes against the registry
//! under test: `oras blob push`/`oras blob fetch` (one blob per process,
//! digest given so oras does not hash the file first), and crane, which
//! has no blob-push command: it pushes an OCI layout whose one layer is the
//! blob file (hard-linked, not copied) and reads back with `crane blob`.
//! Both verify the digest while pulling; both stream files with sendfile.
//!
//! Each runs with an empty HOME and DOCKER_CONFIG (never the user's), the
//! front door as HTTPS proxy and the harness CA as SSL_CERT_FILE, so a
//! redirect to the blob host reaches Azurite as the registry's own does.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::blobs::{self, BenchBlob};
use crate::cleanup;
use crate::env::Environment;
use crate::install::{InstalledPeer, PeerTool};

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("{tool}: cannot prepare {path}: {source}")]
    Prepare {
        tool: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{tool} could not start: {source}")]
    Spawn {
        tool: &'static str,
        source: std::io::Error,
    },
    #[error("{tool} {action} exited with {status}: {last_line}")]
    Exited {
        tool: &'static str,
        action: &'static str,
        status: std::process::ExitStatus,
        last_line: String,
    },
}

pub struct PeerClient {
    tool: PeerTool,
    binary: PathBuf,
    /// `127.0.0.1:PORT/<repository>`
    reference: String,
    home: PathBuf,
    files: PathBuf,
    env: Vec<(String, String)>,
}

impl PeerClient {
    pub fn new(
        peer: &InstalledPeer,
        environment: &Environment,
        repository: &str,
        scratch: &Path,
    ) -> Result<Self, PeerError> {
        let tool = peer.tool;
        let home = scratch.join(format!("{}-home", tool.name()));
        let files = scratch.join(format!("{}-blobs", tool.name()));
        for dir in [&home, &home.join(".docker"), &files] {
            std::fs::create_dir_all(dir).map_err(|source| PeerError::Prepare {
                tool: tool.name(),
                path: dir.clone(),
                source,
            })?;
        }
        let host = environment
            .registry_url()
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let proxy = environment.front_door.proxy_url();
        let env = vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("HOME".into(), home.display().to_string()),
            (
                "DOCKER_CONFIG".into(),
                home.join(".docker").display().to_string(),
            ),
            (
                "SSL_CERT_FILE".into(),
                environment.ca_bundle().display().to_string(),
            ),
            ("HTTPS_PROXY".into(), proxy.clone()),
            ("https_proxy".into(), proxy),
            ("NO_PROXY".into(), "127.0.0.1,localhost".into()),
        ];
        Ok(PeerClient {
            tool,
            binary: peer.binary.clone(),
            reference: format!("{host}/{repository}"),
            home,
            files,
            env,
        })
    }

    /// How the peer uploads, for the report.
    pub fn upload_pattern(&self) -> &'static str {
        match self.tool {
            PeerTool::Oras => {
                "oras blob push: HEAD, POST, one PUT with the whole blob; a process per blob"
            }
            PeerTool::Crane => {
                "crane push of an OCI layout holding the blob: HEAD, POST, one PATCH with the whole blob, PUT, plus a 1-line config blob and a manifest; a process per blob"
            }
        }
    }

    /// Writes the row's blobs to files (and, for crane, a layout around
    /// each) before the push phase starts.
    pub async fn stage(&self, blobs: &[BenchBlob]) -> Result<(), PeerError> {
        let prepare = |path: &Path, source| PeerError::Prepare {
            tool: self.tool.name(),
            path: path.to_path_buf(),
            source,
        };
        let paths = blobs::write_files(&self.files, blobs)
            .await
            .map_err(|e| prepare(&self.files, e))?;
        if self.tool == PeerTool::Crane {
            for (blob, file) in blobs.iter().zip(&paths) {
                let layout = self.layout_dir(blob);
                write_layout(&layout, blob, file).map_err(|e| prepare(&layout, e))?;
            }
        }
        Ok(())
    }

    pub fn unstage(&self, blobs: &[BenchBlob]) {
        for blob in blobs {
            let _ = std::fs::remove_file(self.files.join(blob.hex()));
            let _ = std::fs::remove_dir_all(self.layout_dir(blob));
        }
    }

    fn layout_dir(&self, blob: &BenchBlob) -> PathBuf {
        self.files.join(format!("{}.layout", blob.hex()))
    }

    pub async fn push(&self, blob: &BenchBlob) -> Result<u64, PeerError> {
        let args: Vec<String> = match self.tool {
            PeerTool::Oras => vec![
                "blob".into(),
                "push".into(),
                "--plain-http".into(),
                "--no-tty".into(),
                format!("{}@{}", self.reference, blob.digest),
                self.files.join(blob.hex()).display().to_string(),
            ],
            PeerTool::Crane => vec![
                "push".into(),
                self.layout_dir(blob).display().to_string(),
                format!("{}:b-{}", self.reference, &blob.hex()[..20]),
            ],
        };
        self.run("push", &args).await?;
        Ok(blob.blob.size())
    }

    pub async fn pull(&self, blob: &BenchBlob) -> Result<u64, PeerError> {
        let reference = format!("{}@{}", self.reference, blob.digest);
        let args: Vec<String> = match self.tool {
            PeerTool::Oras => vec![
                "blob".into(),
                "fetch".into(),
                "--plain-http".into(),
                "--no-tty".into(),
                "-o".into(),
                "/dev/null".into(),
                reference,
            ],
            // crane writes the blob to stdout, which goes to /dev/null; it
            // verifies the digest at EOF and exits non-zero on a mismatch.
            PeerTool::Crane => vec!["blob".into(), reference],
        };
        self.run("pull", &args).await?;
        Ok(blob.blob.size())
    }

    async fn run(&self, action: &'static str, args: &[String]) -> Result<(), PeerError> {
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&self.home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let child = command.spawn().map_err(|source| PeerError::Spawn {
            tool: self.tool.name(),
            source,
        })?;
        let pgid = child.id().map(|id| id as i32);
        if let Some(pgid) = pgid {
            cleanup::register_process_group(pgid);
        }
        let output = child.wait_with_output().await;
        if let Some(pgid) = pgid {
            cleanup::forget_process_group(pgid);
        }
        let output = output.map_err(|source| PeerError::Spawn {
            tool: self.tool.name(),
            source,
        })?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(PeerError::Exited {
            tool: self.tool.name(),
            action,
            status: output.status,
            last_line: error_line(&stderr),
        })
    }
}

/// The line of a peer's stderr that says what went wrong: both print an
/// `Error:` line, which oras follows with a dashed box of details.
fn error_line(stderr: &str) -> String {
    stderr
        .lines()
        .rev()
        .find(|l| l.trim_start().to_ascii_lowercase().starts_with("error"))
        .map(|l| l.trim().to_string())
        .or_else(|| crate::process::last_meaningful_line(stderr.lines()))
        .unwrap_or_else(|| "(no output)".into())
}

/// An OCI image layout whose one layer is `file` (hard-linked), with a
/// minimal config naming it, so `crane push` uploads exactly the blob.
fn write_layout(dir: &Path, blob: &BenchBlob, file: &Path) -> std::io::Result<()> {
    let blobs = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs)?;
    let layer = blobs.join(blob.hex());
    if std::fs::hard_link(file, &layer).is_err() {
        std::fs::copy(file, &layer)?;
    }
    let put = |json: serde_json::Value| -> std::io::Result<(String, u64)> {
        let bytes = serde_json::to_vec(&json).map_err(std::io::Error::other)?;
        let digest = crate::digest::sha256_of(&bytes);
        std::fs::write(blobs.join(digest.trim_start_matches("sha256:")), &bytes)?;
        Ok((digest, bytes.len() as u64))
    };
    let (config, config_size) = put(serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [blob.digest]},
    }))?;
    let (manifest, manifest_size) = put(serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config,
            "size": config_size,
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": blob.digest,
            "size": blob.blob.size(),
        }],
    }))?;
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest,
                "size": manifest_size,
            }],
        }))
        .map_err(std::io::Error::other)?,
    )?;
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_line_wins_over_oras_dashed_box() {
        let oras = "Error: failed to push: PUT \"http://127.0.0.1:5000/v2/x\": response status code 500\n\
                    ----------------------------------------\nsome detail\n----------------------------------------\n";
        assert!(error_line(oras).starts_with("Error: failed to push: PUT"));
        assert_eq!(error_line("just this\n"), "just this");
        assert_eq!(error_line(""), "(no output)");
    }
}
