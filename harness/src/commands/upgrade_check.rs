//! `regmatrix upgrade-check`: the user's own config on the version they run
//! and the one they move to, with the scenarios that apply to it. Planning
//! and the verdict are `regmatrix::upgrade`'s; this checks the options, runs
//! the plan and prints.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use regmatrix::env::auth::KeyType;
use regmatrix::env::Workload;
use regmatrix::inspect;
use regmatrix::install::{self, Installer};
use regmatrix::progress::Progress;
use regmatrix::runner::{self, RunOptions};
use regmatrix::scenario::Scenario;
use regmatrix::upgrade::{self, TokenKid, TokenProfile};
use regmatrix::versions::RegistryVersion;

use super::shared::print_harness_errors;

#[derive(clap::Args)]
pub struct UpgradeCheckArgs {
    #[command(flatten)]
    pub backend: super::shared::BackendArgs,
    /// Your registry config.yml, or a Kubernetes ConfigMap or Secret
    /// manifest holding one (its storage.azure and auth.token sections are
    /// used; secrets are replaced by mock ones and never printed).
    #[arg(long)]
    config: PathBuf,
    /// A file of REGISTRY_* variables (KEY=VALUE lines, as docker
    /// --env-file and Kubernetes envFrom hold them); the registry process
    /// gets them, secrets swapped for the mock cloud's.
    #[arg(long)]
    env_file: Vec<PathBuf>,
    /// One REGISTRY_* variable, KEY=VALUE (repeatable; after --env-file,
    /// so it wins).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    #[arg(long)]
    from: String,
    #[arg(long)]
    to: String,
    /// How the registry gets its Azure identity: none, workload-identity,
    /// managed-identity-imds, managed-identity-app-service, environment-secret.
    #[arg(long, default_value = "none", value_parser = parse_workload)]
    workload: Workload,
    /// The kid form your token server writes: libtrust, thumbprint, arbitrary or x5c.
    // A String, parsed after --from and --to: as clap's value parser it
    // would change the error line and the help text.
    #[arg(long, default_value = "libtrust")]
    token_kid: String,
    /// The key type your token server signs with: rsa, ec (ES256) or ed25519.
    #[arg(long, default_value = "rsa", value_parser = parse_key)]
    token_key: KeyType,
    /// A token your server issued: its kid form and algorithm replace
    /// --token-kid and --token-key.
    #[arg(long)]
    token: Option<PathBuf>,
    /// Skip the rollback: after --to has read and written your data in
    /// place, do not start --from again on it.
    #[arg(long)]
    no_rollback: bool,
    /// Directory of scenario files (default: ./scenarios).
    #[arg(long)]
    scenario_dir: Option<PathBuf>,
    /// Also write the verdict for a CI gate: upgrade-check.json (schema:
    /// reports/schema/upgrade-check.schema.json), upgrade-check.md,
    /// junit.xml, and the cells behind it under matrix/.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Keep each run's directory (rendered configs, registry, Azurite and
    /// redis logs) in the temp dir, and print where.
    #[arg(long)]
    keep: bool,
}

/// What each version's own configuration parser makes of the deployment.
/// A probe that cannot be built or run is a note, not the end of the check:
/// the run itself still answers whether the config works.
async fn probe_parsers(
    installer: &Installer,
    input: &upgrade::DeploymentInput,
    versions: [&RegistryVersion; 2],
) -> Vec<upgrade::KeyFinding> {
    let (config, env) = upgrade::parser_input(input);
    let mut found = Vec::new();
    for version in versions {
        let answer = match installer.config_probe(version).await {
            Ok(probe) => tempfile::tempdir()
                .map_err(|e| e.to_string())
                .and_then(|dir| {
                    upgrade::parser::probe(&probe.binary, &config, &env, dir.path())
                        .map_err(|e| e.to_string())
                }),
            Err(e) => Err(e.to_string()),
        };
        match answer {
            Ok(reading) => found.extend(upgrade::parser::findings(
                version.tag(),
                &input.config.document,
                &reading,
            )),
            Err(e) => eprintln!(
                "note: {version}'s configuration parser could not be asked which keys it reads: {e}"
            ),
        }
    }
    found
}

fn parse_key(text: &str) -> Result<KeyType, String> {
    serde_yaml::from_str(text).map_err(|_| format!("{text:?}: use rsa, ec or ed25519"))
}

fn parse_workload(text: &str) -> Result<Workload, String> {
    serde_yaml::from_str(text).map_err(|_| {
        format!("{text:?}: use none, workload-identity, managed-identity-imds, managed-identity-app-service or environment-secret")
    })
}

pub async fn run(args: UpgradeCheckArgs, progress: &Progress) -> Result<u8> {
    let from: RegistryVersion = args.from.parse()?;
    let to: RegistryVersion = args.to.parse()?;
    let Ok(token_kid) = args.token_kid.parse::<TokenKid>() else {
        bail!(
            "--token-kid {:?}: use libtrust, thumbprint, arbitrary or x5c",
            args.token_kid
        );
    };
    let token_profile = match &args.token {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            TokenProfile::of(&inspect::inspect(text.trim())?)
        }
        None => TokenProfile {
            kid: token_kid,
            key: args.token_key,
        },
    };
    let dir = args
        .scenario_dir
        .unwrap_or_else(runner::default_scenario_dir);
    if from == to {
        bail!("--from and --to are both {from}: name the version you run and the one you move to");
    }
    let mut env = Vec::new();
    for file in &args.env_file {
        env.extend(upgrade::read_env_file(file)?);
    }
    for text in &args.env {
        env.push(upgrade::parse_env_arg(text)?);
    }
    let input = upgrade::DeploymentInput {
        config: upgrade::read_config(&args.config)?,
        env,
    };
    let plan = upgrade::plan(
        &input,
        args.workload,
        token_profile,
        &dir,
        !args.no_rollback,
    )?;
    if let Some(token) = &plan.token {
        eprintln!(
            "note: auth.token runs against the mock token server (its realm, service, issuer and keys); the trust ({}), the key type ({}) and the kid form ({}) follow your config and tokens",
            if token.contains_key("jwks") { "with jwks" } else { "rootcertbundle" },
            token_profile.key_word(),
            token_profile.kid.word()
        );
    }
    for line in upgrade::env_notes(&plan.env) {
        eprintln!("note: {line}");
    }
    // Before any build: a missing engine or image is one line, at once.
    let runtime = args
        .backend
        .runtime(&[from.clone(), to.clone()], None, progress)
        .await?;
    let installer = Installer::from_env()?;
    let (azurite, columns) =
        install::prepare(&installer, &[from.clone(), to.clone()], None, progress).await?;
    let scenarios: Vec<Scenario> = plan.scenarios().cloned().collect();
    // In place: the version you run writes, the target starts on that data.
    let path = [(columns[0].clone(), columns[1].clone())];
    let report = runner::run_matrix(
        &azurite,
        &columns,
        &path,
        &scenarios,
        &RunOptions {
            keep_run_dirs: args.keep,
            runtime,
            ..RunOptions::default()
        },
        progress,
    )
    .await;
    let parser_findings = probe_parsers(&installer, &input, [&from, &to]).await;
    let verdict = upgrade::verdict_from(&report, &plan, &from, &to, &args.config, parser_findings);
    print!("{}", upgrade::render(&verdict));
    if let Some(dir) = &args.out {
        for path in upgrade::outputs::write(&verdict, &report, dir)? {
            eprintln!("wrote {}", path.display());
        }
    }
    print_harness_errors(&report);
    if report.exit_code() == 2 {
        return Ok(2);
    }
    Ok(verdict.exit_code() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_kid_words_are_the_ones_upgrade_plan_takes() {
        for kid in TokenKid::ALL {
            assert_eq!(kid.word().parse::<TokenKid>(), Ok(kid));
        }
        assert!("X5C".parse::<TokenKid>().is_err());
        assert!("none".parse::<TokenKid>().is_err());
    }
}
