//! upgrade-check's files for a CI gate (`--out DIR`): the verdict as JSON
//! (`upgrade-check.json`, described by
//! `reports/schema/upgrade-check.schema.json`), as Markdown
//! (`upgrade-check.md`, the text the command prints) and as JUnit XML
//! (`junit.xml`, one testcase per scenario row and one for the in-place run,
//! failing exactly where the exit code does). The cells behind it, with
//! every step and log excerpt, go to `matrix/` as a matrix report. Names of
//! variables are written, never their values.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::verdict::{known_fix, render, FixContext, Verdict};
use super::EnvFate;
use crate::report::junit::{attr, text};
use crate::report::{Cell, MatrixReport, Outcome, WriteError};

/// The version of `upgrade-check.json`'s layout.
pub const VERDICT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct VerdictDoc<'a> {
    pub schema_version: u32,
    pub from: &'a str,
    pub to: &'a str,
    pub config: &'a str,
    /// What the command exits with: 0 works on `to` and nothing regresses,
    /// 2 the harness could not run a scenario.
    pub exit_code: i32,
    /// The last line of the text output.
    pub summary: String,
    pub regressions: usize,
    /// The user's own config fails on both versions.
    pub broken_on_both: bool,
    pub findings: Vec<FindingDoc<'a>>,
    pub env: Vec<EnvDoc<'a>>,
    pub sections: Vec<SectionDoc<'a>>,
    pub rows: Vec<RowDoc<'a>>,
    pub in_place: Option<InPlaceDoc<'a>>,
}

#[derive(Debug, Serialize)]
pub struct FindingDoc<'a> {
    pub version: &'a str,
    pub key: &'a str,
    pub note: &'a str,
}

#[derive(Debug, Serialize)]
pub struct EnvDoc<'a> {
    pub name: &'a str,
    pub origin: &'a str,
    /// `passed` or `not-exercised`.
    pub fate: &'static str,
    pub secret: bool,
    pub why: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct SectionDoc<'a> {
    pub key: &'a str,
    /// `as-written`, `local-service` or `not-exercised`.
    pub fate: &'static str,
    pub note: &'a str,
}

#[derive(Debug, Serialize)]
pub struct CellDoc<'a> {
    pub outcome: Outcome,
    /// How the scenario reads the outcome (`refused`, `accepted`, ...).
    pub label: &'static str,
    pub evidence: &'a str,
    pub because: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub fix: Option<&'static str>,
}

impl<'a> CellDoc<'a> {
    fn of(cell: &'a Cell, context: FixContext) -> Self {
        CellDoc {
            outcome: cell.outcome,
            label: cell.reading().label,
            evidence: &cell.evidence,
            because: cell.expected_because.as_deref(),
            reference: cell.expected_reference.as_deref(),
            fix: known_fix(cell, context),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RowDoc<'a> {
    pub scenario: &'a str,
    pub title: &'a str,
    /// `regression`, `fixed` or `unchanged`.
    pub change: &'static str,
    /// This row makes the exit code 1.
    pub fails_gate: bool,
    pub before: CellDoc<'a>,
    pub after: CellDoc<'a>,
}

#[derive(Debug, Serialize)]
pub struct InPlaceDoc<'a> {
    pub rollback: bool,
    #[serde(flatten)]
    pub cell: CellDoc<'a>,
    /// The failed phase in the operator's words.
    pub failed_in: Option<String>,
}

/// The verdict as the JSON document; `exit_code` is the command's (2 when
/// the harness could not run a scenario, whatever the verdict says).
pub fn doc(verdict: &Verdict, exit_code: i32) -> VerdictDoc<'_> {
    VerdictDoc {
        schema_version: VERDICT_SCHEMA_VERSION,
        from: &verdict.from,
        to: &verdict.to,
        config: &verdict.config,
        exit_code,
        summary: verdict.summary(),
        regressions: verdict.regressions(),
        broken_on_both: verdict.broken_on_both().is_some(),
        findings: verdict
            .findings
            .iter()
            .map(|f| FindingDoc {
                version: &f.version,
                key: &f.key,
                note: &f.note,
            })
            .collect(),
        env: verdict
            .env
            .iter()
            .map(|(var, fate)| {
                let (fate, secret, why) = match fate {
                    EnvFate::Passed { secret, .. } => ("passed", *secret, None),
                    EnvFate::Replaced { by, .. } => ("replaced", false, Some(by.as_str())),
                    EnvFate::NotExercised(why) => ("not-exercised", false, Some(why.as_str())),
                };
                EnvDoc {
                    name: &var.name,
                    origin: &var.origin,
                    fate,
                    secret,
                    why,
                }
            })
            .collect(),
        sections: verdict
            .sections
            .iter()
            .map(|s| SectionDoc {
                key: &s.key,
                fate: s.fate.as_str(),
                note: &s.note,
            })
            .collect(),
        rows: verdict
            .rows
            .iter()
            .map(|row| RowDoc {
                scenario: &row.scenario,
                title: &row.title,
                change: row.change().as_str(),
                fails_gate: verdict.row_fails_gate(row),
                before: CellDoc::of(&row.before, verdict.fix_context),
                after: CellDoc::of(&row.after, verdict.fix_context),
            })
            .collect(),
        in_place: verdict.in_place.as_ref().map(|cell| InPlaceDoc {
            rollback: verdict.rollback,
            cell: CellDoc::of(cell, verdict.fix_context),
            failed_in: verdict.in_place_failed_phase(cell),
        }),
    }
}

/// The verdict as JUnit XML: one suite, `upgrade-check <from> -> <to>`; a
/// testcase per scenario row (`<scenario> from <from> to <to>`) and one for
/// the in-place run, a `<failure>` exactly where the row or the run makes
/// the exit code 1.
pub fn junit(verdict: &Verdict) -> String {
    let mut cases = String::new();
    let mut failures = 0;
    let mut case = |name: &str, failure: Option<(String, String)>| {
        cases.push_str(&format!(
            "    <testcase classname=\"upgrade-check\" name=\"{}\"",
            attr(name)
        ));
        match failure {
            None => cases.push_str("/>\n"),
            Some((message, body)) => {
                failures += 1;
                cases.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    attr(&message),
                    text(&body)
                ));
            }
        }
    };
    for row in &verdict.rows {
        let failure = verdict.row_fails_gate(row).then(|| {
            let reading = row.after.reading();
            let mut body = format!(
                "{} on {}, {} on {}: {}\nevidence on {}: {}",
                row.before.reading().label,
                verdict.from,
                reading.label,
                verdict.to,
                row.change().as_str(),
                verdict.to,
                row.after.evidence
            );
            if let Some(fix) = known_fix(&row.after, verdict.fix_context) {
                body.push_str(&format!("\nfix: {fix}"));
            }
            (
                format!(
                    "{} -> {} ({})",
                    row.before.reading().label,
                    reading.label,
                    row.change().as_str()
                ),
                body,
            )
        });
        case(
            &format!("{} from {} to {}", row.scenario, verdict.from, verdict.to),
            failure,
        );
    }
    if let Some(cell) = &verdict.in_place {
        let failure = (cell.outcome != Outcome::Pass).then(|| {
            let mut body = cell.evidence.clone();
            if let Some(phase) = verdict.in_place_failed_phase(cell) {
                body = format!("failed in {phase}\n{body}");
            }
            if let Some(fix) = known_fix(cell, verdict.fix_context) {
                body.push_str(&format!("\nfix: {fix}"));
            }
            (cell.outcome.to_string(), body)
        });
        case(
            &format!("in place from {} to {}", verdict.from, verdict.to),
            failure,
        );
    }
    let tests = verdict.rows.len() + usize::from(verdict.in_place.is_some());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"regmatrix upgrade-check\" tests=\"{tests}\" failures=\"{failures}\">\n  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n</testsuites>\n",
        attr(&format!("upgrade-check {} -> {}", verdict.from, verdict.to))
    )
}

/// The verdict as Markdown: the printed text under a title.
pub fn markdown(verdict: &Verdict) -> String {
    format!("# regmatrix upgrade-check\n\n{}", render(verdict))
}

/// Writes `upgrade-check.json`, `upgrade-check.md`, `junit.xml` and the
/// run's matrix report under `matrix/` into `dir`; returns the paths.
pub fn write(
    verdict: &Verdict,
    report: &MatrixReport,
    dir: &Path,
) -> Result<Vec<PathBuf>, WriteError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let exit_code = if report.exit_code() == 2 {
        2
    } else {
        verdict.exit_code()
    };
    let json = serde_json::to_string_pretty(&doc(verdict, exit_code)).unwrap_or_default() + "\n";
    let mut written = Vec::new();
    for (name, content) in [
        ("upgrade-check.json", json),
        ("upgrade-check.md", markdown(verdict)),
        ("junit.xml", junit(verdict)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(io(&path))?;
        written.push(path);
    }
    written.extend(crate::report::write_all(report, &dir.join("matrix"))?);
    Ok(written)
}
