//! `--versions` sets resolved against a Go module proxy: a loopback
//! stand-in that serves release lists and `.info` files as the real proxy
//! does (a list that misses tags it would serve, 404 for the rest), and no
//! proxy at all (the cache's builds stand in, with a warning).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

/// A proxy whose lists miss v2.8.0, v2.8.2, alpha.1, rc.1 and v3.1.2,
/// which it serves all the same.
fn fake_proxy() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                line.clear();
            }
            let served = [
                "v2.8.0+incompatible",
                "v2.8.1+incompatible",
                "v2.8.2+incompatible",
                "v2.8.3+incompatible",
                "v3.0.0-alpha.1",
                "v3.0.0-rc.1",
                "v3.0.0",
                "v3.1.1",
                "v3.1.2",
            ];
            let body = match path.as_str() {
                "/github.com/docker/distribution/@v/list" => {
                    Some("v2.7.1+incompatible\nv2.8.1+incompatible\nv2.8.3+incompatible\n".into())
                }
                "/github.com/distribution/distribution/v3/@v/list" => {
                    Some("v3.0.0\nv3.1.1\n".to_string())
                }
                p => p
                    .strip_suffix(".info")
                    .and_then(|p| p.rsplit('/').next())
                    .filter(|tag| served.contains(tag))
                    .map(|tag| format!("{{\"Version\":\"{tag}\"}}")),
            };
            let mut stream = stream;
            let _ = match body {
                Some(body) => write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
                None => write!(
                    stream,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
            };
        }
    });
    url
}

fn versions(proxy: &str, cache: &Path, set: &str) -> (i32, String, String) {
    let output = common::regmatrix()
        .args(["--quiet", "versions", "--versions", set])
        .env("GOPROXY", proxy)
        .env("REGMATRIX_CACHE", cache)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn sets_resolve_against_the_proxy_and_its_unlisted_releases() {
    let proxy = fake_proxy();
    let cache = tempfile::tempdir().unwrap();
    for (set, expected) in [
        ("default", "v2.8.3,v3.0.0-alpha.1,v3.0.0,v3.1.2"),
        ("latest", "v3.1.2"),
        (
            "all",
            "v2.8.0,v2.8.1,v2.8.2,v2.8.3,v3.0.0-alpha.1,v3.0.0-rc.1,v3.0.0,v3.1.1,v3.1.2",
        ),
        (">=v3.0.0", "v3.0.0,v3.1.1,v3.1.2"),
        ("v2.8.*,!v2.8.0, latest", "v2.8.1,v2.8.2,v2.8.3,v3.1.2"),
    ] {
        let (code, stdout, stderr) = versions(&proxy, cache.path(), set);
        assert_eq!(code, 0, "{set}: {stderr}");
        assert_eq!(stdout, expected, "{set}");
        assert!(!stderr.contains("warning"), "{set}: {stderr}");
    }
}

#[test]
fn a_set_that_matches_nothing_is_one_line_and_exit_2() {
    let proxy = fake_proxy();
    let cache = tempfile::tempdir().unwrap();
    let (code, _, stderr) = versions(&proxy, cache.path(), "v3.2.*");
    assert_eq!(code, 2, "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("\"v3.2.*\" matches none"), "{stderr}");
}

#[test]
fn offline_the_cached_builds_stand_in_and_a_warning_says_so() {
    // A port nobody listens on.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let cache = tempfile::tempdir().unwrap();
    for tag in ["v3.0.0", "v3.1.1"] {
        let dir = cache.path().join("registry").join(tag);
        std::fs::create_dir_all(&dir).unwrap();
        let binary = dir.join("registry");
        std::fs::write(&binary, "").unwrap();
        std::fs::write(
            dir.join("install.json"),
            format!(
                r#"{{"tag":"{tag}","binary":{:?},"version_line":"x"}}"#,
                binary.display().to_string()
            ),
        )
        .unwrap();
    }
    let (code, stdout, stderr) = versions(&closed, cache.path(), "latest");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "v3.1.1");
    let warning = stderr
        .lines()
        .find(|l| l.contains("warning"))
        .unwrap_or_else(|| panic!("no warning: {stderr}"));
    assert!(
        warning.contains("the versions built in the cache: v3.0.0, v3.1.1"),
        "{warning}"
    );
}
