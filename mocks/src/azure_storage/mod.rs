//! Azure Blob storage wire details the mock cloud needs: Shared Key
//! signing, and the compatibility rewrites that make Azurite answer the way
//! Azure does where the emulator diverges.

pub mod emulator_compat;
pub mod shared_key;
