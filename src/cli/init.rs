//! `greatgame init [DIR]`: write an editable copy of the built-in scenario, its calibration record and its known
//! present ([`crate::scenario::copies`]), then say what was written and how to use it.

use crate::scenario;
use crate::scenario::copies::{DEFAULT_DIR, PRESENT_FILE, RECORD_FILE, SCENARIO_FILE, write_copies};
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Folder to write `afghanistan.ron`, `afghanistan.hindcast.ron` and `afghanistan.present.ron` into (created
    /// if missing; existing files are never overwritten).
    #[arg(default_value = DEFAULT_DIR)]
    pub dir: PathBuf,
}

pub fn execute(args: &InitArgs) -> Result<()> {
    let dir = &args.dir;
    write_copies(dir)?;
    let sha = scenario::load(None)?.sha256;
    let scenario_path = dir.join(SCENARIO_FILE);
    let record_path = dir.join(RECORD_FILE);
    let width = record_path.display().to_string().chars().count();
    println!(
        "Wrote an editable copy of the built-in scenario (sha256 {}…):",
        &sha[..12]
    );
    println!(
        "  {:width$}   the scenario: actors, levers, policies, uncertainties, outcomes (docs/scenario-format.md)",
        scenario_path.display().to_string()
    );
    println!(
        "  {:width$}   its calibration record, read by `greatgame hindcast` (docs/calibration.md)",
        record_path.display().to_string()
    );
    println!(
        "  {:width$}   the known 2024-25 facts `run` and `compare` start from (docs/present.md)",
        dir.join(PRESENT_FILE).display().to_string()
    );
    println!("Edit them, then:");
    println!("  greatgame validate {}", scenario_path.display());
    println!("  greatgame run {}", scenario_path.display());
    println!(
        "Commands given no scenario keep using the built-in one; each prints the scenario it used (`scenario: …`)."
    );
    Ok(())
}
