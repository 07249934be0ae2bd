//! Output folders that appear only when complete, and that never cost a user a
//! file: write into `.NAME.partial-PID` (or, for a run that can be resumed,
//! `.NAME.partial`) beside the target, then move the results into place.
//!
//! Before any work, [`Staging::new`] refuses a target greatgame may not write
//! (see [`super::ownership`]): an existing file, or a folder holding files
//! greatgame did not write. [`Staging::commit`] looks again (the folder may
//! have changed during a long run) and then:
//! - target absent: renames the staging folder into place;
//! - target empty, or holding only what its marker lists: renames the old
//!   folder aside, the new one into place, and removes from the old one only
//!   the listed entries;
//! - target holding other files too (or written by a greatgame from before the
//!   marker): moves the new entries in one by one, marking the folder
//!   incomplete meanwhile, removes the stale listed ones, writes the marker last;
//! - a new entry would replace something greatgame did not write: changes
//!   nothing there, and keeps the finished results in `NAME.greatgame-results-PID`.

use super::ownership::{self, Entries, Kind, MARKER, Marker, State, Target};
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};

/// A folder being filled. Dropped without [`Staging::commit`], it is removed.
///
/// A *resumable* staging folder ([`Staging::open_resumable`]) has a fixed name,
/// is locked while in use (an OS file lock, released even by `kill -9`) and is
/// kept when dropped, so an interrupted run can be continued.
pub struct Staging {
    tmp: PathBuf,
    /// The output as the user named it (for messages).
    shown: PathBuf,
    /// The output, resolved (see [`ownership::resolve`]).
    target: PathBuf,
    /// The command writing it, recorded in the marker.
    command: String,
    /// A wargame's folder: only a new or empty folder will do, and no marker is
    /// written (a game is not a result a re-run may replace).
    fresh_only: bool,
    done: bool,
    /// Held for the lifetime of a resumable staging folder.
    lock: Option<fs::File>,
}

const LOCK: &str = ".lock";

/// The folder that holds `target` and the name of `target` in it (resolved).
fn parent_and_name(target: &Path) -> Result<(PathBuf, String)> {
    let resolved = ownership::resolve(target)?;
    match (resolved.parent(), resolved.file_name()) {
        (Some(p), Some(n)) => Ok((p.to_path_buf(), n.to_string_lossy().into_owned())),
        _ => bail!(
            "greatgame cannot write results into the root folder {}; choose a new folder for --out",
            target.display()
        ),
    }
}

/// Whether the working directory is `dir` or inside it (such a folder is never
/// renamed aside: the user's shell would be left in a removed folder).
fn holds_cwd(dir: &Path) -> bool {
    std::env::current_dir()
        .ok()
        .and_then(|c| fs::canonicalize(c).ok())
        .is_some_and(|c| c.starts_with(dir))
}

impl Staging {
    /// Refuse, before any work, a target `command` may not write (an existing
    /// file, a folder holding files greatgame did not write). Creates nothing.
    pub fn preflight(target: &Path, command: &str) -> Result<Target> {
        let t = ownership::inspect(target)?;
        if let Some(why) = t.refusal(command, false) {
            bail!(why);
        }
        Ok(t)
    }

    /// Prepare to write `target` for `command` (refused as in [`Staging::preflight`]).
    /// An earlier result of greatgame there is replaced on commit.
    pub fn new(target: &Path, command: &str) -> Result<Staging> {
        Self::preflight(target, command)?;
        Self::create(target, command, false)
    }

    /// Prepare a wargame folder: `target` must be new or an empty folder, and it
    /// gets no marker.
    pub fn new_game(target: &Path) -> Result<Staging> {
        let t = ownership::inspect(target)?;
        if let Some(why) = t.refusal("wargame new", true) {
            bail!(why);
        }
        Self::create(target, "wargame new", true)
    }

    fn create(target: &Path, command: &str, fresh_only: bool) -> Result<Staging> {
        let (parent, name) = parent_and_name(target)?;
        fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp.exists() {
            // Left by an earlier process with this id; removed only if greatgame made it.
            if Marker::read(&tmp).is_none_or(|m| m.is_err()) {
                bail!(
                    "{} is in the way and was not made by greatgame; move it away and run again",
                    tmp.display()
                );
            }
            fs::remove_dir_all(&tmp).with_context(|| format!("removing stale {}", tmp.display()))?;
        }
        fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let s = Staging {
            tmp,
            shown: target.to_path_buf(),
            target: parent.join(&name),
            command: command.into(),
            fresh_only,
            done: false,
            lock: None,
        };
        s.mark_staging()?;
        Ok(s)
    }

    /// An incomplete marker in the staging folder, so it is recognisably greatgame's.
    fn mark_staging(&self) -> Result<()> {
        if Marker::read(&self.tmp).is_none() {
            Marker::new(&self.command, false, &Entries::default()).write(&self.tmp)?;
        }
        Ok(())
    }

    /// Where the resumable staging folder for `target` lives: `.NAME.partial` beside it.
    pub fn resumable_path(target: &Path) -> Result<PathBuf> {
        let (parent, name) = parent_and_name(target)?;
        Ok(parent.join(format!(".{name}.partial")))
    }

    /// Open the resumable staging folder for `target` (creating it if absent)
    /// and lock it; fails if another process holds the lock, or if `target`
    /// is refused as in [`Staging::preflight`]. Not removed on drop.
    pub fn open_resumable(target: &Path, command: &str) -> Result<Staging> {
        Self::preflight(target, command)?;
        let (parent, name) = parent_and_name(target)?;
        let tmp = Self::resumable_path(target)?;
        if tmp.exists() && !made_by_greatgame(&tmp) {
            bail!(
                "{} is in the way and was not made by greatgame; move it away and run again",
                tmp.display()
            );
        }
        fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let lock = lock_dir(&tmp)?;
        let s = Staging {
            tmp,
            shown: target.to_path_buf(),
            target: parent.join(name),
            command: command.into(),
            fresh_only: false,
            done: false,
            lock: Some(lock),
        };
        s.mark_staging()?;
        Ok(s)
    }

    /// Delete the resumable staging folder of `target` (for `--restart`); refuses
    /// while another process is using it, and if greatgame did not make it.
    pub fn discard_resumable(target: &Path) -> Result<()> {
        let tmp = Self::resumable_path(target)?;
        if tmp.exists() {
            if !made_by_greatgame(&tmp) {
                bail!(
                    "{} was not made by greatgame (no {MARKER} or checkpoint in it), so --restart leaves it alone; \
                     move it away yourself and run again",
                    tmp.display()
                );
            }
            let _lock = lock_dir(&tmp)?;
            fs::remove_dir_all(&tmp).with_context(|| format!("removing {}", tmp.display()))?;
        }
        Ok(())
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Move the finished folder into place (see the module doc); returns the
    /// output path as the user named it.
    pub fn commit(mut self) -> Result<PathBuf> {
        if self.lock.is_some() {
            let _ = fs::remove_file(self.tmp.join(LOCK));
        }
        let new = ownership::walk(&self.tmp)?;
        if self.fresh_only {
            let _ = fs::remove_file(self.tmp.join(MARKER));
        } else {
            Marker::new(&self.command, true, &new).write(&self.tmp)?;
        }
        let mut now = ownership::inspect(&self.target)?;
        now.shown = self.shown.clone();
        if let Some(why) = now.refusal(&self.command, self.fresh_only) {
            let why = why.lines().next().unwrap_or_default().to_string();
            return Err(self.rescue(&format!("{why} (it changed while greatgame was working)")));
        }
        match &now.state {
            State::Absent => {
                fs::rename(&self.tmp, &self.target)
                    .with_context(|| format!("moving results into {}", self.shown.display()))?;
            }
            State::Empty if !holds_cwd(&self.target) => self.replace_whole(&Entries::default())?,
            State::Ours { marker, foreign } if foreign.is_empty() && !holds_cwd(&self.target) => {
                self.replace_whole(&marker.entries())?
            }
            State::Ours { marker, .. } => self.move_in(&new, Some(&marker.entries()))?,
            State::Empty => self.move_in(&new, Some(&Entries::default()))?,
            State::Legacy => {
                self.move_in(&new, None)?;
                eprintln!(
                    "greatgame: note: {} was written by an earlier greatgame (no {MARKER}); files of the same names \
                     were replaced and everything else in it was left in place",
                    self.shown.display()
                );
            }
            State::NotFolder(_) | State::Foreign { .. } | State::Game => unreachable!("refused above"),
        }
        self.done = true;
        Ok(self.shown.clone())
    }

    /// The target holds nothing but `listed` (greatgame's): rename it aside,
    /// rename the results into place, then remove from the old folder only
    /// the listed entries. Anything that appeared there meanwhile is moved
    /// back (or, if its name is taken, kept in the old folder, with a warning).
    fn replace_whole(&mut self, listed: &Entries) -> Result<()> {
        let old = unused(&self.target, true, ".old")?;
        if fs::rename(&self.target, &old).is_err() {
            // A mount point, or no permission to rename: place the entries one by one instead.
            let new = ownership::walk(&self.tmp)?;
            return self.move_in(&new, Some(listed));
        }
        if let Err(e) = fs::rename(&self.tmp, &self.target) {
            let _ = fs::rename(&old, &self.target);
            return Err(e).with_context(|| format!("moving results into {}", self.shown.display()));
        }
        remove_listed(&old, listed);
        let _ = fs::remove_file(old.join(MARKER));
        if fs::remove_dir(&old).is_err() {
            let mut kept = Vec::new();
            for e in fs::read_dir(&old).into_iter().flatten().flatten() {
                let to = self.target.join(e.file_name());
                if ownership::kind(&to).is_some() || fs::rename(e.path(), &to).is_err() {
                    kept.push(e.file_name().to_string_lossy().into_owned());
                }
            }
            if kept.is_empty() {
                let _ = fs::remove_dir(&old);
            } else {
                eprintln!(
                    "greatgame: warning: {} appeared in {} while greatgame was writing and could not be put back \
                     (the new results use those names); they are kept in {}",
                    kept.join(", "),
                    self.shown.display(),
                    old.display()
                );
            }
        }
        Ok(())
    }

    /// The target also holds files greatgame did not write (or is the working
    /// directory, or an earlier greatgame's folder): move the new entries in,
    /// one by one, never over anything unlisted. `listed` is the old marker's
    /// list; `None` for an earlier greatgame's folder without a marker, where
    /// same-named entries of the same kind are replaced.
    fn move_in(&mut self, new: &Entries, listed: Option<&Entries>) -> Result<()> {
        let target = self.target.clone();
        let ours = |rel: &str, k: Kind| match listed {
            Some(l) => match k {
                Kind::File => l.files.contains(rel),
                Kind::Folder => l.folders.contains(rel),
                Kind::Other => false,
            },
            None => k != Kind::Other,
        };
        // What stands in the way of each new entry, if anything is not ours.
        let mut clashes = Vec::new();
        for (rel, want) in new
            .folders
            .iter()
            .map(|f| (f, Kind::Folder))
            .chain(new.files.iter().map(|f| (f, Kind::File)))
        {
            let Some(have) = ownership::kind(&target.join(rel)) else {
                continue;
            };
            let fine = if have == want {
                ours(rel, have)
            } else {
                // A listed entry of another kind goes, if all of it is ours.
                listed.is_some_and(|l| ours(rel, have) && (have == Kind::File || wholly_listed(&target, rel, l)))
            };
            if !fine {
                clashes.push(if have == Kind::Folder {
                    format!("{rel}/")
                } else {
                    rel.clone()
                });
            }
        }
        if !clashes.is_empty() {
            clashes.truncate(6);
            return Err(self.rescue(&format!(
                "{} holds {} that greatgame did not write and that its new {} results would replace; greatgame never \
                 replaces files it did not write, so nothing in {} was changed",
                self.shown.display(),
                clashes.join(", "),
                self.command,
                self.shown.display()
            )));
        }
        let old = listed.cloned().unwrap_or_default();
        if !self.fresh_only {
            // Until the marker is final the folder is incomplete, and the marker
            // covers old and new entries, so an interrupted commit leaves a folder
            // greatgame can still replace.
            Marker::new(&self.command, false, &old.union(new)).write(&target)?;
        }
        if new.files.contains("manifest.json") && (old.files.contains("manifest.json") || listed.is_none()) {
            let m = target.join("manifest.json");
            if ownership::kind(&m) == Some(Kind::File) {
                fs::remove_file(&m).with_context(|| format!("removing the old {}", m.display()))?;
            }
        }
        place_children(&self.tmp, &target, "", &old)?;
        let stale = Entries {
            files: old.files.difference(&new.files).cloned().collect(),
            folders: old.folders.difference(&new.folders).cloned().collect(),
        };
        remove_listed(&target, &stale);
        if !self.fresh_only {
            Marker::new(&self.command, true, new).write(&target)?;
        }
        let _ = fs::remove_file(self.tmp.join(MARKER));
        fs::remove_dir(&self.tmp).with_context(|| format!("removing {}", self.tmp.display()))?;
        Ok(())
    }

    /// Keep the finished results in `NAME.greatgame-results-PID` beside the
    /// target and say so: the error for a target that cannot take them.
    fn rescue(&mut self, why: &str) -> anyhow::Error {
        let kept = unused(&self.target, false, ".greatgame-results").and_then(|to| {
            fs::rename(&self.tmp, &to).with_context(|| format!("moving results to {}", to.display()))?;
            Ok(to)
        });
        match kept {
            Ok(to) => {
                self.done = true;
                anyhow::anyhow!(
                    "{why}.\nThe finished results are kept in {}: move them where you want them, or move those files \
                     out of {} and run again",
                    to.display(),
                    self.shown.display()
                )
            }
            Err(e) => anyhow::anyhow!("{why}.\nThe results could not be kept either: {e:#}"),
        }
    }
}

/// A free path beside `target`: `NAME{suffix}-PID` (with a counter if taken),
/// hidden (a leading dot) if `hidden`.
fn unused(target: &Path, hidden: bool, suffix: &str) -> Result<PathBuf> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let dot = if hidden { "." } else { "" };
    let pid = std::process::id();
    for i in 0..1000 {
        let more = if i == 0 { String::new() } else { format!("-{i}") };
        let p = target.with_file_name(format!("{dot}{name}{suffix}-{pid}{more}"));
        if ownership::kind(&p).is_none() {
            return Ok(p);
        }
    }
    bail!("no free name beside {} to keep results in", target.display())
}

/// Whether everything under the folder `rel` of `dir` is listed.
fn wholly_listed(dir: &Path, rel: &str, listed: &Entries) -> bool {
    ownership::foreign_entries(&dir.join(rel), &listed.under(rel)).is_ok_and(|f| f.is_empty())
}

/// Move every entry of the staging folder `from` into `to` (`prefix`: their
/// path relative to the output). Checked beforehand: whatever is in the way
/// is ours (listed in `old`) or of a greatgame from before the marker.
fn place_children(from: &Path, to: &Path, prefix: &str, old: &Entries) -> Result<()> {
    for e in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if prefix.is_empty() && (name == MARKER || name == LOCK) {
            continue;
        }
        let rel = format!("{prefix}{name}");
        let (src, dst) = (e.path(), to.join(&name));
        let want = ownership::kind(&src);
        match (want, ownership::kind(&dst)) {
            (Some(Kind::Folder), Some(Kind::Folder)) => {
                place_children(&src, &dst, &format!("{rel}/"), old)?;
                fs::remove_dir(&src).with_context(|| format!("removing {}", src.display()))?;
                continue;
            }
            (_, Some(Kind::Folder)) => {
                // A listed folder where a file goes: wholly ours (checked).
                remove_listed(&dst, &old.under(&rel));
                fs::remove_dir(&dst).with_context(|| format!("removing the old {}", dst.display()))?;
            }
            (Some(Kind::Folder), Some(_)) => {
                fs::remove_file(&dst).with_context(|| format!("removing the old {}", dst.display()))?;
            }
            _ => {}
        }
        // A file renamed over a file replaces it atomically.
        fs::rename(&src, &dst).with_context(|| format!("moving {} into {}", rel, to.display()))?;
    }
    Ok(())
}

/// Remove from `dir` the listed files (if still regular files) and then the
/// listed folders that are left empty, deepest first. Never anything unlisted:
/// a folder holding a user's file stays.
fn remove_listed(dir: &Path, listed: &Entries) {
    for f in &listed.files {
        let p = dir.join(f);
        if ownership::kind(&p) == Some(Kind::File) {
            let _ = fs::remove_file(&p);
        }
    }
    let mut folders: Vec<&String> = listed.folders.iter().collect();
    folders.sort_by_key(|f| std::cmp::Reverse(f.matches('/').count()));
    for f in folders {
        let p = dir.join(f);
        if ownership::kind(&p) == Some(Kind::Folder) {
            let _ = fs::remove_dir(&p);
        }
    }
}

/// A resumable staging folder greatgame made: it has a marker, or (from a
/// greatgame before the marker) a checkpoint.
fn made_by_greatgame(dir: &Path) -> bool {
    matches!(Marker::read(dir), Some(Ok(_)))
        || ownership::kind(&dir.join("checkpoint.bin")) == Some(Kind::File)
        || ownership::kind(&dir.join("shard-state.bin")) == Some(Kind::File)
}

fn lock_dir(dir: &Path) -> Result<fs::File> {
    let path = dir.join(LOCK);
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    // fs4 rather than `File::try_lock`: the crate's minimum Rust version predates it.
    match fs4::fs_std::FileExt::try_lock_exclusive(&f) {
        Ok(true) => Ok(f),
        Ok(false) => anyhow::bail!(
            "another greatgame process is writing into {} right now; wait for it to finish or stop it first",
            dir.display()
        ),
        Err(e) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done && self.lock.is_none() {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Write a file atomically (temporary name in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Write `files` (name, text) through a staging folder into `target`.
    fn write(target: &Path, files: &[(&str, &str)]) -> Result<PathBuf> {
        let s = Staging::new(target, "run")?;
        for (name, text) in files {
            let p = s.path().join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        s.commit()
    }

    #[test]
    fn commit_replaces_our_own_results_and_drop_cleans() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("out");
        write(&target, &[("old.txt", "old"), ("charts/a.png", "a")]).unwrap();
        {
            let s = Staging::new(&target, "run").unwrap();
            fs::write(s.path().join("new.txt"), "new").unwrap();
            // dropped without commit: target untouched, staging removed
        }
        assert!(target.join("old.txt").exists());
        assert_eq!(names(base.path()), ["out"]);
        write(&target, &[("new.txt", "new")]).unwrap();
        assert_eq!(names(&target), [MARKER, "new.txt"]);
        assert_eq!(names(base.path()), ["out"], "no .old or .partial folder left");
        let m = Marker::read(&target).unwrap().unwrap();
        assert_eq!(
            (m.files, m.complete, m.command.as_str()),
            (vec!["new.txt".to_string()], true, "run")
        );
    }

    #[test]
    fn foreign_folders_and_files_are_refused_untouched() {
        let base = tempfile::tempdir().unwrap();
        let docs = base.path().join("mydocs");
        fs::create_dir(&docs).unwrap();
        fs::write(docs.join("thesis.txt"), "draft").unwrap();
        let e = Staging::new(&docs, "run").err().unwrap().to_string();
        assert!(e.contains("thesis.txt") && e.contains("did not write"), "{e}");
        let file = base.path().join("notes.txt");
        fs::write(&file, "mine").unwrap();
        let e = Staging::new(&file, "compare").err().unwrap().to_string();
        assert!(e.contains("existing file"), "{e}");
        assert!(Staging::open_resumable(&docs, "run").is_err());
        assert_eq!(fs::read_to_string(docs.join("thesis.txt")).unwrap(), "draft");
        assert_eq!(fs::read_to_string(&file).unwrap(), "mine");
        assert_eq!(names(base.path()), ["mydocs", "notes.txt"], "no staging folder left");
        // An empty folder is fine.
        let empty = base.path().join("empty");
        fs::create_dir(&empty).unwrap();
        write(&empty, &[("x.txt", "x")]).unwrap();
        assert_eq!(names(&empty), [MARKER, "x.txt"]);
    }

    #[test]
    fn a_users_file_in_an_earlier_result_survives_and_stale_entries_go() {
        let base = tempfile::tempdir().unwrap();
        let out = base.path().join("out");
        write(
            &out,
            &[
                ("manifest.json", "{}"),
                ("trials.csv", "1"),
                ("charts/a.png", "a"),
                ("charts/b.png", "b"),
            ],
        )
        .unwrap();
        fs::write(out.join("notes.md"), "my notes").unwrap();
        fs::write(out.join("charts/mine.png"), "mine").unwrap();
        write(
            &out,
            &[
                ("manifest.json", "{\"v\":2}"),
                ("charts/a.png", "A2"),
                ("summary.md", "s"),
            ],
        )
        .unwrap();
        assert_eq!(
            names(&out),
            [MARKER, "charts", "manifest.json", "notes.md", "summary.md"]
        );
        assert_eq!(names(&out.join("charts")), ["a.png", "mine.png"]);
        assert_eq!(fs::read_to_string(out.join("charts/a.png")).unwrap(), "A2");
        assert_eq!(fs::read_to_string(out.join("notes.md")).unwrap(), "my notes");
        let m = Marker::read(&out).unwrap().unwrap();
        assert!(m.complete);
        assert_eq!(m.files, ["charts/a.png", "manifest.json", "summary.md"]);
        assert_eq!(names(base.path()), ["out"]);
        // A listed folder the new results do not write goes only if nothing foreign is in it.
        write(&out, &[("summary.md", "s3")]).unwrap();
        assert_eq!(names(&out), [MARKER, "charts", "notes.md", "summary.md"]);
        assert_eq!(names(&out.join("charts")), ["mine.png"]);
    }

    #[test]
    fn a_clash_with_a_users_file_keeps_the_results_aside() {
        let base = tempfile::tempdir().unwrap();
        let out = base.path().join("out");
        write(&out, &[("summary.md", "old")]).unwrap();
        // The user puts a file where the next results want to go.
        fs::write(out.join("trials.csv"), "my own table").unwrap();
        let e = write(&out, &[("summary.md", "new"), ("trials.csv", "ours")])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("trials.csv") && e.contains("kept in"), "{e}");
        assert_eq!(fs::read_to_string(out.join("trials.csv")).unwrap(), "my own table");
        assert_eq!(
            fs::read_to_string(out.join("summary.md")).unwrap(),
            "old",
            "nothing changed"
        );
        let kept = base
            .path()
            .join(format!("out.greatgame-results-{}", std::process::id()));
        assert!(e.contains(&kept.display().to_string()), "{e}");
        assert_eq!(fs::read_to_string(kept.join("trials.csv")).unwrap(), "ours");
        assert!(matches!(Marker::read(&kept), Some(Ok(_))));
    }

    #[test]
    fn a_folder_that_turns_foreign_during_the_run_is_not_replaced() {
        let base = tempfile::tempdir().unwrap();
        let out = base.path().join("out");
        let s = Staging::new(&out, "run").unwrap();
        fs::write(s.path().join("summary.md"), "s").unwrap();
        fs::create_dir(&out).unwrap();
        fs::write(out.join("thesis.txt"), "draft").unwrap();
        let e = s.commit().err().unwrap().to_string();
        assert!(e.contains("thesis.txt") && e.contains("kept in"), "{e}");
        assert_eq!(names(&out), ["thesis.txt"]);
    }

    #[test]
    fn an_earlier_greatgames_folder_keeps_what_is_not_replaced() {
        let base = tempfile::tempdir().unwrap();
        let out = base.path().join("out");
        fs::create_dir_all(out.join("compare")).unwrap();
        fs::write(out.join("manifest.json"), r#"{"tool": "greatgame"}"#).unwrap();
        fs::write(out.join("summary.md"), "old").unwrap();
        fs::write(out.join("compare/comparison.md"), "cmp").unwrap();
        write(&out, &[("manifest.json", "{}"), ("summary.md", "new")]).unwrap();
        assert_eq!(names(&out), [MARKER, "compare", "manifest.json", "summary.md"]);
        assert_eq!(fs::read_to_string(out.join("summary.md")).unwrap(), "new");
        assert_eq!(fs::read_to_string(out.join("compare/comparison.md")).unwrap(), "cmp");
    }

    #[test]
    fn a_wargame_folder_must_be_new_or_empty_and_gets_no_marker() {
        let base = tempfile::tempdir().unwrap();
        let g = base.path().join("g");
        write(&g, &[("summary.md", "s")]).unwrap();
        assert!(
            Staging::new_game(&g).is_err(),
            "a greatgame result is not a game folder"
        );
        let g2 = base.path().join("g2");
        fs::create_dir(&g2).unwrap();
        let s = Staging::new_game(&g2).unwrap();
        fs::write(s.path().join("log.jsonl"), "").unwrap();
        s.commit().unwrap();
        assert_eq!(names(&g2), ["log.jsonl"]);
    }

    #[test]
    fn resumable_staging_is_kept_and_locked() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("out");
        {
            let s = Staging::open_resumable(&target, "run").unwrap();
            fs::write(s.path().join("part.txt"), "part").unwrap();
            let e = Staging::open_resumable(&target, "run").err().unwrap().to_string();
            assert!(e.contains("another greatgame process"), "{e}");
            assert!(Staging::discard_resumable(&target).is_err());
        }
        let again = Staging::resumable_path(&target).unwrap();
        assert!(again.join("part.txt").exists(), "kept after drop");
        let s = Staging::open_resumable(&target, "run").unwrap();
        s.commit().unwrap();
        assert!(target.join("part.txt").exists());
        assert!(!target.join(LOCK).exists());
        assert!(!again.exists());
        // --restart discards only a staging folder greatgame made.
        fs::create_dir(&again).unwrap();
        fs::write(again.join("keep.txt"), "mine").unwrap();
        let e = Staging::discard_resumable(&target).err().unwrap().to_string();
        assert!(e.contains("not made by greatgame"), "{e}");
        assert!(again.join("keep.txt").exists());
    }
}
