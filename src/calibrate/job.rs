//! A calibration run's identity and its files outside the output folder: the options as saved in a shard state
//! ([`CalibrateSpec`], with the record's text so a merge elsewhere needs no record file), the command that
//! regenerates the ensemble, and `--write FILE`, which never overwrites a file that is not an ensemble.

use super::Rule;
use crate::experiment::checkpoint::Identity;
use crate::experiment::shard::ShardSpec;
use crate::scenario;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// The options as saved in a shard state's identity (`design`), with the record's text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibrateSpec {
    pub design: String,
    pub points: u64,
    pub trials_per_point: u64,
    pub rule: Rule,
    pub max_members: u64,
    pub record_origin: String,
    pub record_text: String,
    pub scenario_arg: Option<String>,
}

/// The text of the calibration record: the file given, else `<scenario stem>.hindcast.ron` beside the scenario,
/// else (the built-in scenario) the built-in record.
pub fn record_text(scenario: Option<&Path>, record: Option<&Path>) -> Result<String> {
    match record
        .map(Path::to_path_buf)
        .or_else(|| scenario.map(|s| crate::scenario::companion(s, "hindcast")))
    {
        Some(p) => std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display())),
        None => Ok(crate::hindcast::spec::DEFAULT_RECORD.to_string()),
    }
}

/// The command that regenerates this calibration's ensemble file.
pub fn regenerate(spec: &CalibrateSpec, seed: u64) -> String {
    let scen = spec
        .scenario_arg
        .clone()
        .unwrap_or_else(|| "scenarios/afghanistan.ron".into());
    let target = crate::scenario::companion(Path::new(&scen), "ensemble");
    format!(
        "greatgame calibrate {scen} --seed {seed} --points {} --trials-per-point {} --design {} --cutoff {} \
         --max-cutoff {} --discrepancy {} --max-members {} --write {}",
        spec.points,
        spec.trials_per_point,
        spec.design,
        spec.rule.cutoff,
        spec.rule.max_cutoff,
        spec.rule.discrepancy,
        spec.max_members,
        target.display()
    )
}

/// The identity of a calibration (or its shard): `--resume` and `merge` refuse a state with another.
pub fn identity(loaded: &scenario::Loaded, spec: &CalibrateSpec, seed: u64, shard: Option<ShardSpec>) -> Identity {
    Identity {
        kind: "calibrate".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_sha256: loaded.sha256.clone(),
        seed,
        trials: spec.points * spec.trials_per_point,
        design: serde_json::to_string(spec).unwrap_or_default(),
        policies: Vec::new(),
        fans: false,
        keep_values: 0,
        trials_file: true,
        shard,
    }
}

/// Write the ensemble to `--write FILE`: a file that is there already is replaced only when it is an ensemble
/// file (greatgame never overwrites a file it did not write), and through a temporary file and a rename, so an
/// interrupted write leaves the old ensemble whole.
pub fn write_ensemble(path: &Path, text: &str) -> Result<()> {
    if let Ok(old) = std::fs::read_to_string(path) {
        if super::EnsembleFile::parse(&old, &path.display().to_string()).is_err() {
            bail!(
                "{} exists and is not an ensemble file greatgame wrote: refusing to overwrite it; choose another \
                 --write path or move the file",
                path.display()
            );
        }
    } else if path.exists() {
        bail!("{} exists and cannot be read: refusing to overwrite it", path.display());
    }
    let tmp = path.with_extension("ron.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}
