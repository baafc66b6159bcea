//! Scenarios: the file format (`model`, with its value types in `values`),
//! the steps (`steps`, one file each), loading with precise error locations
//! (`load`), and the engine that runs one scenario against one running
//! environment and records what happened (`engine`). Nothing below the
//! engine may import it.

pub mod engine;
mod load;
pub mod model;
mod record;
pub mod steps;
pub mod values;

pub use load::{discover, from_spec, load_file, parse_text, PlanItem, Scenario, ScenarioError};

#[cfg(test)]
mod tests;
