//! regmatrix-mocks: the mock Azure cloud the harness runs registries against.
//! `pki` makes the per-run CA and leaves; `front_door` is the forward proxy
//! that routes production host names to loopback servers and records traffic;
//! `identity` is Entra ID, managed identity and the Kubernetes token issuer;
//! `jose` signs and verifies the tokens they exchange.

pub mod azure_storage;
pub mod front_door;
pub mod identity;
pub mod jose;
pub mod notifications;
pub mod pki;
pub mod seed;
mod service_http;
pub mod token_server;
