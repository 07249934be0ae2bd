//! The hindcast: does the status-quo run reproduce the record since the takeover?
//!
//! `spec` reads the calibration record (series, observations, targets) and
//! resolves it against a model; `run` simulates the record's policy to its
//! last quarter and aggregates to calendar years; `targets` scores the
//! targets; `report` writes the tables and charts; `job` is the whole command
//! as one library call. See docs/calibration.md.

pub mod job;
pub mod report;
pub mod run;
pub mod spec;
pub mod targets;

pub use run::{HindcastResults, run};
pub use spec::{Record, load};
pub use targets::{TargetResult, evaluate};
