//! `greatgame list`: the scenario in words — who wants what, what the
//! US can do, what each policy package does and which passage it rests on
//! (the text is [`crate::report::listing`]; the coefficient register's is
//! [`crate::report::register`]).

use super::ScenarioArg;
use crate::report::listing::{render, render_policies};
use crate::report::register::{register_csv, register_text};

/// `greatgame list` options.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Print the coefficient register: every number of the model with its id, kind, range and source
    /// (docs/register.md).
    #[arg(long)]
    pub coefficients: bool,
    /// Only the policy packages: per package its source, start, each rule with
    /// the passage it rests on, the rules whose amounts are defaults, and what
    /// the article recommends that the model cannot represent.
    #[arg(long, conflicts_with = "coefficients")]
    pub policies: bool,
    /// With --coefficients: `text` (grouped, for reading) or `csv` (columns id,value,low,high,kind,source).
    #[arg(long, value_enum, default_value = "text", requires = "coefficients")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Csv,
}

pub fn execute(args: &ListArgs) -> anyhow::Result<()> {
    let quiet = args.coefficients && args.format == ListFormat::Csv;
    let loaded = super::which_scenario::load(args.scenario.scenario.as_deref(), "list", quiet)?;
    if args.coefficients {
        let reg = crate::scenario::register_of(&loaded).map_err(|e| anyhow::anyhow!("{e}"))?;
        let text = match args.format {
            ListFormat::Csv => register_csv(&reg),
            ListFormat::Text => register_text(&reg),
        };
        // A reader piping into `head` closes the pipe early: that is not an error.
        use std::io::Write as _;
        return match std::io::stdout().write_all(text.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => r.map_err(Into::into),
        };
    }
    if args.policies {
        print!("{}", render_policies(&loaded.model));
    } else {
        print!("{}", render(&loaded.model));
    }
    Ok(())
}
