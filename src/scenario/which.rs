//! Which scenario a command runs, said out loud (the command line re-exports this as `cli::which_scenario`;
//! `experiment::prepare` loads through it, so a server's Explore page says the same).
//!
//! The default scenario is compiled into the binary, so a user who edits `scenarios/afghanistan.ron` and runs
//! `greatgame run` without a path gets the built-in copy, not the edit. Every command that loads a scenario goes
//! through [`load`], which prints one line on stderr naming the scenario and its hash (`scenario: built-in
//! afghanistan (sha256 …)` or `scenario: my/afghanistan.ron (sha256 …)`), and, when no path was given but a
//! scenario file in the working directory differs from the built-in one, a `note:` saying that the edit was not
//! used and how to use it. The manifest records the same name and the full hash.

use crate::hindcast::spec::Record;
use crate::scenario::{self, Loaded, diagnostics::ScenarioError};
use std::path::Path;

/// Where a user who edits the shipped scenario is likely to have it, relative to the working directory.
pub const EDITED_SCENARIO_PLACES: [&str; 2] = ["afghanistan.ron", "scenarios/afghanistan.ron"];
/// The same for the calibration record that `hindcast` reads.
pub const EDITED_RECORD_PLACES: [&str; 2] = ["afghanistan.hindcast.ron", "scenarios/afghanistan.hindcast.ron"];

/// Load the scenario at `path` (the built-in one when `None`) and say which it is. `command` is the subcommand
/// as typed (`run`, `wargame new`), for the command the note suggests; `quiet` drops the `scenario:` line but
/// not a note, which warns that an edit is being ignored.
pub fn load(path: Option<&Path>, command: &str, quiet: bool) -> Result<Loaded, ScenarioError> {
    let loaded = scenario::load(path)?;
    announce(path, &loaded.origin, &loaded.sha256, command, quiet);
    Ok(loaded)
}

/// Print the `scenario:` line (unless `quiet`) and, for the built-in scenario, the note about an edited copy in
/// the working directory. For commands that load the scenario elsewhere (`wargame new`).
pub fn announce(path: Option<&Path>, origin: &str, sha256: &str, command: &str, quiet: bool) {
    if !quiet {
        eprintln!("{}", line("scenario", origin, sha256));
    }
    if path.is_none() {
        note_edited_copy(
            Path::new("."),
            &EDITED_SCENARIO_PLACES,
            scenario::DEFAULT_SCENARIO,
            "scenario",
            command,
        );
    }
}

/// The same for `hindcast`'s calibration record: `record: …` and the note when the built-in record is used while
/// an edited `afghanistan.hindcast.ron` sits in the working directory.
pub fn announce_record(scenario_path: Option<&Path>, record_path: Option<&Path>, record: &Record, quiet: bool) {
    if !quiet {
        eprintln!("{}", line("record", &record.origin, &record.sha256));
    }
    if scenario_path.is_none() && record_path.is_none() {
        note_edited_copy(
            Path::new("."),
            &EDITED_RECORD_PLACES,
            crate::hindcast::spec::DEFAULT_RECORD,
            "calibration record",
            "hindcast --record",
        );
    }
}

/// `scenario: NAME (sha256 0123456789ab…)`: enough of the hash to tell two versions apart at a glance; the
/// manifest has all of it.
pub fn line(what: &str, origin: &str, sha256: &str) -> String {
    let short: String = sha256.chars().take(12).collect();
    format!("{what}: {origin} (sha256 {short}…)")
}

/// If a file at one of `places` (relative to `dir`) differs from the built-in `builtin` text, print a note naming
/// it, saying the built-in copy is used, and giving the command that uses the file. Files identical to the
/// built-in one (a fresh checkout) and unreadable ones say nothing.
fn note_edited_copy(dir: &Path, places: &[&str], builtin: &str, what: &str, command: &str) {
    for place in edited_copies(dir, places, builtin) {
        eprintln!(
            "note: {place} differs from the built-in {what}; this command used the built-in one, not your file.\n      \
             To use your file, give its path: greatgame {command} {place}"
        );
    }
}

/// The `places` under `dir` that hold a file whose text differs from `builtin`.
pub fn edited_copies<'a>(dir: &Path, places: &[&'a str], builtin: &str) -> Vec<&'a str> {
    places
        .iter()
        .copied()
        .filter(|place| {
            let path = dir.join(place);
            // A scenario is well under a megabyte; do not read a huge file just to compare it.
            let small = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() < 16 << 20);
            small && std::fs::read(&path).is_ok_and(|bytes| bytes != builtin.as_bytes())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_that_differ_from_the_built_in_text_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let builtin = scenario::DEFAULT_SCENARIO;
        assert!(edited_copies(tmp.path(), &EDITED_SCENARIO_PLACES, builtin).is_empty());
        std::fs::write(tmp.path().join("afghanistan.ron"), builtin).unwrap();
        assert!(edited_copies(tmp.path(), &EDITED_SCENARIO_PLACES, builtin).is_empty());
        std::fs::create_dir(tmp.path().join("scenarios")).unwrap();
        std::fs::write(
            tmp.path().join("scenarios/afghanistan.ron"),
            builtin.replace("0.9", "0.8"),
        )
        .unwrap();
        assert_eq!(
            edited_copies(tmp.path(), &EDITED_SCENARIO_PLACES, builtin),
            vec!["scenarios/afghanistan.ron"]
        );
        assert_eq!(
            line("scenario", "x.ron", &"ab".repeat(32)),
            "scenario: x.ron (sha256 abababababab…)"
        );
    }
}
