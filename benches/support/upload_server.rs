//! Just enough of the distribution blob-upload API, over plain HTTP/1.1 on
//! tokio, for `RegistryClient`'s upload loops to run against:
//!
//! - `POST /v2/<repo>/blobs/uploads/` -> 202, `Location: .../uploads/<id>?_state=0`
//! - `PATCH .../uploads/<id>` -> 202, `Location` and `Range` for the bytes so far
//! - `PUT .../uploads/<id>?digest=...` (with or without a body) -> 201
//!
//! Hand-written rather than hyper so the server side costs as little as it
//! can (no per-request allocation of bodies, one read buffer per connection):
//! the benches mean to time the client. By default it only counts bytes;
//! `set_verify(true)` makes it also check `Content-Range` continuity and hash
//! every upload, answering `400 DIGEST_INVALID` when the claimed digest is not
//! the bytes', which the benches turn on for one untimed run so a client that
//! sends the wrong bytes cannot bench well.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Buf, BytesMut};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Request heads longer than this are refused; the client's are a few hundred bytes.
const MAX_HEAD: usize = 64 * 1024;
/// Large enough that a 32 MiB PATCH drains in few reads.
const DRAIN_BUFFER: usize = 1 << 20;

/// An upload the server committed (the last `PUT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub repository: String,
    pub bytes: u64,
    /// The `digest` the client claimed.
    pub digest: String,
    /// The bytes' own digest, when verifying.
    pub computed: Option<String>,
}

pub struct UploadServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

impl UploadServer {
    /// Binds 127.0.0.1 on a free port and serves on the current runtime.
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let serving = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                // Small PATCH responses must not wait for Nagle.
                let _ = socket.set_nodelay(true);
                let state = serving.clone();
                tokio::spawn(async move {
                    // A dropped connection surfaces as the client's transport
                    // error, which fails the bench; nothing to report here.
                    let _ = serve_connection(socket, state).await;
                });
            }
        });
        Ok(UploadServer {
            addr,
            state,
            accept,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Check `Content-Range` continuity and hash uploads from the next `POST` on.
    pub fn set_verify(&self, verify: bool) {
        self.state.verify.store(verify, Ordering::SeqCst);
    }

    pub fn last_commit(&self) -> Option<Commit> {
        lock(&self.state.last_commit).clone()
    }
}

impl Drop for UploadServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

#[derive(Default)]
struct State {
    verify: AtomicBool,
    next_id: AtomicU64,
    sessions: Mutex<HashMap<u64, Session>>,
    last_commit: Mutex<Option<Commit>>,
}

#[derive(Default)]
struct Session {
    received: u64,
    hasher: Option<Sha256>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Post,
    Patch,
    Put,
    Other,
}

enum BodyLength {
    Fixed(u64),
    Chunked,
}

struct Request {
    method: Method,
    path: String,
    query: String,
    body: BodyLength,
    /// Start of `Content-Range: <start>-<end>`.
    range_start: Option<u64>,
    close: bool,
}

impl Request {
    fn parse(head: &[u8]) -> io::Result<Self> {
        let text = std::str::from_utf8(head).map_err(|_| invalid("request head is not UTF-8"))?;
        let mut lines = text.split("\r\n");
        let mut request_line = lines.next().unwrap_or("").split(' ');
        let method = match request_line.next() {
            Some("POST") => Method::Post,
            Some("PATCH") => Method::Patch,
            Some("PUT") => Method::Put,
            _ => Method::Other,
        };
        let target = request_line.next().ok_or_else(|| invalid("no target"))?;
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut request = Request {
            method,
            path: path.to_string(),
            query: query.to_string(),
            body: BodyLength::Fixed(0),
            range_start: None,
            close: false,
        };
        for line in lines.filter(|l| !l.is_empty()) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                let length = value.parse().map_err(|_| invalid("bad Content-Length"))?;
                request.body = BodyLength::Fixed(length);
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
            {
                request.body = BodyLength::Chunked;
            } else if name.eq_ignore_ascii_case("content-range") {
                request.range_start = value.split('-').next().and_then(|s| s.parse().ok());
            } else if name.eq_ignore_ascii_case("connection") {
                request.close = value.eq_ignore_ascii_case("close");
            }
        }
        Ok(request)
    }

    /// `(repository, upload id)` for `/v2/<repo>/blobs/uploads/[<id>]`.
    fn upload(&self) -> Option<(&str, Option<u64>)> {
        let rest = self.path.strip_prefix("/v2/")?;
        let (repository, id) = rest.split_once("/blobs/uploads/")?;
        Some((repository, id.parse().ok()))
    }

    fn query_param(&self, name: &str) -> Option<String> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.replace("%3A", ":").replace("%3a", ":"))
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Where one request's body bytes go: a count, and a hash when verifying.
struct Sink {
    bytes: u64,
    hasher: Option<Sha256>,
}

impl Sink {
    fn feed(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(data);
        }
    }
}

async fn serve_connection(mut socket: TcpStream, state: Arc<State>) -> io::Result<()> {
    let mut buffer = BytesMut::with_capacity(16 * 1024);
    let mut scratch = vec![0u8; DRAIN_BUFFER];
    loop {
        let head_len = loop {
            if let Some(end) = find(&buffer, b"\r\n\r\n") {
                break end + 4;
            }
            if buffer.len() > MAX_HEAD {
                return Err(invalid("request head too long"));
            }
            if socket.read_buf(&mut buffer).await? == 0 {
                return Ok(());
            }
        };
        let head = buffer.split_to(head_len);
        let request = Request::parse(&head)?;
        let mut sink = state.begin(&request);
        match request.body {
            BodyLength::Fixed(length) => {
                drain(&mut socket, &mut buffer, &mut scratch, length, &mut sink).await?
            }
            BodyLength::Chunked => {
                drain_chunked(&mut socket, &mut buffer, &mut scratch, &mut sink).await?
            }
        }
        let response = state.finish(&request, sink);
        socket.write_all(response.as_bytes()).await?;
        if request.close {
            return Ok(());
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Consumes `length` body bytes: what the head's read already buffered, then
/// straight from the socket into a reused buffer.
async fn drain(
    socket: &mut TcpStream,
    buffer: &mut BytesMut,
    scratch: &mut [u8],
    length: u64,
    sink: &mut Sink,
) -> io::Result<()> {
    let buffered = (buffer.len() as u64).min(length) as usize;
    sink.feed(&buffer[..buffered]);
    buffer.advance(buffered);
    let mut remaining = length - buffered as u64;
    while remaining > 0 {
        let want = (remaining as usize).min(scratch.len());
        let got = socket.read(&mut scratch[..want]).await?;
        if got == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        sink.feed(&scratch[..got]);
        remaining -= got as u64;
    }
    Ok(())
}

/// `Transfer-Encoding: chunked`. The client sends `Content-Length` for every
/// upload today; this is here so a client that stopped doing so would still
/// be measured rather than hang.
async fn drain_chunked(
    socket: &mut TcpStream,
    buffer: &mut BytesMut,
    scratch: &mut [u8],
    sink: &mut Sink,
) -> io::Result<()> {
    loop {
        let line = read_line(socket, buffer).await?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(socket, buffer).await?.is_empty() {}
            return Ok(());
        }
        drain(socket, buffer, scratch, size, sink).await?;
        if !read_line(socket, buffer).await?.is_empty() {
            return Err(invalid("chunk not followed by CRLF"));
        }
    }
}

async fn read_line(socket: &mut TcpStream, buffer: &mut BytesMut) -> io::Result<String> {
    loop {
        if let Some(end) = find(buffer, b"\r\n") {
            let line = buffer.split_to(end + 2);
            return Ok(String::from_utf8_lossy(&line[..end]).into_owned());
        }
        if buffer.len() > MAX_HEAD {
            return Err(invalid("line too long"));
        }
        if socket.read_buf(buffer).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
}

impl State {
    /// Takes the upload's hasher for the duration of the body, so the lock is
    /// not held while bytes arrive.
    fn begin(&self, request: &Request) -> Sink {
        let hasher = match (request.method, request.upload()) {
            (Method::Patch | Method::Put, Some((_, Some(id)))) => lock(&self.sessions)
                .get_mut(&id)
                .and_then(|session| session.hasher.take()),
            _ => None,
        };
        Sink { bytes: 0, hasher }
    }

    fn finish(&self, request: &Request, sink: Sink) -> String {
        let verify = self.verify.load(Ordering::SeqCst);
        let Some((repository, id)) = request.upload() else {
            return error(404, "NAME_UNKNOWN", "not an upload path");
        };
        match (request.method, id) {
            (Method::Post, None) => {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                let session = Session {
                    received: 0,
                    hasher: verify.then(Sha256::new),
                };
                lock(&self.sessions).insert(id, session);
                accepted(repository, id, 0)
            }
            (Method::Patch, Some(id)) => {
                let mut sessions = lock(&self.sessions);
                let Some(session) = sessions.get_mut(&id) else {
                    return error(404, "BLOB_UPLOAD_UNKNOWN", "no such upload");
                };
                if verify && request.range_start != Some(session.received) {
                    return error(
                        416,
                        "BLOB_UPLOAD_INVALID",
                        "Content-Range is not contiguous",
                    );
                }
                session.received += sink.bytes;
                session.hasher = sink.hasher;
                accepted(repository, id, session.received)
            }
            (Method::Put, Some(id)) => {
                let Some(session) = lock(&self.sessions).remove(&id) else {
                    return error(404, "BLOB_UPLOAD_UNKNOWN", "no such upload");
                };
                let Some(digest) = request.query_param("digest") else {
                    return error(400, "DIGEST_INVALID", "no digest");
                };
                let computed = sink
                    .hasher
                    .map(|h| format!("sha256:{}", hex::encode(h.finalize())));
                if computed.as_ref().is_some_and(|c| *c != digest) {
                    return error(400, "DIGEST_INVALID", "digest does not match the bytes");
                }
                *lock(&self.last_commit) = Some(Commit {
                    repository: repository.to_string(),
                    bytes: session.received + sink.bytes,
                    digest: digest.clone(),
                    computed,
                });
                format!(
                    "HTTP/1.1 201 Created\r\nLocation: /v2/{repository}/blobs/{digest}\r\n\
                     Docker-Content-Digest: {digest}\r\nContent-Length: 0\r\n\r\n"
                )
            }
            _ => error(405, "UNSUPPORTED", "method not allowed here"),
        }
    }
}

fn accepted(repository: &str, id: u64, received: u64) -> String {
    format!(
        "HTTP/1.1 202 Accepted\r\nLocation: /v2/{repository}/blobs/uploads/{id}?_state={received}\r\n\
         Range: 0-{}\r\nDocker-Upload-UUID: {id}\r\nContent-Length: 0\r\n\r\n",
        received.saturating_sub(1)
    )
}

fn error(status: u16, code: &str, message: &str) -> String {
    let body = format!(r#"{{"errors":[{{"code":"{code}","message":"{message}"}}]}}"#);
    format!(
        "HTTP/1.1 {status} Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}
