//! What the exploration commands (`sweep`, `sensitivity`, `discover`, and `calibrate`'s options) share on the
//! command line: the common options and `--ensemble` with a design. Their library code is
//! `experiment::rows_run` (the rows file and checkpoints), `experiment::select` (policies and outcomes by name),
//! `report::csv` and `report::manifest::ManifestInfo`.

use crate::model::Model;
use crate::scenario::Loaded;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// Options every exploration command takes.
#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// Master seed: the same seed gives the same files at any thread count.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::numbers::seed)]
    pub seed: u64,
    /// Worker threads. Default: all cores.
    #[arg(long, allow_negative_numbers = true, value_parser = super::numbers::count::<usize>)]
    pub threads: Option<usize>,
    /// Output folder. Default: output/<scenario name>/<command>/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip the charts (tables only).
    #[arg(long)]
    pub no_charts: bool,
    /// Do not print the summary to the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

impl CommonArgs {
    pub fn threads(&self) -> Result<usize> {
        super::numbers::threads(self.threads)
    }

    pub fn out_dir(&self, model: &Model, command: &str) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(&model.name).join(command))
    }
}

/// Attach the calibrated ensemble to a design over the uncertainties (`sweep`, `sensitivity`, `discover`): each
/// trial then draws one member from (seed, trial), as in `run`, so the design's results integrate over what the
/// 2021–2023 record cannot pin down. A design over coefficients varies the very numbers a member fixes, so it
/// runs the register's values: `--ensemble FILE` with it is refused rather than silently ignored.
pub fn attach_ensemble(
    ens: &super::ensemble::EnsembleArgs,
    loaded: &mut Loaded,
    factors: crate::model::coefficients::FactorMode,
    scenario: Option<&Path>,
    quiet: bool,
) -> Result<()> {
    use crate::model::coefficients::FactorMode;
    if factors != FactorMode::Uncertainties {
        if let Some(f) = &ens.ensemble {
            bail!(
                "--ensemble {}: a design over coefficients (--factors {}) varies the coefficients an ensemble \
                 member fixes; drop --ensemble, or use --factors uncertainties to sample the ensemble",
                f.display(),
                factors.name()
            );
        }
        return Ok(());
    }
    ens.attach(loaded, scenario, quiet)?;
    Ok(())
}
