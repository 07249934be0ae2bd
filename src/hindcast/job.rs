//! A whole `hindcast` as a library call: the record's policy run to the record's last quarter, scored against
//! its targets, written into a staging folder (`hindcast.csv`, `hindcast_events.csv`, `targets.md` — with the
//! calibrated ensemble's coverage when one is attached —, charts, `manifest.json`) and moved into place. The
//! command line and a server describe it with a [`HindcastJob`] (plain values) on a prepared model.

use super::report::{self, HindcastManifest};
use super::spec::Record;
use crate::calibrate::file::{EnsembleFile, EnsembleRef};
use crate::report::Manifest;
use crate::report::staging::Staging;
use crate::scenario::Loaded;
use anyhow::Result;
use std::path::PathBuf;

/// What to run, as plain values.
#[derive(Debug, Clone)]
pub struct HindcastJob {
    pub trials: u64,
    pub seed: u64,
    pub threads: usize,
    /// The output folder (written through a staging folder beside it).
    pub out_dir: PathBuf,
    /// Draw the fan charts.
    pub charts: bool,
    /// The calibrated ensemble attached to the model (for the manifest) and its file (for its coverage and
    /// survival tables); both or neither.
    pub ensemble: Option<(EnsembleRef, EnsembleFile)>,
}

/// What a finished hindcast wrote.
#[derive(Debug)]
pub struct HindcastOutcome {
    /// The output folder, in place.
    pub dir: PathBuf,
    /// `targets.md`: what the terminal shows.
    pub targets_md: String,
    pub passed: usize,
    pub targets: usize,
    pub seconds: f64,
}

impl HindcastJob {
    /// Run the hindcast of `record` on the prepared model in `loaded` and write its folder.
    pub fn run(&self, loaded: &Loaded, record: &Record) -> Result<HindcastOutcome> {
        let model = &loaded.model;
        let staging = Staging::new(&self.out_dir, "hindcast")?;
        let res = super::run(model, record, self.trials, self.seed, self.threads)?;
        let scored = super::evaluate(record, &res);
        let secs = res.elapsed.as_secs_f64();
        let manifest = Manifest {
            tool: "greatgame".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario: loaded.origin.clone(),
            scenario_name: model.name.clone(),
            scenario_sha256: loaded.sha256.clone(),
            seed: self.seed,
            trials: self.trials,
            threads: self.threads,
            design: "hindcast".into(),
            policies: vec![model.policies[record.policy].id.clone()],
            baseline: model.policies[model.baseline].id.clone(),
            decision_date: model.calendar.label(model.decision_turn),
            horizon: record.until_label.clone(),
            command_line: std::env::args().collect(),
            wall_time_seconds: secs,
            trials_per_second: self.trials as f64 / secs.max(1e-9),
            complete: true,
            status: "complete".into(),
            caveat: model.caveat.clone(),
            anchoring: None,
            ensemble: self.ensemble.as_ref().map(|(r, _)| r.clone()),
            ..Manifest::default()
        };
        let passed = scored.iter().filter(|t| t.pass()).count();
        let hm = HindcastManifest {
            run: &manifest,
            record: &record.origin,
            record_sha256: &record.sha256,
            calibrated_through: record.calibrated_through,
            targets_passed: passed,
            targets_total: scored.len(),
        };
        let dir = staging.path();
        std::fs::write(dir.join("hindcast.csv"), report::hindcast_csv(record, &res))?;
        std::fs::write(dir.join("hindcast_events.csv"), report::events_csv(record, &res))?;
        let mut md = report::targets_md(model, record, &res, &scored);
        if let Some((r, f)) = &self.ensemble {
            md.push_str(&crate::calibrate::report::ensemble_section_md(r, f));
            std::fs::write(
                dir.join("ensemble_coverage.csv"),
                crate::calibrate::report::coverage_csv(f),
            )?;
        }
        std::fs::write(dir.join("targets.md"), &md)?;
        if self.charts {
            report::charts(model, record, &res, dir)?;
        }
        std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&hm)? + "\n")?;
        let dir = staging.commit()?;
        Ok(HindcastOutcome {
            dir,
            targets_md: md,
            passed,
            targets: scored.len(),
            seconds: secs,
        })
    }
}
