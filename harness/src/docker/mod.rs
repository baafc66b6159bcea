//! The Docker engine the container backend runs registries on, found as the
//! Docker CLI finds it (`DOCKER_HOST`, else `/var/run/docker.sock`), and
//! reached by testcontainers through the version adapter (`adapter`). It
//! knows engines and images, not registries or scenarios.

pub mod adapter;
pub mod image;

use std::io::{Read, Write};

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use testcontainers::bollard;

use adapter::{ApiVersion, EngineAddress};

const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// How long the engine may take to answer `/version` before the backend
/// is declared unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Per request at a signal: the engine answers a forced removal once done.
const REMOVE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("--backend container needs a Docker engine: {host} does not answer ({detail}); start dockerd or set DOCKER_HOST")]
    Unreachable { host: String, detail: String },
    #[error(
        "DOCKER_HOST={host} is not supported: use unix:///path or tcp://host:port without TLS"
    )]
    UnsupportedHost { host: String },
    #[error("cannot set up the Docker adapter socket: {0}")]
    Adapter(String),
    #[error(
        "image {reference} is not on the Docker engine at {host} and pulling it failed: {detail}"
    )]
    ImageUnavailable {
        reference: String,
        host: String,
        detail: String,
    },
    #[error("Docker engine at {host}: {what}: {detail}")]
    Api {
        host: String,
        what: String,
        detail: String,
    },
    #[error("cannot build image {reference}: {detail}")]
    Build { reference: String, detail: String },
    /// An earlier `Engine::open` in this process failed; its words.
    #[error("{0}")]
    Unavailable(String),
}

/// The engine of this process: where it is, its API version, and the
/// adapter socket testcontainers is pointed at.
#[derive(Debug)]
pub struct Engine {
    pub address: EngineAddress,
    pub api_version: ApiVersion,
    /// `unix://` path of the adapter; `DOCKER_HOST` names it for testcontainers.
    pub adapter_socket: PathBuf,
}

static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();

impl Engine {
    /// Finds the engine, checks that it answers, starts the adapter and
    /// points testcontainers at it. Once per process; call it before the
    /// async runtime starts its threads (it sets `DOCKER_HOST` for this
    /// process, which testcontainers reads on first use).
    pub fn open() -> Result<&'static Engine, DockerError> {
        let opened = ENGINE.get_or_init(|| Engine::start().map_err(|e| e.to_string()));
        opened
            .as_ref()
            .map_err(|detail| DockerError::Unavailable(detail.clone()))
    }

    /// The engine opened earlier in this process, if any.
    pub fn get() -> Option<&'static Engine> {
        ENGINE.get().and_then(|e| e.as_ref().ok())
    }

    fn start() -> Result<Engine, DockerError> {
        let host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_HOST.to_string());
        let address = EngineAddress::parse(&host)?;
        if std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty() && v != "0") {
            // The adapter speaks plain HTTP to the engine.
            return Err(DockerError::UnsupportedHost {
                host: format!("{host} with DOCKER_TLS_VERIFY"),
            });
        }
        let dir = tempfile::Builder::new()
            .prefix("regmatrix-docker-")
            .tempdir()
            .map_err(|e| DockerError::Adapter(e.to_string()))?
            .keep();
        crate::cleanup::register_directory(&dir);
        // Containers are found by their owner label, so one still being
        // created at a signal goes too.
        crate::cleanup::register_teardown(remove_owned_now);
        let socket = dir.join("engine.sock");
        let (ready, answer) = std::sync::mpsc::channel();
        let (engine, listen) = (address.clone(), socket.clone());
        std::thread::Builder::new()
            .name("regmatrix-docker-adapter".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(DockerError::Adapter(e.to_string())));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let version = match adapter::engine_version(&engine).await {
                        Ok(version) => version,
                        Err(e) => {
                            let _ = ready.send(Err(e));
                            return;
                        }
                    };
                    let listener = match tokio::net::UnixListener::bind(&listen) {
                        Ok(listener) => listener,
                        Err(e) => {
                            let _ = ready.send(Err(DockerError::Adapter(format!(
                                "{}: {e}",
                                listen.display()
                            ))));
                            return;
                        }
                    };
                    let _ = ready.send(Ok(version));
                    adapter::serve(listener, engine, version).await;
                });
            })
            .map_err(|e| DockerError::Adapter(e.to_string()))?;
        let api_version =
            answer
                .recv_timeout(CONNECT_TIMEOUT)
                .map_err(|_| DockerError::Unreachable {
                    host: address.to_string(),
                    detail: format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                })??;
        // SAFETY of intent: called before the runtime's worker threads
        // exist (see `open`); testcontainers reads it on first use.
        std::env::set_var("DOCKER_HOST", format!("unix://{}", socket.display()));
        Ok(Engine {
            address,
            api_version,
            adapter_socket: socket,
        })
    }

    /// A bollard client for the harness's own calls (inspect, kill, build),
    /// through the adapter like testcontainers'.
    pub fn client(&self) -> Result<bollard::Docker, DockerError> {
        bollard::Docker::connect_with_unix(
            &self.adapter_socket.display().to_string(),
            120,
            bollard::API_DEFAULT_VERSION,
        )
        .map_err(|e| self.api_error("connect", e))
    }

    pub fn api_error(&self, what: &str, detail: impl std::fmt::Display) -> DockerError {
        DockerError::Api {
            host: self.address.to_string(),
            what: what.to_string(),
            detail: detail.to_string(),
        }
    }
}

/// The label every container the harness starts carries, with this
/// process's id: what `remove_owned_now` finds them by.
pub const OWNER_LABEL: &str = "org.regmatrix.owner-pid";

/// Removes every container this process started, at once and without an
/// async runtime: the signal handler's way (destructors do not run on
/// SIGINT), and the last step of every exit. Errors are ignored: a
/// container already gone is what was wanted.
pub fn remove_owned_now() {
    let Some(engine) = Engine::get() else {
        return;
    };
    let filters = format!(r#"{{"label":["{OWNER_LABEL}={}"]}}"#, std::process::id());
    let list = format!(
        "GET /containers/json?all=1&filters={} HTTP/1.0\r\nHost: docker\r\n\r\n",
        url::form_urlencoded::byte_serialize(filters.as_bytes()).collect::<String>()
    );
    let Ok(answer) = engine_request(&engine.address, &list) else {
        return;
    };
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let ids: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(body)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.get("Id").and_then(|id| id.as_str()).map(str::to_string))
        .collect();
    for id in ids {
        let _ = engine_request(
            &engine.address,
            &format!("DELETE /containers/{id}?force=1&v=1 HTTP/1.0\r\nHost: docker\r\n\r\n"),
        );
    }
}

/// One HTTP/1.0 exchange with the engine itself (not the adapter, whose
/// thread may be gone): the request written, the whole answer read.
fn engine_request(address: &EngineAddress, request: &str) -> std::io::Result<String> {
    let answer = match address {
        EngineAddress::Unix(path) => {
            let stream = std::os::unix::net::UnixStream::connect(path)?;
            stream.set_read_timeout(Some(REMOVE_TIMEOUT))?;
            exchange(stream, request)?
        }
        EngineAddress::Tcp(address) => {
            let stream = std::net::TcpStream::connect(address)?;
            stream.set_read_timeout(Some(REMOVE_TIMEOUT))?;
            exchange(stream, request)?
        }
    };
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

fn exchange<S: Read + Write>(mut stream: S, request: &str) -> std::io::Result<Vec<u8>> {
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    // To the end (HTTP/1.0: the engine closes): a removal is answered once done.
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}
