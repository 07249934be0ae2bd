//! A whole `compare` as a library call: policies against a baseline on the same trials (the paired evaluator,
//! [`crate::analysis::compare`]), written into a staging folder (`decision_state.csv` streamed as it runs, then
//! the tables, charts, `report.html`, `summary.md` and `manifest.json` by [`crate::report::compare_folder`]) and
//! moved into place. The command line and a server describe a comparison with a [`CompareJob`] (plain values)
//! and call [`CompareJob::run`] on a prepared model; what they print is theirs.

use crate::analysis::compare::{CompareDesign, Comparison, compare_watched};
use crate::analysis::robustness::Threshold;
use crate::calibrate::file::EnsembleRef;
use crate::model::Model;
use crate::report::Manifest;
use crate::report::comparison::CompareReport;
use crate::report::staging::Staging;
use crate::scenario::Loaded;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::PathBuf;

/// What to compare, as plain values.
#[derive(Debug, Clone)]
pub struct CompareJob {
    /// Policy indices in slot order; slot 0 is the baseline ([`slots_and_rows`]).
    pub slots: Vec<usize>,
    /// Slots reported as rows.
    pub rows: Vec<usize>,
    pub trials: u64,
    pub seed: u64,
    pub threads: usize,
    /// Satisficing thresholds (`analysis::robustness::parse_satisfice`).
    pub thresholds: Vec<Threshold>,
    /// Weights of outcomes in overall regret; empty means equal weights.
    pub weights: Vec<f64>,
    /// The output folder (written through a staging folder beside it).
    pub out_dir: PathBuf,
    /// Draw the charts and `report.html`.
    pub charts: bool,
    /// Write `decision_state.csv`.
    pub decision_state: bool,
    /// Show a progress bar on the terminal.
    pub progress: bool,
    /// Count the trials done on this bar instead (a server's progress indicator reads its position).
    pub watch: Option<indicatif::ProgressBar>,
    /// The manifest's design name ([`design_name`]).
    pub design_name: String,
    /// How the history before the decision date is anchored (`present::attach`), for the manifest.
    pub anchoring: Option<serde_json::Value>,
    /// The calibrated ensemble attached to the model, for the manifest.
    pub ensemble: Option<EnsembleRef>,
}

/// The slots (baseline first, then every chosen policy but the baseline) and the reported rows: every slot but
/// the baseline's, and the baseline's own (zero) self-comparison first when `compare_self` (it was named).
/// Refuses a comparison with nothing to compare.
pub fn slots_and_rows(
    model: &Model,
    base: usize,
    chosen: &[usize],
    compare_self: bool,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let self_row = compare_self && chosen.contains(&base);
    let mut slots = vec![base];
    slots.extend(chosen.iter().copied().filter(|&p| p != base));
    let mut rows: Vec<usize> = (1..slots.len()).collect();
    if self_row {
        rows.insert(0, 0);
    }
    if rows.is_empty() {
        bail!(
            "nothing to compare: the scenario has only the baseline `{}`; name policies with --policies",
            model.policies[base].id
        );
    }
    Ok((slots, rows))
}

/// The manifest's design name: packages from the decision date, or from their articles' dates; then how the
/// history is anchored (`present::attach`'s suffix).
pub fn design_name(article: bool, anchor_suffix: &str) -> String {
    let name = if article {
        "paired_monte_carlo, packages from their articles' dates (--start article)"
    } else {
        "paired_monte_carlo"
    };
    format!("{name}{anchor_suffix}")
}

/// What a finished comparison wrote.
pub struct CompareOutcome {
    /// The output folder, in place.
    pub dir: PathBuf,
    pub comparison: Comparison,
    pub manifest: Manifest,
    /// `summary.md`: what the terminal shows.
    pub summary: String,
}

impl CompareJob {
    /// Run the comparison on the prepared model in `loaded` and write its folder.
    pub fn run(self, loaded: &Loaded) -> Result<CompareOutcome> {
        let model = &loaded.model;
        let staging = Staging::new(&self.out_dir, "compare")?;
        let decision_path = staging.path().join(super::run_job::DECISION);
        let decision = if !self.decision_state {
            None
        } else {
            let f = std::fs::File::create(&decision_path)
                .with_context(|| format!("creating {}", decision_path.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
            let header = crate::present::decision_header(model, crate::present::anchored(model, &self.slots));
            w.write_all(header.as_bytes()).context("writing decision_state.csv")?;
            Some(crate::present::DecisionWriter::new(Box::new(w)))
        };
        let design = CompareDesign {
            slots: self.slots,
            rows: self.rows,
            trials: self.trials,
            seed: self.seed,
            threads: self.threads,
            thresholds: self.thresholds,
            weights: self.weights,
            mechanisms: true,
            drivers: true,
            progress: self.progress,
            decision,
        };
        let cmp = compare_watched(model, &design, self.watch.as_ref())?;
        if let Some(w) = &design.decision {
            w.flush()?;
        }
        let mut manifest = Manifest::paired(loaded, &cmp, &self.design_name, self.threads);
        if let Some(a) = &self.anchoring {
            let csv = self.decision_state.then_some(decision_path.as_path());
            manifest.anchoring = Some(crate::present::manifest_entry(a, csv)?);
        }
        manifest.ensemble = self.ensemble;
        let report = CompareReport {
            model,
            cmp: &cmp,
            manifest: &manifest,
        };
        let summary = crate::report::compare_folder::write(&report, staging.path(), self.charts)?;
        let dir = staging.commit()?;
        Ok(CompareOutcome {
            dir,
            comparison: cmp,
            manifest,
            summary,
        })
    }
}
