//! The subcommands, one module each: parse the arguments, call the library,
//! print what it returns and pick the exit code. Nothing here runs, judges
//! or renders on its own; that belongs to the library.

pub mod bench;
pub mod install;
pub mod jwks;
pub mod matrix;
pub mod report;
pub mod shared;
pub mod soak;
pub mod token;
pub mod up;
pub mod upgrade_check;
pub mod validate;
pub mod versions;
