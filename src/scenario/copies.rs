//! Editable copies of the built-in scenario, its calibration record and its known present (`greatgame init`).
//!
//! The default scenario is compiled into the binary, so editing `scenarios/afghanistan.ron` in a checkout changes
//! nothing for an installed `greatgame run`. [`write_copies`] gives the user their own copy in a folder of their
//! choosing, which every command takes by path; `hindcast` finds the record beside it, `run` and `compare` the
//! present. It never overwrites a file: an existing copy may hold the user's edits.

use super::DEFAULT_SCENARIO;
use crate::hindcast::spec::DEFAULT_RECORD;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder `greatgame init` writes to when none is given.
pub const DEFAULT_DIR: &str = "my-scenario";
/// The scenario's file name; `hindcast` looks for `<stem>.hindcast.ron` beside it.
pub const SCENARIO_FILE: &str = "afghanistan.ron";
/// The calibration record's file name.
pub const RECORD_FILE: &str = "afghanistan.hindcast.ron";
/// The known present's file name; `run` and `compare` look for `<stem>.present.ron` beside the scenario.
pub const PRESENT_FILE: &str = "afghanistan.present.ron";

/// Write the three copies into `dir` (created if missing). Every file is checked before any is written, so a
/// refusal (a file already there) leaves nothing half done; a failure part-way removes only what this call
/// wrote. Returns the paths written.
pub fn write_copies(dir: &Path) -> Result<Vec<PathBuf>> {
    let files = [
        (SCENARIO_FILE, DEFAULT_SCENARIO),
        (RECORD_FILE, DEFAULT_RECORD),
        (PRESENT_FILE, crate::present::DEFAULT_PRESENT),
    ];
    if dir.exists() && !dir.is_dir() {
        bail!(
            "{} exists and is not a folder; give a folder for the copies, e.g. `greatgame init {DEFAULT_DIR}`",
            dir.display()
        );
    }
    // Check every file before writing any, so a refusal leaves nothing half done.
    for (name, _) in files {
        let path = dir.join(name);
        if path.symlink_metadata().is_ok() {
            let use_it = match name {
                SCENARIO_FILE => format!("use it as it is (`greatgame run {}`)", path.display()),
                _ => "use it as it is".to_string(),
            };
            bail!(
                "{} already exists; `greatgame init` never overwrites a file (it may hold your edits). Either {use_it}, \
                 or, for a fresh copy, give another folder (`greatgame init OTHER_DIR`) or move the file away first",
                path.display()
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let mut written: Vec<PathBuf> = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        if let Err(e) = write_new(&path, text) {
            // Undo only what this command wrote.
            for w in &written {
                let _ = std::fs::remove_file(w);
            }
            return Err(e);
        }
        written.push(path);
    }
    Ok(written)
}

/// Write `text` to a new file at `path`; fails rather than replace a file that appeared in the meantime.
fn write_new(path: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes()).and_then(|()| f.sync_all()).map_err(|e| {
        // The file is this command's own, and incomplete: do not leave it behind.
        let _ = std::fs::remove_file(path);
        anyhow::Error::new(e).context(format!("cannot write {}", path.display()))
    })
}
