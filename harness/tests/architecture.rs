//! The layers of docs/ARCHITECTURE.md, held against the code: every
//! `crate::<module>` a library source file names must be in its own layer or
//! one below. A new top-level module must be given a layer here (the test
//! fails until it is), so the next change is checked against the same page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top-level library modules and their layer (higher imports lower).
const LAYERS: [(&str, u8); 27] = [
    ("runner", 7),
    ("upgrade", 7),
    ("soak", 7),
    ("bench", 7),
    ("inspect", 7),
    ("scenario", 6),
    ("env", 5),
    ("registry_config", 4),
    ("client", 4),
    ("storage", 4),
    ("install", 4),
    ("process", 4),
    ("docker", 4),
    ("registry_log", 4),
    ("payload", 4),
    ("migrate", 4),
    ("versions", 3),
    ("cache", 3),
    ("cleanup", 3),
    ("toolchain", 3),
    ("digest", 3),
    ("kid", 3),
    ("self_usage", 3),
    ("progress", 3),
    ("cpu", 3),
    ("pacing", 3),
    ("report", 2),
];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read harness/src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `runner` for `src/runner/mod.rs` and `src/runner.rs`; `None` for the
/// binary's own files (`main.rs`, `commands/`), which sit on top, and for
/// `lib.rs`, which only declares the modules.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "main" | "commands" | "lib")).then(|| name.to_string())
}

/// Every `crate::<name>` in `text`, outside comments.
fn crate_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `regmatrix_crate::` or `$crate::` are not this crate's paths.
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                && !name.is_empty()
            {
                found.push(name);
            }
            rest = after;
        }
    }
    found
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let layers: BTreeMap<&str, u8> = LAYERS.into_iter().collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let Some(&own) = layers.get(module.as_str()) else {
            problems.push(format!(
                "{}: module `{module}` has no layer in this test (see docs/ARCHITECTURE.md)",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read source");
        for name in crate_paths(&text) {
            if name == module {
                continue;
            }
            match layers.get(name.as_str()) {
                Some(&other) if other <= own => {}
                Some(&other) => problems.push(format!(
                    "{}: `{module}` (layer {own}) imports `crate::{name}` (layer {other}), a layer above it",
                    file.display()
                )),
                // An item of lib.rs itself, not a module.
                None => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scan_sees_an_import_that_runs_back_up() {
    let paths = crate_paths(
        "use crate::runner::Column; // crate::report in a comment\nlet x = regmatrix_crate::y;",
    );
    assert_eq!(paths, vec!["runner".to_string()]);
}
