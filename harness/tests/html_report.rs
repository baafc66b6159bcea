//! The HTML report: one page that fetches nothing, names every scenario,
//! escapes whatever the report says, and works in a real browser. The browser
//! tests drive Debian's headless Chromium (`apt-get install -y chromium`;
//! `ci/test` installs it): a cell named in the URL fragment opens in the
//! detail panel, the area and outcome filters hide rows, and a screenshot is
//! kept as `target/html-report-screenshot.png`.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use regmatrix::report::{html, Cell, MatrixReport, Outcome};

const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

fn committed_report() -> MatrixReport {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../reports/matrix.json"
    ));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `CARGO_TARGET_DIR` when set, else the workspace's `target/`.
fn artifact_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The ids of the matrix rows, top to bottom.
fn row_order(html: &str) -> Vec<String> {
    html.split("<tr data-scenario=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

/// How Chromium serializes a text node: only `&`, `<`, `>` and no-break
/// spaces are escaped.
fn dom_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

/// The `#details` panel's markup in a dumped DOM.
fn details_panel(dom: &str) -> &str {
    let start = dom
        .find("id=\"details\"")
        .unwrap_or_else(|| panic!("no #details in the DOM:\n{dom}"));
    let end = start + dom[start..].find("</section>").unwrap();
    &dom[start..end]
}

/// The whole opening tag around the first occurrence of `needle`.
fn tag_containing<'a>(dom: &'a str, needle: &str) -> &'a str {
    let at = dom
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle} in the DOM"));
    let start = dom[..at].rfind('<').unwrap();
    let end = at + dom[at..].find('>').unwrap();
    &dom[start..=end]
}

/// The opening tag of the element whose attributes start with `attrs`.
fn opening_tag<'a>(dom: &'a str, attrs: &str) -> &'a str {
    let start = dom
        .find(attrs)
        .unwrap_or_else(|| panic!("no element with {attrs} in the DOM"));
    let end = start + dom[start..].find('>').unwrap();
    &dom[start..end]
}

#[test]
fn page_fetches_nothing_and_names_every_scenario_on_every_version() {
    let report = committed_report();
    let page = html::render(&report);
    let lower = page.to_lowercase();
    for forbidden in [
        "<script src",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "@import",
        "url(",
        " src=",
        "xmlns",
    ] {
        assert!(
            !lower.contains(forbidden),
            "the page must load nothing, but it contains {forbidden:?}"
        );
    }
    // Links to upstream issues and code are navigation, not fetches: only
    // anchors to http(s), or to the files a cell kept next to the report
    // (`cells/...`: the conformance suite's reports), that hand nothing to
    // the target.
    for (at, _) in lower.match_indices("href=") {
        let start = page[..at].rfind('<').unwrap();
        let tag = &page[start..at + page[at..].find('>').unwrap()];
        assert!(
            tag.starts_with("<a href=\"https://")
                || tag.starts_with("<a href=\"http://")
                || tag.starts_with("<a href=\"cells/"),
            "only anchors link, and only to http(s) or kept cell files: {tag}"
        );
        assert!(
            tag.ends_with(" rel=\"noopener noreferrer\""),
            "a link hands nothing to its target: {tag}"
        );
    }
    assert!(
        page.contains(
            "http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;"
        ),
        "the page forbids every fetch in its CSP"
    );
    assert_eq!(page.matches("<script").count(), 1, "one inline script");
    for scenario in &report.scenarios {
        assert!(
            page.contains(&format!("<tr data-scenario=\"{}\"", scenario.id)),
            "no row for {}",
            scenario.id
        );
    }
    assert_eq!(
        page.matches("<td class=\"cell ").count(),
        report.cells.len(),
        "one cell per scenario and column"
    );
    let cell = &report.cells[0];
    let area = cell.scenario.split_once('/').unwrap().0;
    assert!(
        page.contains(&format!(
            "data-scenario=\"{}\" data-version=\"{}\" data-outcome=\"{}\" data-expected=\"{}\" data-area=\"{area}\"",
            cell.scenario,
            cell.column(), cell.outcome, cell.expected
        )),
        "the cell's filter attributes"
    );
    for id in ["filter-area", "filter-version", "filter-outcome", "details"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    // Steps' exchanges cut to 20 each: the page grows with the report it
    // renders (compact JSON), by at most half again for markup.
    let json = serde_json::to_string(&report).unwrap().len();
    assert!(
        page.len() < json + json / 2 + 100_000,
        "page is {} bytes for a {json}-byte report",
        page.len()
    );
}

#[test]
fn report_text_is_escaped_wherever_it_lands() {
    let mut report = committed_report();
    report.scenarios[0].title = "<i>title</i>".into();
    let cell = &mut report.cells[0];
    cell.evidence = r#"<b>"&"#.into();
    cell.expected_because = Some("</script><script>alert(1)</script>".into());
    cell.registry_log = vec!["<img src=x onerror=alert(1)>".into()];
    if let Some(step) = cell.steps.first_mut() {
        step.summary = "pushed <blob> & \"more\"".into();
    }
    let page = html::render(&report);
    for raw in [
        r#"<b>"&"#,
        "<i>title",
        "</script><script>alert",
        "<img src=x",
        "pushed <blob>",
    ] {
        assert!(!page.contains(raw), "{raw:?} reached the page unescaped");
    }
    for escaped in [
        "&lt;b&gt;&quot;&amp;",
        "&lt;i&gt;title&lt;/i&gt;",
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
    ] {
        assert!(page.contains(escaped), "{escaped:?} missing");
    }
    assert_eq!(page.matches("<script").count(), 1, "one inline script");
}

#[test]
fn security_rows_lead_then_unexpected_rows() {
    let mut report = committed_report();
    // The version grid's rows: scenarios with a single-version cell.
    let single = |report: &MatrixReport, id: &str| {
        report
            .cells
            .iter()
            .any(|c| c.scenario == id && c.path.is_none())
    };
    // Make the last scenario that neither alarms nor surprises surprise us.
    let surprise =
        report
            .scenarios
            .iter()
            .rev()
            .filter(|s| single(&report, &s.id))
            .find(|s| {
                report.cells.iter().filter(|c| c.scenario == s.id).all(|c| {
                    c.as_expected() && !c.outcome.is_alarm() && c.outcome != Outcome::Error
                })
            })
            .expect("a scenario whose cells are all as expected")
            .id
            .clone();
    let cell: &mut Cell = report
        .cells
        .iter_mut()
        .find(|c| c.scenario == surprise)
        .unwrap();
    cell.outcome = if cell.expected == Outcome::Pass {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    // Alarms (security, data-loss), then harness errors and surprises.
    let group = |id: &str| {
        let mut cells = report.cells.iter().filter(|c| c.scenario == id);
        if cells.clone().any(|c| c.outcome.is_alarm()) {
            0
        } else if cells.any(|c| !c.as_expected() || c.outcome == Outcome::Error) {
            1
        } else {
            2
        }
    };
    let mut expected: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| single(&report, &s.id))
        .map(|s| s.id.clone())
        .collect();
    expected.sort_by_key(|id| group(id));

    let page = html::render(&report);
    let version_grid = page
        .split("<table class=\"matrix\" id=\"paths\"")
        .next()
        .unwrap();
    let rows = row_order(version_grid);
    assert_eq!(
        rows, expected,
        "security rows, then unexpected, then the rest"
    );
    let at = rows.iter().position(|id| *id == surprise).unwrap();
    assert!(
        rows[at + 1..].iter().all(|id| group(id) == 2),
        "{surprise} comes before every unsurprising row: {rows:?}"
    );
    let unexpected = report.cells.iter().filter(|c| !c.as_expected()).count();
    let phrase = if unexpected == 1 {
        "1 cell differs from the scenario".to_string()
    } else {
        format!("{unexpected} cells differ from the scenario")
    };
    assert!(page.contains(&phrase), "header counts the surprise");
}

// ---- In a real browser -------------------------------------------------

/// Debian's `chromium` (or `chromium-browser`) on PATH.
fn chromium_binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "the HTML report's browser tests need headless Chromium, and neither `chromium` nor \
         `chromium-browser` is on PATH. Install Debian's package: \
         `apt-get install -y chromium` (as root; ci/test does this)"
    );
}

/// One headless Chromium run: its own process group and profile, killed
/// after `CHROMIUM_TIMEOUT`, and no process of it left behind.
struct ChromiumRun {
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
}

fn run_chromium(work: &Path, url: &str, extra: &[String]) -> ChromiumRun {
    use std::os::unix::process::CommandExt;
    let binary = chromium_binary();
    let profile = tempfile::Builder::new()
        .prefix("chromium-profile-")
        .tempdir_in(work)
        .unwrap();
    let stdout_path = profile.path().join("stdout");
    let stderr_path = profile.path().join("stderr");
    let mut command = Command::new(&binary);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--virtual-time-budget=2000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("data").display()
        ))
        .args(extra)
        .arg(url)
        // Chromium's crash handler keeps its database under XDG_CONFIG_HOME.
        .env("XDG_CONFIG_HOME", profile.path().join("config"))
        .env("XDG_CACHE_HOME", profile.path().join("cache"))
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .process_group(0);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let group = Pid::from_raw(child.id() as i32);
    let deadline = Instant::now() + CHROMIUM_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = killpg(group, Signal::SIGKILL);
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    end_leftovers(group, profile.path());
    ChromiumRun {
        status,
        stdout: std::fs::read_to_string(&stdout_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
    }
}

/// Live processes this run started: in its process group, or (the crash
/// handler, which starts a session of its own) naming its profile.
fn leftovers(group: Pid, profile: &Path) -> Vec<(i32, String)> {
    let marker = profile.to_string_lossy().into_owned();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // After the `(comm)`: state, ppid, pgrp, ...
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        if fields.first() == Some(&"Z") || fields.first() == Some(&"X") {
            continue;
        }
        let pgrp: i32 = fields.get(2).and_then(|f| f.parse().ok()).unwrap_or(0);
        let cmdline = std::fs::read(entry.path().join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        if pgrp == group.as_raw() || cmdline.contains(&marker) {
            out.push((pid, cmdline));
        }
    }
    out
}

fn end_leftovers(group: Pid, profile: &Path) {
    // Helpers exit on their own once the browser has; give them a moment.
    let grace = Instant::now() + Duration::from_secs(3);
    while !leftovers(group, profile).is_empty() && Instant::now() < grace {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = killpg(group, Signal::SIGKILL);
    for (pid, _) in leftovers(group, profile) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let gone = Instant::now() + Duration::from_secs(5);
    loop {
        let left = leftovers(group, profile);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < gone,
            "Chromium processes outlived the test: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes the page for `report` into a fresh directory and returns the
/// directory and the page's `file://` URL (without fragment).
fn page_on_disk(report: &MatrixReport) -> (tempfile::TempDir, String) {
    let dir = tempfile::Builder::new()
        .prefix("html-report-")
        .tempdir()
        .unwrap();
    let path = dir.path().join("matrix.html");
    std::fs::write(&path, html::render(report)).unwrap();
    let url = format!("file://{}", path.display());
    (dir, url)
}

fn fragment_value(text: &str) -> String {
    text.replace('/', "%2F").replace('@', "%40")
}

fn dump_dom(work: &Path, url: &str) -> String {
    let run = run_chromium(work, url, &["--dump-dom".to_string()]);
    assert!(
        run.status.is_some_and(|s| s.success()),
        "chromium --dump-dom {url} ended with {:?} (killed after {CHROMIUM_TIMEOUT:?} when None); stderr:\n{}",
        run.status,
        run.stderr
    );
    assert!(
        run.stdout.contains("data-ready=\"true\""),
        "the page's script did not finish (a CSP hash mismatch blocks it); stderr:\n{}\nDOM head:\n{}",
        run.stderr,
        &run.stdout[..run.stdout.len().min(2000)]
    );
    run.stdout
}

/// The cell a reader would open first: the first with a registry log and
/// a stated reason for its expectation, or else the first cell.
fn telling_cell(report: &MatrixReport) -> &Cell {
    report
        .cells
        .iter()
        .find(|c| !c.registry_log.is_empty() && c.expected_because.is_some())
        .unwrap_or(&report.cells[0])
}

#[test]
fn chromium_opens_the_cell_named_in_the_fragment() {
    let report = committed_report();
    let cell = telling_cell(&report);
    let (dir, url) = page_on_disk(&report);
    let key = format!("{}@{}", cell.scenario, cell.column());
    let dom = dump_dom(dir.path(), &format!("{url}#open={}", fragment_value(&key)));

    let panel = details_panel(&dom);
    assert!(
        panel.contains(&format!(
            "data-scenario=\"{}\" data-version=\"{}\"",
            cell.scenario,
            cell.column()
        )),
        "the panel shows another cell:\n{panel}"
    );
    assert!(
        panel.contains(&dom_text(&cell.evidence)),
        "the panel lacks {key}'s evidence:\n{panel}"
    );
    if let Some(because) = &cell.expected_because {
        assert!(panel.contains(&dom_text(because)), "no expected_because");
    }
    for line in &cell.registry_log {
        assert!(panel.contains(&dom_text(line)), "log line {line:?} missing");
    }
    for step in &cell.steps {
        assert!(panel.contains(&dom_text(&step.summary)), "step missing");
    }
    assert!(panel.contains("Storage traffic") && panel.contains("Identity"));
    let td = tag_containing(
        &dom,
        &format!(
            "data-scenario=\"{}\" data-version=\"{}\" data-outcome=",
            cell.scenario,
            cell.column()
        ),
    );
    assert!(
        td.contains(" selected\""),
        "the opened cell is marked: {td}"
    );
    assert_eq!(dom.matches(" selected\"").count(), 1, "one cell is marked");
}

#[test]
fn chromium_filters_by_area_version_and_outcome_from_the_fragment() {
    let report = committed_report();
    let storage_fails = |version: &str| {
        report
            .cells
            .iter()
            .filter(|c| {
                c.column() == version
                    && c.scenario.starts_with("storage/")
                    && c.outcome == Outcome::Fail
            })
            .count()
    };
    // The version with the most storage failures, so some rows stay.
    let version = report
        .versions
        .iter()
        .max_by_key(|v| storage_fails(&v.tag))
        .unwrap()
        .tag
        .clone();
    let (dir, url) = page_on_disk(&report);
    let dom = dump_dom(
        dir.path(),
        &format!("{url}#area=storage&version={version}&outcome=fail"),
    );
    let mut shown = 0;
    for scenario in &report.scenarios {
        let tag = opening_tag(&dom, &format!("<tr data-scenario=\"{}\"", scenario.id));
        let should_show = scenario.id.starts_with("storage/")
            && report.cell(&scenario.id, &version).map(|c| c.outcome) == Some(Outcome::Fail);
        assert_eq!(
            !tag.contains("hidden"),
            should_show,
            "row {} after filtering to storage, {version} and fail: {tag}",
            scenario.id
        );
        shown += usize::from(should_show);
    }
    assert!(shown > 0, "the filter left some rows");
    assert!(
        dom.contains(&format!(
            "{shown} of {} scenarios shown",
            report.scenarios.len()
        )),
        "the count follows the filter"
    );
    for v in &report.versions {
        let header = opening_tag(
            &dom,
            &format!("<th scope=\"col\" data-version=\"{}\"", v.tag),
        );
        assert_eq!(
            header.contains("hidden"),
            v.tag != version,
            "column {} after filtering to {version}: {header}",
            v.tag
        );
    }
}

#[test]
fn chromium_screenshot_is_kept_as_an_artifact() {
    let report = committed_report();
    let (dir, url) = page_on_disk(&report);
    let cell = report
        .cells
        .iter()
        .find(|c| c.outcome == Outcome::Security)
        .unwrap_or_else(|| telling_cell(&report));
    let key = format!("{}@{}", cell.scenario, cell.column());
    let shot = dir.path().join("screenshot.png");
    let run = run_chromium(
        dir.path(),
        &format!("{url}#open={}", fragment_value(&key)),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000".to_string(),
        ],
    );
    assert!(
        run.status.is_some_and(|s| s.success()),
        "chromium --screenshot ended with {:?}; stderr:\n{}",
        run.status,
        run.stderr
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot at {}: {e}; stderr:\n{}",
            shot.display(),
            run.stderr
        )
    });
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 20_000,
        "a near-empty screenshot: {} bytes",
        png.len()
    );
    let artifacts = artifact_dir();
    std::fs::write(artifacts.join("html-report-screenshot.png"), &png).unwrap();
    std::fs::write(artifacts.join("html-report.html"), html::render(&report)).unwrap();
}

/// A fragment value as the page's script writes it.
fn fragment(text: &str) -> String {
    fragment_value(text).replace(' ', "%20").replace('>', "%3E")
}

#[test]
fn upgrade_cells_are_a_grid_of_their_own() {
    let report = common::with_upgrade_cells(committed_report());
    let page = html::render(&report);
    let paths_at = page
        .find("<table class=\"matrix\" id=\"paths\"")
        .expect("a path grid");
    let (versions, paths) = page.split_at(paths_at);
    assert!(
        !versions.contains("<tr data-scenario=\"upgrade/in-place\""),
        "no upgrade row in the version grid"
    );
    let upgrade_cells = report.cells.iter().filter(|c| c.path.is_some()).count();
    assert_eq!(
        versions.matches("<td class=\"cell ").count(),
        report.cells.len() - upgrade_cells,
        "every single-version cell in the version grid"
    );
    let paths = &paths[..paths.find("</table>").unwrap()];
    assert_eq!(
        paths.matches("<td class=\"cell ").count(),
        upgrade_cells,
        "every upgrade cell in the path grid"
    );
    assert!(
        paths.contains("class=\"rollback\""),
        "the way back is marked"
    );
}

#[test]
fn chromium_opens_a_path_cell_and_filters_to_its_path() {
    let report = common::with_upgrade_cells(committed_report());
    // The last rollback (same-version pairs, replicas, may follow it).
    let rollback = report
        .paths
        .iter()
        .rev()
        .find(|p| report.is_rollback(p))
        .unwrap()
        .to_string();
    let cell = report.cell("upgrade/in-place", &rollback).unwrap();
    let (dir, url) = page_on_disk(&report);
    let dom = dump_dom(
        dir.path(),
        &format!(
            "{url}#version={}&open={}",
            fragment(&rollback),
            fragment(&format!("upgrade/in-place@{rollback}"))
        ),
    );
    let panel = details_panel(&dom);
    let escaped = dom_text(&rollback);
    assert!(
        panel.contains(&format!("data-version=\"{escaped}\"")),
        "the panel shows another cell:\n{panel}"
    );
    for text in [
        cell.evidence.as_str(),
        cell.expected_because.as_deref().unwrap(),
        "served by",
        "rollback",
    ] {
        assert!(panel.contains(&dom_text(text)), "no {text:?} in\n{panel}");
    }
    // Every step a process served (a phase's start has no server).
    for step in cell.steps.iter().filter(|s| s.served_by.is_some()) {
        assert!(
            panel.contains(&format!(
                "<td class=\"phase\">{}</td><td class=\"served-by\"><code>{}</code></td>",
                step.phase.as_deref().unwrap(),
                step.served_by.as_deref().unwrap()
            )),
            "step {} has no phase and version:\n{panel}",
            step.index + 1
        );
    }
    let reference = cell.expected_reference.as_deref().unwrap();
    assert!(
        panel.contains(&format!("<a href=\"{reference}\"")),
        "the reference is a link:\n{panel}"
    );
    // Only the rollback column is shown, so only the upgrade row stays.
    for v in &report.versions {
        let header = opening_tag(
            &dom,
            &format!("<th scope=\"col\" data-version=\"{}\"", v.tag),
        );
        assert!(header.contains("hidden"), "{}: {header}", v.tag);
    }
    let header = opening_tag(
        &dom,
        &format!("<th scope=\"col\" data-version=\"{escaped}\""),
    );
    assert!(!header.contains("hidden"), "{header}");
    let with_cell = report
        .scenarios
        .iter()
        .filter(|s| report.cell(&s.id, &rollback).is_some())
        .count();
    assert!(
        dom.contains(&format!(
            "{with_cell} of {} scenarios shown",
            report.scenarios.len()
        )),
        "the count follows the filter"
    );
}
