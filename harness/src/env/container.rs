//! The registry under test as a container (`--backend container`): the
//! version's image through testcontainers, on the host's network (Docker's
//! bridge networks use private addresses), the rendered config mounted
//! where the deployment mounts it, the run directory mounted at its own
//! path (the CA bundle and token files keep the paths the environment
//! names), the scenario's environment, its log appended to the same file a
//! process writes, and removal on drop (testcontainers), on a signal and at
//! exit (the owner label, `docker::remove_owned_now`). The config it mounts
//! carries a response header (`CONFIG_MARKER`), the proof that the
//! registry read that file and not the image's own.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use testcontainers::bollard::query_parameters::{
    KillContainerOptionsBuilder, RemoveContainerOptions, RemoveContainerOptionsBuilder,
};
use testcontainers::core::logs::LogFrame;
use testcontainers::core::{AccessMode, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::readiness::Watched;
use super::EnvError;
use crate::docker::image::{split_reference, RegistryImage};
use crate::docker::{Engine, OWNER_LABEL};

/// The line both major versions log once the API listens; testcontainers
/// waits for it (the debug server logs `debug server listening`, without `on`).
const LISTENING: &str = "listening on";

/// The response header the harness adds to a container's config: a
/// registry that answers without it is not running on that config.
pub const CONFIG_MARKER: &str = "X-Regmatrix-Config";

/// How a container run of the registry is set up.
pub struct ContainerLaunch<'a> {
    pub image: &'a RegistryImage,
    /// The rendered config on the host.
    pub config_file: &'a Path,
    /// Where in the container it is mounted.
    pub mount_at: &'a str,
    pub run_dir: &'a Path,
    pub env: Vec<(String, String)>,
    pub log_path: &'a Path,
    /// Replaces the image's command (a tool run: `garbage-collect ...`);
    /// `None` runs the image as deployed.
    pub command: Option<Vec<String>>,
    /// How long the image may take to log that it listens.
    pub ready_timeout: Duration,
}

/// Why a container did not come up.
#[derive(Debug)]
pub enum ContainerStartError {
    /// It ended before it listened.
    Exited {
        status: String,
    },
    TimedOut,
    Docker(String),
}

pub struct RegistryContainer {
    /// Boxed: testcontainers' handle is several times a process's size.
    container: Box<ContainerAsync<GenericImage>>,
    log_path: PathBuf,
    pid: Option<i32>,
}

impl RegistryContainer {
    pub async fn start(launch: ContainerLaunch<'_>) -> Result<Self, ContainerStartError> {
        let engine = Engine::get()
            .ok_or_else(|| ContainerStartError::Docker("no Docker engine was opened".into()))?;
        let (name, tag) = split_reference(&launch.image.reference);
        let wait = if launch.command.is_some() {
            WaitFor::Nothing
        } else {
            WaitFor::message_on_either_std(LISTENING)
        };
        let log = Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(launch.log_path)
                .map_err(|e| {
                    ContainerStartError::Docker(format!("{}: {e}", launch.log_path.display()))
                })?,
        ));
        crate::registry_log::delivered_later(launch.log_path);
        let container_name = format!("regmatrix-{}", hex::encode(rand::random::<[u8; 6]>()));
        let run_dir = launch.run_dir.display().to_string();
        let mut request = GenericImage::new(name, tag)
            .with_wait_for(wait)
            .with_network("host")
            .with_container_name(&container_name)
            .with_label(OWNER_LABEL, std::process::id().to_string())
            .with_mount(Mount::bind_mount(&run_dir, &run_dir))
            .with_mount(
                Mount::bind_mount(launch.config_file.display().to_string(), launch.mount_at)
                    .with_access_mode(AccessMode::ReadOnly),
            )
            .with_startup_timeout(launch.ready_timeout)
            .with_log_consumer(move |frame: &LogFrame| {
                let bytes = match frame {
                    LogFrame::StdOut(b) | LogFrame::StdErr(b) => b,
                };
                if let Ok(mut file) = log.lock() {
                    let _ = file.write_all(bytes);
                }
            });
        for (key, value) in launch.env {
            request = request.with_env_var(key, value);
        }
        if let Some(command) = launch.command {
            request = request.with_cmd(command);
        }
        let container = match request.start().await {
            Ok(container) => container,
            Err(error) => {
                // A timed-out start leaves the created container behind.
                if let Ok(docker) = engine.client() {
                    let _ = docker
                        .remove_container(&container_name, Some(force_removal()))
                        .await;
                }
                return Err(classify(error));
            }
        };
        let pid = match engine.client() {
            Ok(docker) => docker
                .inspect_container(container.id(), None)
                .await
                .ok()
                .and_then(|c| c.state)
                .and_then(|s| s.pid)
                .and_then(|pid| i32::try_from(pid).ok())
                .filter(|pid| *pid > 0),
            Err(_) => None,
        };
        Ok(RegistryContainer {
            container: Box::new(container),
            log_path: launch.log_path.to_path_buf(),
            pid,
        })
    }

    /// The registry's process id on the host (for its CPU time).
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }

    /// SIGTERM, up to `grace` to finish, then SIGKILL; removed after.
    pub async fn terminate(self, grace: Duration) {
        let seconds = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        let _ = self.container.stop_with_timeout(Some(seconds)).await;
        let _ = self.container.rm().await;
    }

    /// SIGKILL (a crash), then removed.
    pub async fn kill(self) {
        if let Some(docker) = Engine::get().and_then(|e| e.client().ok()) {
            let signal = KillContainerOptionsBuilder::default()
                .signal("KILL")
                .build();
            let _ = docker
                .kill_container(self.container.id(), Some(signal))
                .await;
        }
        let _ = self.container.rm().await;
    }
}

impl Watched for RegistryContainer {
    fn log_path(&self) -> &Path {
        &self.log_path
    }

    async fn exit_status(&mut self) -> Option<String> {
        match self.container.exit_code().await {
            Ok(Some(code)) => Some(format!("exit status: {code}")),
            _ => None,
        }
    }
}

fn force_removal() -> RemoveContainerOptions {
    RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build()
}

fn classify(error: testcontainers::TestcontainersError) -> ContainerStartError {
    use testcontainers::core::error::WaitContainerError;
    use testcontainers::core::logs::WaitLogError;
    use testcontainers::TestcontainersError as E;
    match error {
        E::WaitContainer(WaitContainerError::StartupTimeout) => ContainerStartError::TimedOut,
        E::WaitContainer(WaitContainerError::WaitLog(WaitLogError::EndOfStream(_))) => {
            ContainerStartError::Exited {
                status: "the container exited".into(),
            }
        }
        other => ContainerStartError::Docker(other.to_string()),
    }
}

/// What in the log shows that another config runs: the harness's config
/// sets `http.secret`, so a registry warning that none was provided reads
/// a config without one.
pub fn own_config_hint(log_tail: &[String]) -> String {
    log_tail
        .iter()
        .find(|l| l.contains("No HTTP secret provided"))
        .map(|_| "; registry log: \"No HTTP secret provided - generated random secret\" (the mounted config sets http.secret)".to_string())
        .unwrap_or_default()
}

/// The config with `CONFIG_MARKER: [marker]` added to `http.headers`
/// (the registry sets configured headers on every response).
pub fn with_marker(config_yaml: &str, marker: &str) -> Result<String, EnvError> {
    let invalid =
        |e: serde_yaml::Error| EnvError::io("add the config marker", std::io::Error::other(e));
    let mut doc: serde_yaml::Value = serde_yaml::from_str(config_yaml).map_err(invalid)?;
    let Some(root) = doc.as_mapping_mut() else {
        return Ok(config_yaml.to_string());
    };
    let http = root
        .entry("http".into())
        .or_insert_with(|| serde_yaml::Value::Mapping(Default::default()));
    if let Some(http) = http.as_mapping_mut() {
        let headers = http
            .entry("headers".into())
            .or_insert_with(|| serde_yaml::Value::Mapping(Default::default()));
        if let Some(headers) = headers.as_mapping_mut() {
            headers.insert(
                CONFIG_MARKER.into(),
                serde_yaml::Value::Sequence(vec![marker.into()]),
            );
        }
    }
    serde_yaml::to_string(&doc).map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_joins_the_configs_own_headers() {
        let with_headers = "version: 0.1\nhttp:\n  addr: 127.0.0.1:5000\n  headers:\n    X-Content-Type-Options: [nosniff]\n";
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&with_marker(with_headers, "abc").unwrap()).unwrap();
        assert_eq!(
            doc["http"]["headers"]["X-Content-Type-Options"][0],
            "nosniff"
        );
        assert_eq!(doc["http"]["headers"][CONFIG_MARKER][0], "abc");
        assert_eq!(doc["http"]["addr"], "127.0.0.1:5000");
        let bare: serde_yaml::Value =
            serde_yaml::from_str(&with_marker("version: 0.1\n", "x").unwrap()).unwrap();
        assert_eq!(bare["http"]["headers"][CONFIG_MARKER][0], "x");
    }

    #[test]
    fn the_own_config_hint_needs_the_missing_secret_warning() {
        let warned = vec![
            "level=warning msg=\"No HTTP secret provided - generated random secret.\"".to_string(),
        ];
        assert!(own_config_hint(&warned).contains("the mounted config sets http.secret"));
        assert_eq!(
            own_config_hint(&["listening on 127.0.0.1:5000".to_string()]),
            ""
        );
    }
}
