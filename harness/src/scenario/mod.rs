//! Scenarios: the file format (`model`), loading with precise error
//! locations (`load`), and the engine that runs one scenario against one
//! running environment and records what happened (`engine`).

pub mod engine;
mod identity_steps;
pub mod invariants;
mod load;
pub mod model;
mod process_steps;
pub mod values;

pub use load::{discover, load_file, parse_text, Scenario, ScenarioError};

#[cfg(test)]
mod tests;
