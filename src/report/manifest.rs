//! The manifest: what produced a set of results, so they can be reproduced.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// `true` only once every output file of a whole run has been written.
    pub complete: bool,
    /// `"complete"`, `"incomplete"` (a run in progress or interrupted: see
    /// `checkpoint.bin` beside it) or `"shard"` (one share of a run, not a
    /// complete run: combine the shares with `greatgame merge`).
    pub status: String,
    /// For a shard: which share of the run this is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// For a merged run: the shards it was combined from, in order, with their timings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<MergedShard>>,
    /// Trials already done when each `--resume` started (empty if never interrupted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resumed_at_trials: Vec<u64>,
    /// The calibrated ensemble the trials drew their members from (absent: the nominal coefficients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<crate::calibrate::file::EnsembleRef>,
    pub caveat: String,
    /// How the history before the decision date was anchored to the known present (`run`, `compare`; see
    /// docs/present.md): the facts, their sources, the method and the run's acceptance statistics. Absent when the
    /// history ran free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchoring: Option<serde_json::Value>,
}

/// One share of a run (`--shard K/N`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardInfo {
    /// 1-based.
    pub index: u64,
    pub count: u64,
    pub first_trial: u64,
    /// Exclusive.
    pub end_trial: u64,
    pub note: String,
}

/// What `merge` records about each shard it combined.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MergedShard {
    pub shard: String,
    pub first_trial: u64,
    pub end_trial: u64,
    pub threads: usize,
    pub wall_time_seconds: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resumed_at_trials: Vec<u64>,
}

impl Manifest {
    /// Write `manifest.json` into `dir` (atomically).
    pub fn write(&self, dir: &std::path::Path) -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        super::staging::write_atomic(&dir.join("manifest.json"), text.as_bytes())
    }
}
