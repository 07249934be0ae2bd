//! The manifest: what produced a set of results, so they can be reproduced.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::Path;

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

impl Manifest {
    /// The manifest of a `run` (or its shard, or a merge of its shards) described by `id`: status "incomplete"
    /// until the caller says otherwise. Built from the identity rather than the options, so a resumed run and
    /// a merge describe the run exactly as it was started.
    pub fn for_run(
        model: &crate::model::Model,
        origin: &str,
        id: &crate::experiment::checkpoint::Identity,
        threads: usize,
        secs: f64,
    ) -> Manifest {
        Manifest {
            tool: "greatgame".into(),
            version: id.version.clone(),
            scenario: origin.to_string(),
            scenario_name: model.name.clone(),
            scenario_sha256: id.scenario_sha256.clone(),
            seed: id.seed,
            trials: id.trials,
            threads,
            design: id.design.clone(),
            policies: id.policies.clone(),
            baseline: model.policies[model.baseline].id.clone(),
            decision_date: model.calendar.label(model.decision_turn),
            horizon: model.calendar.label(model.turns - 1),
            command_line: std::env::args().collect(),
            wall_time_seconds: secs,
            trials_per_second: (id.trials as f64 * id.policies.len() as f64) / secs.max(1e-9),
            complete: false,
            status: "incomplete".into(),
            shard: None,
            merged_from: None,
            resumed_at_trials: Vec::new(),
            ensemble: None,
            caveat: model.caveat.clone(),
            anchoring: None,
        }
    }

    /// The manifest of a finished paired run (`compare`, `explain`): `design` names the design as the
    /// manifest shows it.
    pub fn paired(
        loaded: &crate::scenario::Loaded,
        cmp: &crate::analysis::compare::Comparison,
        design: &str,
        threads: usize,
    ) -> Manifest {
        let model = &loaded.model;
        let secs = cmp.elapsed.as_secs_f64();
        Manifest {
            tool: "greatgame".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario: loaded.origin.clone(),
            scenario_name: model.name.clone(),
            scenario_sha256: loaded.sha256.clone(),
            seed: cmp.design.seed,
            trials: cmp.design.trials,
            threads,
            design: design.into(),
            policies: cmp.policy_ids.clone(),
            baseline: cmp.policy_ids[0].clone(),
            decision_date: model.calendar.label(model.decision_turn),
            horizon: model.calendar.label(model.turns - 1),
            command_line: std::env::args().collect(),
            wall_time_seconds: secs,
            trials_per_second: cmp.design.trials as f64 / secs.max(1e-9),
            complete: true,
            status: "complete".into(),
            caveat: model.caveat.clone(),
            ..Manifest::default()
        }
    }
}

/// Write `manifest.json`: the run's manifest plus the design's details; `adjust` has the last say (a shard's
/// status, a merge's `merged_from`). Callers go through [`ManifestInfo::write`].
#[allow(clippy::too_many_arguments)]
fn write_manifest_with(
    dir: &Path,
    loaded: &crate::scenario::Loaded,
    seed: u64,
    trials: u64,
    threads: usize,
    design: &str,
    policy: &str,
    secs: f64,
    details: serde_json::Value,
    adjust: impl FnOnce(&mut Manifest),
) -> Result<()> {
    let model = &loaded.model;
    let mut m = Manifest {
        tool: "greatgame".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: loaded.origin.clone(),
        scenario_name: model.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed,
        trials,
        threads,
        design: design.into(),
        policies: vec![policy.into()],
        baseline: model.policies[model.baseline].id.clone(),
        decision_date: model.calendar.label(model.decision_turn),
        horizon: model.calendar.label(model.turns - 1),
        command_line: std::env::args().collect(),
        wall_time_seconds: secs,
        trials_per_second: trials as f64 / secs.max(1e-9),
        complete: true,
        status: "complete".into(),
        caveat: model.caveat.clone(),
        anchoring: None,
        ensemble: loaded.ensemble.clone(),
        ..Manifest::default()
    };
    adjust(&mut m);
    let mut v = serde_json::to_value(&m)?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert("design_details".into(), details);
    }
    let text = serde_json::to_string_pretty(&v)? + "\n";
    std::fs::write(dir.join("manifest.json"), text).map_err(|e| anyhow::Error::new(e).context("writing manifest.json"))
}

/// What an exploration command's manifest says besides its status, trials and timings.
pub struct ManifestInfo<'a> {
    pub loaded: &'a crate::scenario::Loaded,
    pub seed: u64,
    /// The design's one-line name (`sweep: full factorial lever grid x lhs`).
    pub design: String,
    pub policy: String,
    pub details: serde_json::Value,
}

impl ManifestInfo<'_> {
    /// Write `manifest.json` into `dir`; `adjust` has the last say.
    pub fn write(
        &self,
        dir: &Path,
        trials: u64,
        threads: usize,
        secs: f64,
        adjust: impl FnOnce(&mut Manifest),
    ) -> Result<()> {
        write_manifest_with(
            dir,
            self.loaded,
            self.seed,
            trials,
            threads,
            &self.design,
            &self.policy,
            secs,
            self.details.clone(),
            adjust,
        )
    }
}
