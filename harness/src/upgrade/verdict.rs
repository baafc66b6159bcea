//! The verdict of an upgrade check: per scenario, the outcome on the version
//! in use and on the target, what changed, the evidence, and the fix where
//! the harness knows one. Outcomes print as `Cell::reading` labels them
//! (`refused`, `accepted`).

use std::fmt::Write as _;

use std::path::Path;

use super::sections::Section;
use super::{findings, verdict_row, EnvFate, EnvVar, KeyFinding, Plan};
use crate::report::diff::Change;
use crate::report::{Cell, MatrixReport, Outcome, Tone};
use crate::versions::RegistryVersion;

pub struct Row {
    pub scenario: String,
    pub title: String,
    pub before: Cell,
    pub after: Cell,
}

impl Row {
    pub fn change(&self) -> Change {
        Change::between(self.before.outcome, self.after.outcome)
    }
}

pub struct Verdict {
    pub from: String,
    pub to: String,
    pub config: String,
    pub redacted_azure: String,
    pub findings: Vec<KeyFinding>,
    pub rows: Vec<Row>,
    /// Your config in place on `from -> to` (and back), when it ran.
    pub in_place: Option<Cell>,
    /// The in-place run ends with the rollback (`--from` again).
    pub rollback: bool,
    /// Each variable the user gave and what became of it.
    pub env: Vec<(EnvVar, EnvFate)>,
    /// Each section of the config and how it ran.
    pub sections: Vec<Section>,
    /// What the fixes are phrased for.
    pub fix_context: FixContext,
}

/// How the deployment authenticates, for phrasing a fix it can apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FixContext {
    pub workload: crate::env::Workload,
    /// The token shape, when the config has token auth.
    pub token: Option<super::TokenProfile>,
}

impl Verdict {
    /// 1 when anything gets worse on the target, the target has a
    /// `security` outcome, or the user's own config does not work on the
    /// target (also when it did not on the version they run); else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(
            self.rows.iter().any(|r| self.row_fails_gate(r))
                || self
                    .in_place
                    .as_ref()
                    .is_some_and(|c| c.outcome != Outcome::Pass),
        )
    }

    /// A row that makes the exit code 1: it gets worse, the target has an
    /// alarm, or it is the user's own config failing on both versions.
    pub fn row_fails_gate(&self, row: &Row) -> bool {
        row.change() == Change::Regression
            || row.after.outcome.is_alarm()
            || self.broken_on_both().is_some_and(|b| std::ptr::eq(b, row))
    }

    pub fn regressions(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.change() == Change::Regression)
            .count()
    }

    /// The user's own config's row when it fails on both versions: no
    /// regression, and still not a deployment that works.
    pub fn broken_on_both(&self) -> Option<&Row> {
        self.rows.iter().find(|r| {
            r.scenario == YOUR_CONFIG
                && r.before.outcome != Outcome::Pass
                && r.after.outcome != Outcome::Pass
        })
    }

    /// The phase the in-place run failed in, in the operator's words.
    pub fn in_place_failed_phase(&self, cell: &Cell) -> Option<String> {
        if cell.outcome == Outcome::Pass {
            return None;
        }
        let failed = cell.steps.iter().find(|s| !s.ok)?;
        let phase = failed.phase.as_deref().unwrap_or("1");
        Some(super::in_place_phase_meaning(phase, &self.from, &self.to))
    }

    /// The verdict's last line.
    pub fn summary(&self) -> String {
        match self.exit_code() {
            0 => format!(
                "Verdict: nothing gets worse moving from {} to {}.",
                self.from, self.to
            ),
            _ => format!(
                "Verdict: {} regression(s){}{} moving from {} to {} (see evidence and fixes above).",
                self.regressions(),
                if self.broken_on_both().is_some() {
                    ", your config fails on both versions"
                } else {
                    ""
                },
                if self.in_place.as_ref().is_some_and(|c| c.outcome != Outcome::Pass) {
                    " and the in-place run failed"
                } else {
                    ""
                },
                self.from,
                self.to
            ),
        }
    }
}

/// The scenario that runs the user's own config.
pub const YOUR_CONFIG: &str = "upgrade-check/your-config";

/// The verdict on moving `config` from `from` to `to`, from the run of the
/// plan's scenarios: a row for each scenario with a cell on both versions,
/// and what each version makes of the config's keys.
pub fn verdict_from(
    report: &MatrixReport,
    plan: &Plan,
    from: &RegistryVersion,
    to: &RegistryVersion,
    config: &Path,
    parser_findings: Vec<KeyFinding>,
) -> Verdict {
    let rows = plan
        .scenarios()
        .filter_map(|s| {
            let before = report.cell(s.id(), from.tag())?;
            let after = report.cell(s.id(), to.tag())?;
            Some(verdict_row(s, before, after))
        })
        .collect();
    let mut key_findings = findings(from, &plan.azure, plan.token.as_ref());
    key_findings.extend(findings(to, &plan.azure, plan.token.as_ref()));
    key_findings.extend(parser_findings);
    let in_place = report
        .cell(
            plan.in_place.id(),
            &crate::report::UpgradePath {
                from: from.tag().to_string(),
                to: to.tag().to_string(),
            }
            .to_string(),
        )
        .cloned();
    Verdict {
        in_place,
        rollback: plan.in_place.spec.phases.len() > 2,
        from: from.tag().to_string(),
        to: to.tag().to_string(),
        config: config.display().to_string(),
        redacted_azure: plan.redacted.clone(),
        findings: key_findings,
        rows,
        env: plan.env.clone(),
        sections: plan.sections.clone(),
        fix_context: FixContext {
            workload: plan.user.spec.identity.workload,
            token: plan.token.is_some().then_some(plan.token_profile),
        },
    }
}

/// The fix the harness knows for a cell's evidence, if any, phrased for
/// how the deployment authenticates (`context`).
pub(super) fn known_fix(cell: &Cell, context: FixContext) -> Option<&'static str> {
    use crate::env::auth::KeyType;
    use crate::env::Workload;
    use crate::kid::KidForm;
    let workload = context.workload;
    let e = cell.evidence.as_str();
    let ec_thumbprint = context.token.is_some_and(|t| {
        t.kid == super::TokenKid::Kid(KidForm::Thumbprint) && t.key == KeyType::Ec
    });
    if e.contains("untrusted key with ID") && ec_thumbprint {
        Some("v3.0.0 files every P-256 key of rootcertbundle under one wrong thumbprint (registry/auth/token/util.go at v3.0.0; 3.1.x hashes the key's own coordinates): move to v3.1.x, or trust a JWKS: `regmatrix jwks from-cert <rootcertbundle.pem> --kid thumbprint --out jwks.json`, then set auth.token.jwks")
    } else if e.contains("untrusted key with ID") {
        Some("3.x no longer trusts libtrust key IDs from rootcertbundle: `regmatrix jwks from-cert <rootcertbundle.pem> --kid libtrust --out jwks.json`, then set auth.token.jwks (keep rootcertbundle for x5c tokens)")
    } else if e.contains("invalid credentials type") {
        Some("3.0.0+ needs storage.azure.credentials.type: add `credentials: {type: shared_key}` next to accountkey (through the environment: REGISTRY_STORAGE_AZURE_CREDENTIALS_TYPE=shared_key)")
    } else if cell.version.as_deref() == Some("v3.0.0")
        && e.contains("shared_key")
        && e.contains("identity: no call")
    {
        Some(match workload {
            Workload::None | Workload::EnvironmentSecret => "v3.0.0 uses shared key for default_credentials (distribution/distribution#4618): move to v3.1.x, or use credentials.type client_secret with the same service principal's clientid, tenantid and secret",
            _ => "v3.0.0 uses shared key for default_credentials (distribution/distribution#4618), and workload or managed identity has no other credentials type: move to v3.1.x",
        })
    } else if e.contains("InvalidBlobType") {
        Some("v3.0.0 to v3.1.1 cannot overwrite the block blobs v3.0.0-alpha.1 and v3.1.2 write (distribution/distribution#4871): move to v3.1.2, whose driver converts them; once v3.1.2 (or v3.0.0-alpha.1) has written, a rollback to v3.0.0-v3.1.1 fails the same way: roll forward")
    } else if e.contains("unknown tag=")
        && cell
            .path
            .as_ref()
            .is_some_and(|p| p.from.starts_with("v2.") != p.to.starts_with("v2."))
    {
        Some("2.8 names every blob with a leading slash (`/docker/registry/v2/...`) and 3.x without one (see upgrade/in-place in the matrix), so neither sees what the other wrote: copy the images from the 2.8 registry into the 3.x one (crane copy, regctl image copy) instead of starting 3.x on the same container; a rename of the blobs is not verified here")
    } else if e.contains("redis configuration required") {
        Some("3.x reads redis.addrs (a list), not 2.8's redis.addr: write `redis: {addrs: [host:6379]}` (through the environment a YAML list: REGISTRY_REDIS_ADDRS='[host:6379]'; a bare host:port is rejected by 3.x's parser); password and db keep their names")
    } else if e.contains("ignored the config mounted at") {
        Some("the image reads its config elsewhere than your deployment mounts it (the official 3.x images read /etc/distribution/config.yml, 2.x images /etc/docker/registry/config.yml; distribution's v3.0.0-beta.1 release notes), and runs its own built-in config without an error: mount the config where the new image reads it, or give the container the command `serve <your path>`")
    } else if e.contains("no accountkey parameter provided") {
        Some("2.8 authenticates with accountkey only")
    } else {
        None
    }
}

/// The in-place run: its outcome, and when it failed, the phase that
/// failed in the operator's words and the evidence.
fn render_in_place(out: &mut String, verdict: &Verdict, cell: &Cell) {
    let _ = writeln!(
        out,
        "\nIn place ({} writes; {} starts on the same storage with the same config{}): {}",
        verdict.from,
        verdict.to,
        if verdict.rollback {
            format!("; then {} again (rollback)", verdict.from)
        } else {
            String::new()
        },
        cell.outcome
    );
    if cell.outcome == Outcome::Pass {
        return;
    }
    if let Some(phase) = verdict.in_place_failed_phase(cell) {
        let _ = writeln!(out, "  failed in {phase}");
    }
    let _ = writeln!(out, "  evidence: {}", cell.evidence);
    if let Some(fix) = known_fix(cell, verdict.fix_context) {
        let _ = writeln!(out, "  fix: {fix}");
    }
}

pub fn render(verdict: &Verdict) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "upgrade-check: {} -> {} for {}\n",
        verdict.from, verdict.to, verdict.config
    );
    let _ = writeln!(out, "storage.azure as read (secrets redacted):");
    for line in verdict.redacted_azure.lines() {
        let _ = writeln!(out, "  {line}");
    }
    if !verdict.findings.is_empty() {
        let _ = writeln!(out, "\nConfig keys the versions read differently:");
        for f in &verdict.findings {
            let _ = writeln!(out, "  [{}] {}: {}", f.version, f.key, f.note);
        }
    }
    if !verdict.sections.is_empty() {
        let _ = writeln!(out, "\nConfig sections:");
        for section in &verdict.sections {
            let _ = writeln!(out, "  {}", section.line());
        }
    }
    let _ = writeln!(
        out,
        "\n| scenario | {} | {} | change |",
        verdict.from, verdict.to
    );
    let _ = writeln!(out, "|---|---|---|---|");
    for row in &verdict.rows {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            row.scenario,
            row.before.reading().label,
            row.after.reading().label,
            row.change().as_str()
        );
    }
    let changed: Vec<&Row> = verdict
        .rows
        .iter()
        .filter(|r| r.change() != Change::Unchanged || r.after.reading().tone != Tone::Good)
        .collect();
    if !changed.is_empty() {
        let _ = writeln!(out, "\nEvidence on {}:", verdict.to);
        for row in changed {
            let reading = row.after.reading();
            let _ = writeln!(
                out,
                "- `{}` ({}): {}: {}",
                row.scenario,
                row.title,
                reading.text(),
                row.after.evidence
            );
            if let Some(because) = &row.after.expected_because {
                let _ = writeln!(out, "  because: {because}");
            }
            if let Some(reference) = &row.after.expected_reference {
                let _ = writeln!(out, "  reference: {reference}");
            }
            if let Some(fix) = known_fix(&row.after, verdict.fix_context) {
                let _ = writeln!(out, "  fix: {fix}");
            }
        }
    }
    if let Some(cell) = &verdict.in_place {
        render_in_place(&mut out, verdict, cell);
    }
    if let Some(row) = verdict.broken_on_both() {
        let _ = writeln!(
            out,
            "\nYour config does not work on either version:\n- on {}: {}\n- on {}: {}",
            verdict.from,
            crate::registry_log::condense(&row.before.evidence, 400),
            verdict.to,
            crate::registry_log::condense(&row.after.evidence, 400)
        );
    }
    let verdict_line = format!("\n{}", verdict.summary());
    out.push_str(&verdict_line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::cell;
    use crate::report::Outcome;

    fn row(id: &str, before: Cell, after: Cell) -> Row {
        Row {
            scenario: id.into(),
            title: format!("title of {id}"),
            before,
            after,
        }
    }

    #[test]
    fn rows_read_in_the_scenarios_words() {
        let mut refused = cell("auth/attack-alg-none", "v3.0.0", Outcome::Pass);
        refused.refusal = true;
        let mut accepted = cell("auth/attack-alg-none", "v3.1.1", Outcome::Security);
        accepted.refusal = true;
        accepted.evidence = "step 1 push-denied: the registry accepted a push".into();
        let mut known = cell("auth/libtrust-kid-rootcert", "v3.1.1", Outcome::Fail);
        known.expected = Outcome::Fail;
        known.expected_because = Some("3.x dropped libtrust kids".into());
        known.expected_reference =
            Some("https://github.com/distribution/distribution/pull/4113".into());
        let verdict = Verdict {
            from: "v3.0.0".into(),
            to: "v3.1.1".into(),
            config: "config.yml".into(),
            redacted_azure: "accountname: x".into(),
            findings: Vec::new(),
            in_place: None,
            rollback: true,
            env: Vec::new(),
            sections: Vec::new(),
            fix_context: FixContext::default(),
            rows: vec![
                row("auth/attack-alg-none", refused.clone(), accepted),
                row(
                    "auth/libtrust-kid-rootcert",
                    cell("auth/libtrust-kid-rootcert", "v3.0.0", Outcome::Pass),
                    known,
                ),
                row("auth/attack-jwk", refused.clone(), refused),
            ],
        };
        let text = render(&verdict);
        for line in [
            "| `auth/attack-alg-none` | refused | accepted | regression |\n",
            "| `auth/libtrust-kid-rootcert` | pass | fail | regression |\n",
            "| `auth/attack-jwk` | refused | refused | unchanged |\n",
            "- `auth/attack-alg-none` (title of auth/attack-alg-none): accepted (expected refused): step 1 push-denied: the registry accepted a push\n",
            "- `auth/libtrust-kid-rootcert` (title of auth/libtrust-kid-rootcert): fail: ",
            "  because: 3.x dropped libtrust kids\n  reference: https://github.com/distribution/distribution/pull/4113\n",
        ] {
            assert!(text.contains(line), "no {line:?} in\n{text}");
        }
        assert!(
            !text.contains("- `auth/attack-jwk`"),
            "a refused attack needs no evidence: {text}"
        );
        assert_eq!(verdict.exit_code(), 1);
    }

    #[test]
    fn a_config_failing_on_both_versions_fails_and_names_both_causes() {
        let mut before = cell(YOUR_CONFIG, "v3.1.1", Outcome::Fail);
        before.evidence = "registry exited at start-up: panic: invalid credentials type".into();
        let mut after = cell(YOUR_CONFIG, "v3.1.2", Outcome::Fail);
        after.evidence = "step 1 push-blob: 403 AuthenticationFailed".into();
        let verdict = Verdict {
            from: "v3.1.1".into(),
            to: "v3.1.2".into(),
            config: "config.yml".into(),
            redacted_azure: String::new(),
            findings: Vec::new(),
            in_place: None,
            rollback: false,
            env: Vec::new(),
            sections: Vec::new(),
            fix_context: FixContext::default(),
            rows: vec![row(YOUR_CONFIG, before, after)],
        };
        assert_eq!(verdict.exit_code(), 1);
        let text = render(&verdict);
        for line in [
            "| `upgrade-check/your-config` | fail | fail | unchanged |",
            "- on v3.1.1: registry exited at start-up: panic: invalid credentials type\n",
            "- on v3.1.2: step 1 push-blob: 403 AuthenticationFailed\n",
            "Verdict: 0 regression(s), your config fails on both versions moving from v3.1.1 to v3.1.2",
        ] {
            assert!(text.contains(line), "no {line:?} in\n{text}");
        }
    }

    #[test]
    fn fixes_are_phrased_for_the_deployment_s_identity_and_tokens() {
        use crate::env::Workload;
        let mut shared = cell(YOUR_CONFIG, "v3.0.0", Outcome::Fail);
        shared.evidence = "step 1: 403 AuthenticationFailed; identity: no call; Blob storage saw 3 requests (auth: shared_key 3)".into();
        let principal = known_fix(&shared, FixContext::default()).unwrap();
        assert!(principal.contains("client_secret"), "{principal}");
        let workload = FixContext {
            workload: Workload::WorkloadIdentity,
            token: None,
        };
        let federated = known_fix(&shared, workload).unwrap();
        assert!(
            !federated.contains("client_secret") && federated.contains("move to v3.1.x"),
            "{federated}"
        );

        let mut untrusted = cell("auth/thumbprint-kid-rootcert-ec", "v3.0.0", Outcome::Fail);
        untrusted.evidence =
            "failed to verify token: token signed by untrusted key with ID: \"GXQ\"".into();
        let ec = FixContext {
            workload: Workload::None,
            token: Some(super::super::TokenProfile {
                kid: super::super::TokenKid::Kid(crate::kid::KidForm::Thumbprint),
                key: crate::env::auth::KeyType::Ec,
            }),
        };
        let fix = known_fix(&untrusted, ec).unwrap();
        assert!(
            fix.contains("P-256") && fix.contains("--kid thumbprint"),
            "{fix}"
        );
        let libtrust = FixContext {
            token: Some(super::super::TokenProfile::default()),
            ..ec
        };
        assert!(known_fix(&untrusted, libtrust)
            .unwrap()
            .contains("--kid libtrust"));
    }

    #[test]
    fn an_in_place_run_from_2_8_that_sees_nothing_names_the_leading_slash() {
        let mut in_place = cell("upgrade-check/in-place", "v2.8.3", Outcome::Fail);
        in_place.version = None;
        in_place.path = Some(crate::report::UpgradePath {
            from: "v2.8.3".into(),
            to: "v3.1.2".into(),
        });
        in_place.evidence = "step 5 pull-manifest (phase 2, v3.1.2): 404 MANIFEST_UNKNOWN; registry log: unknown tag=before: manifest unknown".into();
        let fix = known_fix(&in_place, FixContext::default()).unwrap();
        assert!(fix.contains("leading slash"), "{fix}");
        in_place.path = Some(crate::report::UpgradePath {
            from: "v3.1.1".into(),
            to: "v3.1.2".into(),
        });
        assert_eq!(known_fix(&in_place, FixContext::default()), None);
    }
}
