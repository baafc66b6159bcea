//! Loading scenario files. Every problem names `file:line:column`, whether
//! TOML syntax, an unknown key, or a step that names a blob never pushed.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::model::{Expectation, FederatedToken, PhaseRun, ScenarioFile, Side, Step, Workload};
use super::steps::LoadContext;
use crate::versions::{RegistryVersion, VersionSelector};
use regmatrix_model::Outcome;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read scenario {file}: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no scenario under {dir} matches {pattern:?}")]
    NoMatch { dir: PathBuf, pattern: String },
    #[error("invalid scenario pattern {pattern:?}: {message}")]
    Pattern { pattern: String, message: String },
}

/// A loaded, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub file: PathBuf,
    pub spec: ScenarioFile,
    selectors: Vec<Selector>,
    /// A user's own storage section (`upgrade-check`); files never set it.
    pub user_deployment: Option<crate::env::UserDeployment>,
}

impl Scenario {
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The expectation for `version`: the last entry whose selector matches.
    pub fn expectation_for(&self, version: &RegistryVersion) -> &Expectation {
        self.expectation_where(|s| match s {
            Selector::Version(v) => v.matches(version),
            Selector::Path { .. } => false,
        })
    }

    /// The expectation for the upgrade path `from` -> `to`.
    pub fn expectation_for_path(
        &self,
        from: &RegistryVersion,
        to: &RegistryVersion,
    ) -> &Expectation {
        self.expectation_where(|s| match s {
            Selector::Path { from: f, to: t } => f.matches(from) && t.matches(to),
            Selector::Version(_) => false,
        })
    }

    /// The versions some expectation row names by exact tag (as `versions`,
    /// `from` or `to`): the versions this scenario's author has seen.
    pub fn named_versions(&self) -> Vec<RegistryVersion> {
        self.selectors
            .iter()
            .flat_map(|s| match s {
                Selector::Version(v) => v.named(),
                Selector::Path { from, to } => from.named().into_iter().chain(to.named()).collect(),
            })
            .collect()
    }

    fn expectation_where(&self, matches: impl Fn(&Selector) -> bool) -> &Expectation {
        let index = self.selectors.iter().rposition(matches).unwrap_or(0);
        self.spec.expectations[index].get_ref()
    }

    /// An upgrade scenario: phases on an upgrade path, not steps on a version.
    pub fn is_upgrade(&self) -> bool {
        !self.spec.phases.is_empty()
    }

    /// Runs each version with itself (two replicas) instead of on the
    /// upgrade paths.
    pub fn on_same_version(&self) -> bool {
        self.spec
            .upgrade
            .as_ref()
            .is_some_and(|u| u.pairs == super::model::PathPairs::SameVersion)
    }

    /// The scenario checks that the registry refuses something: its `pass`
    /// reads as "refused".
    pub fn expects_refusal(&self) -> bool {
        self.steps()
            .any(|s| s.kind() == super::steps::StepKind::PushDenied)
    }

    /// Every step, phases flattened.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.plan().into_iter().filter_map(|item| match item {
            PlanItem::Step { step, .. } => Some(step),
            PlanItem::Enter { .. } => None,
        })
    }

    /// What the engine does, in order: for an upgrade scenario each phase's
    /// entry and then its steps, each with the process that serves it.
    pub fn plan(&self) -> Vec<PlanItem<'_>> {
        if !self.is_upgrade() {
            return self
                .spec
                .steps
                .iter()
                .map(|s| PlanItem::Step {
                    step: s.get_ref(),
                    via: Side::From,
                    phase: None,
                })
                .collect();
        }
        let mut plan = Vec::new();
        for (index, phase) in self.spec.phases.iter().enumerate() {
            let phase = phase.get_ref();
            let number = index + 1;
            plan.push(PlanItem::Enter {
                number,
                run: phase.run,
            });
            for step in &phase.steps {
                let step = step.get_ref();
                let via = match phase.run {
                    PhaseRun::From => Side::From,
                    PhaseRun::To => Side::To,
                    PhaseRun::Both => step.via.unwrap_or(Side::To),
                };
                plan.push(PlanItem::Step {
                    step: &step.step,
                    via,
                    phase: Some((number, phase.run)),
                });
            }
        }
        plan
    }
}

/// One thing the engine does.
#[derive(Debug, Clone, Copy)]
pub enum PlanItem<'a> {
    /// Phase `number` (1-based) starts: the processes `run` names serve.
    Enter { number: usize, run: PhaseRun },
    Step {
        step: &'a Step,
        /// The process the step goes through.
        via: Side,
        phase: Option<(usize, PhaseRun)>,
    },
}

/// Which cells an expectation covers.
#[derive(Debug, Clone)]
enum Selector {
    Version(VersionSelector),
    Path {
        from: VersionSelector,
        to: VersionSelector,
    },
}

/// A scenario written in memory as text, checked exactly as a file is;
/// `origin` names it in errors.
pub fn parse_text(origin: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    parse(origin, text)
}

/// A scenario built in memory (by `upgrade-check`), checked exactly as a
/// file is. It has no text, so its errors point at `origin:1:1`.
pub fn from_spec(origin: &Path, spec: ScenarioFile) -> Result<Scenario, ScenarioError> {
    validate(origin, "", spec)
}

pub fn load_file(file: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(file).map_err(|source| ScenarioError::Read {
        file: file.to_path_buf(),
        source,
    })?;
    parse(file, &text)
}

fn parse(file: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let at = locator(file, text);
    let spec: ScenarioFile =
        toml::from_str(text).map_err(|e| at(e.span(), e.message().to_string()))?;
    validate(file, text, spec)
}

/// Every check beyond the TOML shape; `text` is what spans point into.
fn validate(file: &Path, text: &str, mut spec: ScenarioFile) -> Result<Scenario, ScenarioError> {
    let at = locator(file, text);
    if let Some(auth) = spec.auth.as_mut() {
        // Checked now, so a wrong file fails at load with its line, not mid-run.
        let key_file_at = text.find("key-file").map(|offset| offset..offset);
        resolve_key_file(file, auth).map_err(|message| at(key_file_at, message))?;
    }
    let upgrade = !spec.phases.is_empty();
    if upgrade && !spec.steps.is_empty() {
        return Err(at(
            None,
            "a scenario has [[step]] (one version) or [[phase]] (an upgrade), not both".into(),
        ));
    }
    if !upgrade && spec.steps.is_empty() {
        return Err(at(
            None,
            "a scenario needs at least one [[step]] (or, for an upgrade, [[phase]])".into(),
        ));
    }
    if !upgrade && spec.upgrade.is_some() {
        return Err(at(
            text.find("[upgrade]").map(|o| o..o),
            "[upgrade] applies only to a scenario with [[phase]] entries".into(),
        ));
    }
    let mut steps = LoadContext::new(spec.identity.workload);
    for step in &spec.steps {
        step.get_ref()
            .validate(&mut steps)
            .map_err(|message| at(Some(step.span()), message))?;
    }
    for phase in &spec.phases {
        let run = phase.get_ref().run;
        if phase.get_ref().steps.is_empty() {
            return Err(at(
                Some(phase.span()),
                "a [[phase]] needs at least one [[phase.step]]".into(),
            ));
        }
        for step in &phase.get_ref().steps {
            let span = Some(step.span());
            match (run, step.get_ref().via) {
                (PhaseRun::Both, None) => {
                    return Err(at(
                        span,
                        "a step of a `both` phase says which process serves it: `via = \"from\"` or `via = \"to\"`".into(),
                    ))
                }
                (PhaseRun::From | PhaseRun::To, Some(_)) => {
                    return Err(at(
                        span,
                        format!("`via` applies only in a `both` phase; this phase runs `{}` alone", run.as_str()),
                    ))
                }
                _ => {}
            }
            step.get_ref()
                .step
                .validate(&mut steps)
                .map_err(|message| at(span, message))?;
        }
    }
    if spec.identity.federated_token != FederatedToken::Valid
        && spec.identity.workload != Workload::WorkloadIdentity
    {
        return Err(at(
            None,
            "[identity] federated-token applies only to `workload = \"workload-identity\"`".into(),
        ));
    }
    let mut selectors = Vec::new();
    for (index, expectation) in spec.expectations.iter().enumerate() {
        let span = Some(expectation.span());
        let e = expectation.get_ref();
        let parse = |text: &str| {
            text.parse::<VersionSelector>()
                .map_err(|err| at(span.clone(), err.to_string()))
        };
        let is_any = |text: &Option<String>| text.as_deref().is_none_or(|t| t.trim() == "*");
        let selector = if upgrade {
            if e.versions.is_some() {
                return Err(at(
                    span,
                    "an upgrade scenario's [[expect]] names `from` and `to`, not `versions`".into(),
                ));
            }
            if index == 0 && !(is_any(&e.from) && is_any(&e.to)) {
                return Err(at(
                    span,
                    "the first [[expect]] must be the default: no `from` or `to` (or both \"*\")"
                        .into(),
                ));
            }
            Selector::Path {
                from: parse(e.from.as_deref().unwrap_or("*"))?,
                to: parse(e.to.as_deref().unwrap_or("*"))?,
            }
        } else {
            if e.from.is_some() || e.to.is_some() {
                return Err(at(
                    span,
                    "`from` and `to` apply to upgrade scenarios ([[phase]]); use `versions`".into(),
                ));
            }
            let Some(versions) = e.versions.as_deref() else {
                return Err(at(span, "an [[expect]] needs `versions`".into()));
            };
            if index == 0 && versions.trim() != "*" {
                return Err(at(
                    span,
                    "the first [[expect]] must be the default, `versions = \"*\"`".into(),
                ));
            }
            Selector::Version(parse(versions)?)
        };
        selectors.push(selector);
        if e.outcome != Outcome::Pass && e.because.as_deref().is_none_or(str::is_empty) {
            return Err(at(
                span,
                format!(
                    "an expected `{}` needs `because`: the evidence the real binary gave",
                    e.outcome
                ),
            ));
        }
        if matches!(
            e.outcome,
            Outcome::Fail | Outcome::Security | Outcome::DataLoss | Outcome::NoRecovery
        ) && e.reference.as_deref().is_none_or(str::is_empty)
        {
            return Err(at(span, format!("an expected `{}` needs `reference`: the upstream issue, PR or code that explains it", e.outcome)));
        }
    }
    if selectors.is_empty() {
        return Err(at(None, "a scenario needs at least one [[expect]]".into()));
    }
    Ok(Scenario {
        file: file.to_path_buf(),
        spec,
        selectors,
        user_deployment: None,
    })
}

/// Makes `[auth] key-file` absolute (relative to the scenario file) and
/// checks it holds a key of the scenario's `key` type.
fn resolve_key_file(file: &Path, auth: &mut crate::env::AuthSetup) -> Result<(), String> {
    let Some(relative) = auth.key_file.take() else {
        return Ok(());
    };
    let path = file
        .parent()
        .map_or_else(|| relative.clone(), |dir| dir.join(&relative));
    let pem = std::fs::read_to_string(&path)
        .map_err(|e| format!("[auth] key-file {}: {e}", path.display()))?;
    let key = regmatrix_mocks::jose::AnyKey::from_pkcs8_pem(&pem)
        .map_err(|e| format!("[auth] key-file {}: not a PKCS#8 key: {e}", path.display()))?;
    if key.kind() != auth.key.kind() {
        return Err(format!(
            "[auth] key-file {} holds an {} key, but `key` says {}",
            path.display(),
            key.kind().algorithm(),
            auth.key.kind().algorithm()
        ));
    }
    auth.key_file = Some(path);
    Ok(())
}

/// Turns a span of `text` (or none: the file's start) and a message into
/// the `file:line:column` error every load problem is.
fn locator<'a>(
    file: &'a Path,
    text: &'a str,
) -> impl Fn(Option<Range<usize>>, String) -> ScenarioError + 'a {
    move |span, message| {
        let (line, column) = line_column(text, span.map(|s| s.start).unwrap_or(0));
        ScenarioError::Invalid {
            file: file.to_path_buf(),
            line,
            column,
            message,
        }
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// Loads every scenario under `dir` whose id matches `pattern` (a glob such
/// as `storage/*`). The id must equal the file's path under `dir`.
/// The scenarios under `dir` whose ids match `pattern`: one glob, or
/// several separated by commas (`storage/*,auth/jwks-*`).
pub fn discover(dir: &Path, pattern: &str) -> Result<Vec<Scenario>, ScenarioError> {
    let globs = pattern
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            glob::Pattern::new(p).map_err(|e| ScenarioError::Pattern {
                pattern: p.to_string(),
                message: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut files = Vec::new();
    collect_toml(dir, &mut files).map_err(|source| ScenarioError::Read {
        file: dir.to_path_buf(),
        source,
    })?;
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let relative = file.strip_prefix(dir).unwrap_or(&file).with_extension("");
        let path_id = relative.to_string_lossy().replace('\\', "/");
        if !globs.iter().any(|glob| glob.matches(&path_id)) {
            continue;
        }
        let scenario = load_file(&file)?;
        if scenario.id() != path_id {
            return Err(ScenarioError::Invalid {
                file,
                line: 1,
                column: 1,
                message: format!(
                    "id {:?} must match the file's path {path_id:?}",
                    scenario.id()
                ),
            });
        }
        out.push(scenario);
    }
    if out.is_empty() {
        return Err(ScenarioError::NoMatch {
            dir: dir.to_path_buf(),
            pattern: pattern.to_string(),
        });
    }
    Ok(out)
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
