//! `regmatrix up`: one environment of the matrix (registry, Azurite, the
//! mock cloud), started and left running for a person or their own client,
//! until Ctrl-C or SIGTERM. What it starts is a cell's environment
//! (`runner::environment_spec`), shaped by a scenario and the flags.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use regmatrix::env::{ClientAccess, CredentialsMode, Environment, EnvironmentSpec};
use regmatrix::install::{self, Installer};
use regmatrix::progress::Progress;
use regmatrix::runner::{self, Lane, RunOptions};
use regmatrix::scenario;
use regmatrix::versions::RegistryVersion;
use regmatrix_mocks::front_door::FaultRule;

use super::shared::BackendArgs;

#[derive(clap::Args)]
pub struct UpArgs {
    /// The registry version to run (a release tag).
    #[arg(long)]
    version: String,
    /// Shape the environment like this scenario: its storage credentials,
    /// workload identity platform, token auth profile, repository and
    /// redirect setting (e.g. `storage/workload-identity`, `auth/jwks-kid`).
    /// Its steps are not run.
    #[arg(long, value_name = "SCENARIO")]
    like: Option<String>,
    /// Directory of scenario files (default: ./scenarios).
    #[arg(long)]
    scenario_dir: Option<PathBuf>,
    /// Storage credentials, over the scenario's: shared-key,
    /// client-secret, default-credentials (the platform's identity; pair it
    /// with a workload-identity or managed-identity scenario in --like).
    #[arg(long, value_enum)]
    credentials: Option<CredentialsArg>,
    /// Serve blobs through the registry instead of redirecting clients to
    /// the storage account (`storage.redirect.disable: true`).
    #[arg(long)]
    no_redirect: bool,
    /// Storage faults at the front door: a profile (storage-flaky,
    /// identity-flaky, mixed) or a file of fault rules, as for `soak`.
    #[arg(long)]
    faults: Option<String>,
    /// One fault rule in the scenario syntax, e.g.
    /// `host=*.blob.* method=PUT status=503 every=3`; repeatable.
    #[arg(long = "fault", value_name = "RULE")]
    fault_rules: Vec<String>,
    #[command(flatten)]
    backend: BackendArgs,
    /// Run the registry on this loopback port (else a free one).
    #[arg(long)]
    registry_port: Option<u16>,
    /// Keep the run directory (config, logs, CA) after it stops; its path
    /// is printed.
    #[arg(long)]
    keep: bool,
    /// Also write the `export` lines to this file (they are always in the
    /// run directory's `env.sh`).
    #[arg(long)]
    env_file: Option<PathBuf>,
    /// Seed of the environment's keys and names.
    #[arg(long, default_value_t = regmatrix_mocks::seed::Seed::default().value())]
    seed: u64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum CredentialsArg {
    SharedKey,
    ClientSecret,
    DefaultCredentials,
}

impl From<CredentialsArg> for CredentialsMode {
    fn from(arg: CredentialsArg) -> Self {
        match arg {
            CredentialsArg::SharedKey => CredentialsMode::SharedKey,
            CredentialsArg::ClientSecret => CredentialsMode::ClientSecret,
            CredentialsArg::DefaultCredentials => CredentialsMode::DefaultCredentials,
        }
    }
}

impl UpArgs {
    pub fn wants_docker(&self) -> bool {
        self.backend.wants_docker()
    }
}

impl BackendArgs {
    fn describe(&self) -> &'static str {
        if self.wants_docker() {
            "container"
        } else {
            "process"
        }
    }
}

pub async fn run(args: UpArgs, progress: &Progress) -> Result<u8> {
    // Everything the user typed is checked before anything starts.
    let version: RegistryVersion = args.version.parse()?;
    let fault_rules = fault_rules(&args)?;
    let like = match &args.like {
        Some(id) => Some(one_scenario(args.scenario_dir.as_deref(), id)?),
        None => None,
    };
    if let Some(port) = args.registry_port {
        regmatrix::env::ports::requested_port(port)?;
    }
    let runtime = args
        .backend
        .runtime(std::slice::from_ref(&version), None, progress)
        .await?;
    let installer = Installer::from_env()?;
    let (azurite, columns) =
        install::prepare(&installer, std::slice::from_ref(&version), None, progress).await?;
    let column = columns
        .into_iter()
        .next()
        .context("the version was not installed")?;
    let options = RunOptions {
        registry_port: args.registry_port,
        keep_run_dirs: args.keep,
        seed: regmatrix_mocks::seed::Seed::new(args.seed),
        runtime,
        ..RunOptions::default()
    };
    let lane = Lane::Version(column.clone());
    let base = match &like {
        Some(scenario) => runner::environment_spec(scenario, &lane, &azurite, &options),
        None => runner::plain_environment_spec("up", &column, &azurite, &options),
    };
    let spec = EnvironmentSpec {
        label: format!("up-{version}"),
        credentials: args.credentials.map_or(base.credentials, Into::into),
        disable_redirect: base.disable_redirect || args.no_redirect,
        ..base
    };
    let bar = progress.spinner(format!("starting {version}"));
    let env = Environment::start(&spec).await;
    bar.finish_and_clear();
    let env = env.with_context(|| format!("registry {version} did not start"))?;
    for rule in fault_rules {
        env.front_door.add_fault(rule);
    }
    let access = ClientAccess::of(&env, &spec.storage_names.realm);
    let exports = access.shell_exports();
    let env_sh = env.run_dir().join("env.sh");
    std::fs::write(&env_sh, &exports)
        .with_context(|| format!("cannot write {}", env_sh.display()))?;
    if let Some(path) = &args.env_file {
        std::fs::write(path, &exports)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    print!("{}", summary(&env, &access, &spec, &args, &env_sh));
    // Until a signal: the harness's handler then stops the registry and
    // Azurite and removes the run directory (unless kept), as for `matrix`.
    regmatrix::cleanup::interrupts_end_normally(if args.keep {
        Some(env.run_dir().to_path_buf())
    } else {
        None
    });
    std::future::pending::<()>().await;
    Ok(0)
}

fn fault_rules(args: &UpArgs) -> Result<Vec<FaultRule>> {
    let mut texts = match &args.faults {
        Some(profile) => regmatrix::soak::profile_rules(profile, args.seed)?,
        None => Vec::new(),
    };
    texts.extend(args.fault_rules.iter().cloned());
    texts
        .iter()
        .map(|text| {
            text.parse::<FaultRule>()
                .with_context(|| format!("fault rule {text:?}"))
        })
        .collect()
}

fn one_scenario(dir: Option<&Path>, id: &str) -> Result<scenario::Scenario> {
    let dir = dir.map_or_else(runner::default_scenario_dir, Path::to_path_buf);
    if id.contains(['*', '?', '[', ',']) {
        bail!("--like {id:?}: name one scenario, not a pattern");
    }
    let mut found = scenario::discover(&dir, id)?;
    match found.len() {
        1 => Ok(found.remove(0)),
        _ => bail!(
            "--like {id:?}: no such scenario in {} (see `regmatrix validate`)",
            dir.display()
        ),
    }
}

fn summary(
    env: &Environment,
    access: &ClientAccess,
    spec: &EnvironmentSpec,
    args: &UpArgs,
    env_sh: &Path,
) -> String {
    let host = access.registry_host();
    let faults = env.front_door.fault_stats().len();
    let mut lines = vec![
        format!(
            "registry {} is up ({}; storage credentials {:?}, account {}, container {}; redirects {}; {} backend{})",
            args.version,
            args.like.as_deref().unwrap_or("plain environment"),
            spec.credentials,
            env.account.name,
            env.container,
            if spec.disable_redirect { "off" } else { "on" },
            args.backend.describe(),
            if faults == 0 {
                String::new()
            } else {
                format!("; {faults} fault rule(s)")
            },
        ),
        format!("  registry   {}", access.registry_url),
        format!(
            "  proxy      {}  (HTTPS_PROXY: redirected blob URLs are https://{}/...)",
            access.proxy_url, access.blob_host
        ),
        format!("  CA bundle  {}", access.ca_bundle.display()),
    ];
    if let Some(login) = &access.login {
        lines.push(format!(
            "  token      realm {} (service {}; through the proxy)",
            login.realm, login.service
        ));
        lines.push(format!(
            "  login      docker login {host} -u {} -p {}",
            login.username, login.password
        ));
    } else {
        lines.push(format!(
            "  try        curl -s {}/v2/_catalog",
            access.registry_url
        ));
    }
    lines.push(format!("  config     {}", env.config_path().display()));
    lines.push(format!(
        "  logs       {} and {}",
        env.registry_log_path().display(),
        env.run_dir().join("azurite.log").display()
    ));
    lines.push(format!("  exports    . {}", env_sh.display()));
    if let Some(path) = &args.env_file {
        lines.push(format!("             . {}", path.display()));
    }
    lines.push(format!(
        "Ctrl-C or SIGTERM stops it and {}.",
        if args.keep {
            format!("keeps {}", env.run_dir().display())
        } else {
            "removes everything it started".to_string()
        }
    ));
    lines.join("\n") + "\n"
}
