//! `--resume`, `--restart` and `--checkpoint-every`, the options of every command that can be interrupted and
//! resumed (`run`, `sweep`, `sensitivity`, `calibrate`). What they do is in the library
//! ([`crate::experiment::session`]: the stop flag, the locked staging folder and its checkpoints;
//! [`crate::experiment::partial`]: rows files cut back on resume); this file turns the options into its
//! [`ResumeMode`].

pub use crate::experiment::partial::PartialFile;
pub use crate::experiment::session::{Interrupted, ResumeMode, Session, install_stop_handler, stop_requested};
use anyhow::Result;
use std::time::Duration;

/// The options of every command that can be interrupted and resumed.
#[derive(Debug, Clone, clap::Args)]
pub struct ResumeArgs {
    /// Continue an interrupted run into the same --out from its last checkpoint (the scenario, seed and options
    /// must be the same; --threads may differ).
    #[arg(long, conflicts_with = "restart")]
    pub resume: bool,
    /// Discard the saved state of an interrupted run into the same --out and start again.
    #[arg(long)]
    pub restart: bool,
    /// Seconds between checkpoints of an unfinished run (0: after every batch). Ctrl-C always saves one before
    /// stopping.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", allow_negative_numbers = true)]
    pub checkpoint_every: f64,
}

impl Default for ResumeArgs {
    fn default() -> Self {
        let m = ResumeMode::default();
        ResumeArgs {
            resume: m.resume,
            restart: m.restart,
            checkpoint_every: m.checkpoint_every,
        }
    }
}

impl ResumeArgs {
    /// The options as the library takes them.
    pub fn mode(&self) -> ResumeMode {
        ResumeMode {
            resume: self.resume,
            restart: self.restart,
            checkpoint_every: self.checkpoint_every,
        }
    }

    /// The checkpoint interval, checked.
    pub fn every(&self) -> Result<Duration> {
        self.mode().every()
    }
}

impl From<&ResumeArgs> for ResumeMode {
    fn from(a: &ResumeArgs) -> ResumeMode {
        a.mode()
    }
}
