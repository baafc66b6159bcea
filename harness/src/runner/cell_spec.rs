//! The environment a cell asks for: its scenario's `[registry]`,
//! `[identity]`, `[auth]` and deployment sections on its lane's versions,
//! with the run's options. `regmatrix up` starts the same one.

use super::{Lane, RunOptions};
use crate::env::{ConfigDialect, EnvironmentSpec, IdentitySetup, UpgradeTo};
use crate::install::{Column, InstalledAzurite};
use crate::scenario::Scenario;

/// `column`'s environment with the run's options and no scenario sections:
/// what `up` starts without `--like`, and what a cell's spec builds on.
pub fn plain_environment_spec(
    label: impl Into<String>,
    column: &Column,
    azurite: &InstalledAzurite,
    options: &RunOptions,
) -> EnvironmentSpec {
    EnvironmentSpec {
        registry_port: options.registry_port,
        ready_timeout: options.ready_timeout,
        keep_run_dir: options.keep_run_dirs,
        seed: options.seed,
        runtime: options.runtime.clone(),
        ..EnvironmentSpec::new(
            label,
            column.registry.clone(),
            ConfigDialect::of(&column.version),
            azurite.clone(),
        )
    }
}

pub fn environment_spec(
    scenario: &Scenario,
    lane: &Lane,
    azurite: &InstalledAzurite,
    options: &RunOptions,
) -> EnvironmentSpec {
    let column = lane.first();
    EnvironmentSpec {
        credentials: scenario.spec.registry.credentials,
        identity: IdentitySetup {
            workload: scenario.spec.identity.workload,
            federated_token: scenario.spec.identity.federated_token,
            token_lifetime: scenario
                .spec
                .identity
                .token_lifetime
                .map_or(IdentitySetup::default().token_lifetime, |d| d.0),
        },
        auth: scenario.spec.auth.clone(),
        repository: scenario.spec.repository.clone(),
        disable_redirect: !scenario.spec.registry.redirect,
        delete_enabled: scenario.spec.registry.delete,
        storage_names: scenario
            .user_deployment
            .as_ref()
            .map(|u| u.names.clone())
            .unwrap_or_default(),
        azure_as_written: scenario.user_deployment.as_ref().map(|u| u.azure.clone()),
        registry_env: scenario
            .user_deployment
            .as_ref()
            .map(|u| u.env.clone())
            .unwrap_or_default(),
        user_sections: scenario
            .user_deployment
            .as_ref()
            .map(|u| u.sections.clone()),
        upgrade: match lane {
            Lane::Version(_) => None,
            Lane::Path { to, .. } => Some(UpgradeTo {
                registry: to.registry.clone(),
                dialect: ConfigDialect::of(&to.version),
                config: scenario
                    .spec
                    .upgrade
                    .as_ref()
                    .map(|u| u.config)
                    .unwrap_or_default(),
            }),
        },
        ..plain_environment_spec(scenario.id().replace('/', "-"), column, azurite, options)
    }
}
