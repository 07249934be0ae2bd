//! The Spatial Model of Politics (SMP), compatible with KTAB's default bargaining model.
//!
//! Actors hold positions on one or more policy dimensions, care about each dimension with some salience, and
//! carry some capability (power). Each turn every actor looks for the rival it gains most by challenging, offers
//! it a compromise bargain shaped by who would likely win, and every actor then adopts one of the bargains it is
//! party to (or stays put), chosen by a probabilistic Condorcet election among all actors. Repeating this until
//! positions settle gives a forecast of where a policy debate converges. `SMP-SPEC.md` (shared validation folder)
//! states the algorithm; `docs/bargaining.md` explains the options and how the implementation was validated.
//!
//! Layout:
//! - [`input`]: scenarios from KTAB CSV files or RON, with line-numbered errors;
//! - [`options`]: the model's switches, defaulting to KTAB's;
//! - [`pce`]: votes, coalitions and the probabilistic Condorcet election;
//! - [`model`]: one turn — distances, risk attitudes, challenges, bargains, the next state;
//! - [`run`]: runs to the stopping rule, stochastic trials and their quantiles;
//! - [`report`]: KTAB-layout text, CSV files, atomic writes;
//! - [`chart`]: position-over-time and final-distribution charts;
//! - [`synthetic`]: random scenarios in the style of KTAB's generator.

pub mod chart;
pub mod input;
pub mod model;
pub mod options;
pub mod pce;
pub mod report;
pub mod run;
pub mod synthetic;

pub use input::{Actor, InputError, Scenario, parse_csv, parse_ron, read_scenario};
pub use model::{Bargain, ChallengeEstimate, ChallengeLog, SettleWork, Smp, StateProbabilities, Turn, TurnLog};
pub use options::SmpOptions;
pub use run::{History, TrialOutcome, run_trials, trial_rng};
