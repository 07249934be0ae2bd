//! What the exploration commands (`sweep`, `sensitivity`, `discover`, and `calibrate`'s options) share on the
//! command line: the common options and `--ensemble` with a design. Their library code is
//! `experiment::rows_run` (the rows file and checkpoints), `experiment::select` (policies and outcomes by name),
//! `report::csv` and `report::manifest::ManifestInfo`.

use crate::model::Model;
use crate::model::coefficients::FactorMode;
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

/// What an exploration design varies (`sweep`, `sensitivity`, `discover`), and the ensemble its trials draw
/// from when it varies the uncertainties.
#[derive(Debug, clap::Args)]
pub struct FactorArgs {
    /// What the design varies: the declared uncertainties, coefficient groups (one factor per item of the
    /// register), or every coefficient on its own (docs/register.md).
    #[arg(long, value_enum, default_value = "uncertainties")]
    pub factors: FactorMode,
    /// With --factors groups|coefficients: only ids matching PATTERN (substring, `*` wildcard; several
    /// patterns separated by commas).
    #[arg(long, value_name = "PATTERN")]
    pub coefficients: Option<String>,
    #[command(flatten)]
    pub ensemble: super::ensemble::EnsembleArgs,
}

impl FactorArgs {
    /// Load the scenario for `command` (through `which_scenario`, with its terminal lines) and attach the
    /// calibrated ensemble to a design over the uncertainties: each trial then draws one member from (seed,
    /// trial), as in `run`, so the design's results integrate over what the 2021–2023 record cannot pin down.
    /// A design over coefficients varies the very numbers a member fixes, so it runs the register's values:
    /// `--ensemble FILE` with it is refused rather than silently ignored.
    pub fn load(&self, scenario: Option<&Path>, command: &str, quiet: bool) -> Result<Loaded> {
        if self.factors != FactorMode::Uncertainties
            && let Some(f) = &self.ensemble.ensemble
        {
            bail!(
                "--ensemble {}: a design over coefficients (--factors {}) varies the coefficients an ensemble \
                 member fixes; drop --ensemble, or use --factors uncertainties to sample the ensemble",
                f.display(),
                self.factors.name()
            );
        }
        let mut loaded = super::which_scenario::load(scenario, command, quiet)?;
        if self.factors == FactorMode::Uncertainties {
            self.ensemble.attach(&mut loaded, scenario, quiet)?;
        }
        Ok(loaded)
    }
}
