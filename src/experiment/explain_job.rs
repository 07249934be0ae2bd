//! `explain` as a library call: one policy against the baseline on the same trials (the paired evaluator with
//! mechanisms and drivers, [`crate::analysis::compare`]), written by [`crate::report::explain_folder`] into a
//! staging folder moved into place. Plain options ([`ExplainJob`]) on a prepared model (world views fixed,
//! anchored to the known present as `compare` is, ensemble attached).

use crate::analysis::compare::{CompareDesign, Comparison, compare};
use crate::calibrate::file::EnsembleRef;
use crate::report::Manifest;
use crate::report::comparison::CompareReport;
use crate::report::staging::Staging;
use crate::scenario::Loaded;
use anyhow::Result;
use std::path::PathBuf;

/// What to explain, as plain values.
#[derive(Debug, Clone)]
pub struct ExplainJob {
    /// The baseline's and the explained policy's indices (the same policy: its zero self-comparison).
    pub baseline: usize,
    pub policy: usize,
    pub trials: u64,
    pub seed: u64,
    pub threads: usize,
    /// How many of the largest differences to list and chart.
    pub top: usize,
    /// The output folder (written through a staging folder beside it).
    pub out_dir: PathBuf,
    /// Draw the forest charts.
    pub charts: bool,
    /// Show a progress bar on the terminal.
    pub progress: bool,
    /// `present::attach`'s suffix for the design name, and its description of the anchoring.
    pub anchor_suffix: String,
    pub anchoring: Option<serde_json::Value>,
    /// The calibrated ensemble attached to the model, for the manifest.
    pub ensemble: Option<EnsembleRef>,
}

/// What a finished explanation wrote.
pub struct ExplainOutcome {
    /// The output folder, in place.
    pub dir: PathBuf,
    pub comparison: Comparison,
    pub manifest: Manifest,
    /// What the terminal shows: the headline differences and the mechanisms behind them.
    pub summary: String,
}

impl ExplainJob {
    /// Run the paired trials on the prepared model in `loaded` and write the folder.
    pub fn run(self, loaded: &Loaded) -> Result<ExplainOutcome> {
        let model = &loaded.model;
        let (slots, rows) = if self.policy == self.baseline {
            (vec![self.baseline], vec![0])
        } else {
            (vec![self.baseline, self.policy], vec![1])
        };
        let staging = Staging::new(&self.out_dir, "explain")?;
        let design = CompareDesign {
            slots,
            rows,
            trials: self.trials,
            seed: self.seed,
            threads: self.threads,
            thresholds: Vec::new(),
            weights: Vec::new(),
            mechanisms: true,
            drivers: true,
            progress: self.progress,
            decision: None,
        };
        let cmp = compare(model, &design)?;
        let manifest = Manifest {
            ensemble: self.ensemble,
            anchoring: self.anchoring,
            ..Manifest::paired(
                loaded,
                &cmp,
                &format!("paired_monte_carlo_explain{}", self.anchor_suffix),
                self.threads,
            )
        };
        let report = CompareReport {
            model,
            cmp: &cmp,
            manifest: &manifest,
        };
        let summary = crate::report::explain_folder::write(&report, staging.path(), self.top, self.charts)?;
        let dir = staging.commit()?;
        Ok(ExplainOutcome {
            dir,
            comparison: cmp,
            manifest,
            summary,
        })
    }
}
