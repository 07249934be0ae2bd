//! The manifest: what produced a set of results, so they can be reproduced.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    /// Path of the scenario file, or the built-in name.
    pub scenario: String,
    pub scenario_name: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub trials: u64,
    pub threads: usize,
    /// How experiments were chosen: "monte_carlo" (each trial draws every
    /// uncertainty independently; common random numbers across policies).
    pub design: String,
    pub policies: Vec<String>,
    pub baseline: String,
    pub decision_date: String,
    pub horizon: String,
    pub command_line: Vec<String>,
    pub wall_time_seconds: f64,
    pub trials_per_second: f64,
    /// `true` only once every output file has been written.
    pub complete: bool,
    pub caveat: String,
}
