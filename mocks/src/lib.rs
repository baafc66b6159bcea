//! regmatrix-mocks: the mock Azure cloud the harness runs registries against.
//! `pki` makes the per-run CA and leaves; `front_door` is the forward proxy
//! that routes production host names to loopback servers and records traffic.

pub mod azure_storage;
pub mod front_door;
pub mod pki;
