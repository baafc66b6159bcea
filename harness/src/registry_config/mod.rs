//! Layer 4 (components): the registry's `config.yml` — its typed model, the
//! credentials it names, and each version's dialect of it — for the
//! environment to render and upgrade-check to read back. It must not start
//! processes or know about scenarios.

mod credentials;
mod dialect;
mod model;
mod sections;
mod user_sections;

pub use credentials::{CredentialsMode, ServicePrincipal, StorageCredentials};
pub use dialect::{credentials_mode, ConfigDialect};
pub use model::{fill_placeholders, fill_secret, AzureStorage, RegistryConfig, StorageDriver};
pub use sections::{TokenAuthConfig, Unsupported};
pub use user_sections::{
    endpoint_name, merge_into, LocalServices, UserSections, NOTIFICATIONS_URL, REDIS_ADDR,
    REDIS_PASSWORD,
};

#[cfg(test)]
mod tests;
