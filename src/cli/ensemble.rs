//! `--ensemble FILE` / `--no-ensemble`: which calibrated ensemble a sampling command draws each trial's
//! coefficients and world views from (the ensemble itself is `calibrate::file`).

use crate::experiment::prepare::EnsembleChoice;
use crate::scenario;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// `--ensemble FILE` / `--no-ensemble`, for every command that samples from the calibrated ensemble.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EnsembleArgs {
    /// Calibrated ensemble to draw each trial's coefficients and world views from. Default: the built-in
    /// ensemble for the built-in scenario, else `<stem>.ensemble.ron` beside the scenario if it exists.
    #[arg(long, value_name = "FILE", conflicts_with = "no_ensemble")]
    pub ensemble: Option<PathBuf>,
    /// Run the scenario's nominal coefficients (views drawn from their prior weights), not the ensemble.
    #[arg(long)]
    pub no_ensemble: bool,
}

impl EnsembleArgs {
    /// Attach the ensemble to `loaded` (after `--world` fixing and any change to its policies); refuses a
    /// stale one with the command that regenerates it.
    pub fn attach(
        &self,
        loaded: &mut scenario::Loaded,
        scenario: Option<&Path>,
        quiet: bool,
    ) -> Result<Option<crate::calibrate::file::EnsembleRef>> {
        crate::experiment::prepare::attach_ensemble(loaded, scenario, self.choice(), quiet)
    }

    /// The choice as the library's plain value.
    pub fn choice(&self) -> EnsembleChoice<'_> {
        EnsembleChoice::from_args(self.ensemble.as_deref(), self.no_ensemble)
    }
}
