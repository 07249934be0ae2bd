//! greatgame: parse the command line, run the command, report errors.

use clap::Parser;
use greatgame::cli::{Cli, dispatch};
use std::process::ExitCode;

fn main() -> ExitCode {
    match dispatch(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<greatgame::scenario::diagnostics::ScenarioError>() {
                Some(se) => eprintln!("{se}"),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}
