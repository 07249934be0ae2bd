//! Command-line interface: parse options, then hand over to one command.

pub mod bargain;
pub mod calibrate;
pub mod compare;
pub mod discover;
pub mod ensemble;
pub mod explain;
pub mod explore;
pub mod hindcast;
pub mod init;
pub mod list;
pub mod merge;
pub mod numbers;
pub mod resume;
pub mod run;
pub mod sensitivity;
pub mod serve;
pub mod sweep;
pub mod typos;
pub mod validate;
pub mod wargame;
pub mod which_scenario;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub use typos::parse;

#[derive(Debug, Parser)]
#[command(name = "greatgame", version, about = "Policy-option scenario simulator: Monte Carlo trials of how nine actors in Afghanistan's neighbourhood respond to US policy levers.", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write an editable copy of the built-in scenario and its calibration record into a folder (default my-scenario/).
    Init(init::InitArgs),
    /// Run the Monte Carlo experiment and write tables and charts.
    Run(run::RunArgs),
    /// Combine the shard outputs of one run (`run --shard K/N`) into the results of the whole run.
    Merge(merge::MergeArgs),
    /// Check a scenario file and report every problem with its position.
    Validate(ScenarioArg),
    /// List a scenario's actors and interests, levers, policies, uncertainties and outcomes.
    List(list::ListArgs),
    /// Compare policies with a baseline on the same trials: paired differences, robustness, mechanisms, report.html.
    Compare(compare::CompareArgs),
    /// Explain a policy's differences from the baseline: actors' choices and event rates, year by year.
    Explain(explain::ExplainArgs),
    /// Run the status-quo policy over 2021-2025 and score it against the calibration record.
    Hindcast(hindcast::HindcastArgs),
    /// Calibrate an ensemble on the record by history matching (coefficients and world views).
    Calibrate(calibrate::CalibrateArgs),
    /// Run KTAB's Spatial Model of Politics on a KTAB CSV (or RON) bargaining input.
    Bargain(bargain::BargainArgs),
    /// Run every combination of lever values over a design of the uncertainties (tidy CSV, charts).
    Sweep(sweep::SweepArgs),
    /// Rank the uncertainties by their effect on outcomes: Sobol indices or Morris screening.
    Sensitivity(sensitivity::SensitivityArgs),
    /// Scenario discovery: find the region of uncertainties where a condition holds (PRIM, CART).
    Discover(discover::DiscoverArgs),
    /// Classroom wargame: teams play actors turn by turn, the model adjudicates (see docs/instructor-guide.md).
    Wargame(wargame::WargameArgs),
    /// Serve a wargame to the class's browsers: one URL per team and one for the white cell (and the Explore
    /// page); without --game, the Explore page alone.
    Serve(serve::ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ScenarioArg {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
}

/// Run the parsed command.
pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(a) => init::execute(&a),
        Command::Run(a) => run::execute(&a),
        Command::Merge(a) => merge::execute(&a),
        Command::Validate(a) => validate::execute(&a),
        Command::List(a) => list::execute(&a),
        Command::Bargain(a) => bargain::execute(&a),
        Command::Sweep(a) => sweep::execute(&a),
        Command::Sensitivity(a) => sensitivity::execute(&a),
        Command::Discover(a) => discover::execute(&a),
        Command::Compare(a) => compare::execute(&a),
        Command::Explain(a) => explain::execute(&a),
        Command::Hindcast(a) => hindcast::execute(&a),
        Command::Calibrate(a) => calibrate::execute(&a),
        Command::Wargame(a) => wargame::execute(&a),
        Command::Serve(a) => serve::execute(&a),
    }
}
