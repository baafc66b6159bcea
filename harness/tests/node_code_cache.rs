//! The V8 code cache Azurite starts from: a program run from the cache
//! behaves as without it, and the cache `install` writes is the one V8
//! accepts for Azurite's own modules.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn preload() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/install/node/code_cache.js")
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A small program with what Azurite's tree has: relative requires, a
/// package resolved through node_modules and its package.json, an ES module
/// loaded by `require` (Node's own path), a dynamic `import()` inside
/// CommonJS, and `require.resolve`.
fn program(dir: &Path) -> PathBuf {
    write(
        &dir.join("node_modules/dep/package.json"),
        r#"{"name":"dep","main":"lib/entry.js"}"#,
    );
    write(
        &dir.join("node_modules/dep/lib/entry.js"),
        "exports.name = 'dep'; exports.twice = (n) => n * 2;\n",
    );
    write(&dir.join("src/esm.mjs"), "export const answer = 42;\n");
    write(
        &dir.join("src/util.js"),
        "const dep = require('dep');\nmodule.exports = { sum: (a, b) => dep.twice(a) + b, dep: dep.name };\n",
    );
    let main = dir.join("src/main.js");
    write(
        &main,
        "const util = require('./util');\n\
         const path = require('path');\n\
         const resolved = path.relative(__dirname, require.resolve('dep'));\n\
         import('./esm.mjs').then((m) => {\n\
           console.log(JSON.stringify({ sum: util.sum(20, 2), dep: util.dep, resolved, answer: m.answer, main: require.main === module }));\n\
         });\n",
    );
    main
}

fn node(script: &Path, cache: &Path, produce: bool) -> Output {
    let mut command = Command::new("node");
    command
        .arg("--require")
        .arg(preload())
        .arg(script)
        .env("REGMATRIX_NODE_CODE_CACHE", cache)
        .env("REGMATRIX_NODE_CODE_CACHE_STATS", "1");
    if produce {
        command.env("REGMATRIX_NODE_CODE_CACHE_PRODUCE", "1");
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    output
}

/// "regmatrix code cache: A from cache, B compiled, C rejected, D left to node"
fn counts(output: &Output) -> [u32; 4] {
    counts_in(&String::from_utf8_lossy(&output.stderr))
}

fn counts_in(text: &str) -> [u32; 4] {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("regmatrix code cache: "))
        .unwrap_or_else(|| panic!("no stats line in {text}"));
    let numbers: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    numbers.try_into().unwrap()
}

#[test]
fn a_program_run_from_the_cache_prints_what_it_printed_when_the_cache_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let main = program(dir.path());
    let cache = dir.path().join("cache");
    let plain = Command::new("node").arg(&main).output().unwrap();
    assert!(plain.status.success(), "{plain:?}");
    let expected = String::from_utf8_lossy(&plain.stdout).to_string();
    assert!(
        expected.contains(r#""sum":42,"dep":"dep","resolved":"../node_modules/dep/lib/entry.js","answer":42,"main":true"#),
        "{expected}"
    );

    let produced = node(&main, &cache, true);
    assert_eq!(String::from_utf8_lossy(&produced.stdout), expected);
    // Nothing cached yet: two CommonJS files are compiled; main.js, which
    // has a dynamic import(), keeps Node's own path.
    assert_eq!(counts(&produced), [0, 2, 0, 1], "{produced:?}");

    let consumed = node(&main, &cache, false);
    assert_eq!(String::from_utf8_lossy(&consumed.stdout), expected);
    assert_eq!(counts(&consumed), [2, 0, 0, 1], "{consumed:?}");

    // A file changed since the cache was written is compiled from source.
    write(
        &dir.path().join("node_modules/dep/lib/entry.js"),
        "exports.name = 'dep2'; exports.twice = (n) => n * 2;\n",
    );
    let changed = node(&main, &cache, false);
    assert!(String::from_utf8_lossy(&changed.stdout).contains(r#""dep":"dep2""#));
    assert_eq!(counts(&changed), [1, 1, 0, 1], "{changed:?}");
}

#[tokio::test]
async fn the_installed_cache_is_accepted_for_azurites_modules() {
    let installer = regmatrix::install::Installer::from_env().unwrap();
    let azurite = installer
        .azurite(&indicatif::ProgressBar::hidden())
        .await
        .unwrap();
    let code_cache = azurite.code_cache.expect("install wrote no code cache");
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("azurite.log");
    let mut command = Command::new(&azurite.node);
    command.env_clear();
    code_cache.apply(&mut command, false);
    let mut child = command
        .arg(&azurite.blob_script)
        .args(["--blobHost", "127.0.0.1", "--blobPort", "0", "--silent"])
        .args(["--disableTelemetry", "--location"])
        .arg(data.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data.path())
        .env("REGMATRIX_NODE_CODE_CACHE_STATS", "1")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::options().append(true).open(&log).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("successfully listens on")
    {
        assert!(child.try_wait().unwrap().is_none(), "azurite exited");
        assert!(Instant::now() < deadline, "azurite did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(child.wait().unwrap().success());
    let text = std::fs::read_to_string(&log).unwrap();
    let [cached, compiled, rejected, _] = counts_in(&text);
    // Azurite loads about 1,100 modules by the time it listens; those that
    // are plain CommonJS come from the cache and V8 rejects none. The few
    // loaded after the listening line (telemetry set-up, shutdown) may have
    // been loaded after the install's run stopped, and are compiled.
    assert!(cached > 1000, "{text}");
    assert_eq!(rejected, 0, "{text}");
    assert!(compiled <= 50, "{text}");
}
