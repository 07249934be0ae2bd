//! greatgame: parse the command line, run the command, report errors.

use greatgame::cli::{dispatch, parse};
use std::process::ExitCode;

fn main() -> ExitCode {
    match dispatch(parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(i) = e.downcast_ref::<greatgame::experiment::session::Interrupted>() {
                eprintln!("greatgame: {i}");
                return ExitCode::from(130);
            }
            match e.downcast_ref::<greatgame::scenario::diagnostics::ScenarioError>() {
                Some(se) => eprintln!("{se}"),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}
