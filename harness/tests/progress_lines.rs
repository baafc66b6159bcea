//! Progress where a CI job reads it: with stderr not a terminal (here a
//! pipe), long work still says what it does, as plain timestamped lines;
//! `--quiet` silences it. Results stay on stdout either way.

mod common;

#[test]
fn a_piped_stderr_gets_plain_progress_lines_and_quiet_gets_none() {
    let piped = common::regmatrix()
        .args(["install", "--versions", "v3.1.1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success(), "{stderr}");
    let started = stderr
        .lines()
        .find(|l| l.ends_with("] registry v3.1.1"))
        .unwrap_or_else(|| panic!("no line for the registry install: {stderr}"));
    assert!(started.starts_with('['), "timestamped: {started}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "no bar redraws or escape codes in a log: {stderr:?}"
    );
    assert!(
        String::from_utf8_lossy(&piped.stdout).contains("v3.1.1: "),
        "the result is on stdout"
    );

    let quiet = common::regmatrix()
        .args(["--quiet", "install", "--versions", "v3.1.1"])
        .output()
        .unwrap();
    assert!(quiet.status.success());
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
}
