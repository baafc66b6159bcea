//! Token authentication: the `[auth]` scenario schema (`setup`, data only)
//! apart from the token server and trust files built from it
//! (`token_auth`, the lifecycle). It must not know about scenarios beyond
//! that section.

mod setup;
mod token_auth;

pub use setup::{Attack, AuthSetup, Flow, KeyName, KeyType, Login, TokenShape, Trust};
pub use token_auth::{key_name, planned_config, TokenAuth, ACR_HOST, ISSUER, SERVICE, TOKEN_HOST};
