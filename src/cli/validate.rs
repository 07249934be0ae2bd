//! `greatgame validate`: load a scenario and say whether it is sound (the text is
//! [`crate::report::listing::validate_text`]; a scenario that does not compile fails the load with every
//! problem and its position).

use super::ScenarioArg;

pub fn execute(args: &ScenarioArg) -> anyhow::Result<()> {
    let loaded = super::which_scenario::load(args.scenario.as_deref(), "validate", false)?;
    print!("{}", crate::report::listing::validate_text(&loaded));
    Ok(())
}
