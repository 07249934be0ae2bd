//! Which output folders greatgame may write into, and which of their entries
//! it may replace: greatgame never removes or overwrites a file it did not write.
//!
//! Every folder greatgame commits carries `.greatgame-output.json` (the
//! [`Marker`]), listing every file and folder greatgame wrote there. A folder
//! is greatgame's if it holds a valid marker; a re-run replaces only the
//! entries the marker lists and leaves anything else (a user's notes dropped
//! in) where it is. A folder with anything in it but no marker is someone
//! else's and is refused, as is an existing file. Folders written before the
//! marker existed (a `manifest.json` by greatgame, no marker) are
//! [`State::Legacy`]: the entries of the new results replace same-named ones,
//! and nothing else is removed, since no list says what greatgame wrote.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// The ownership marker's file name, at the top of an output folder.
pub const MARKER: &str = ".greatgame-output.json";

/// What a folder's marker records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Always "greatgame".
    pub tool: String,
    pub version: String,
    /// The command that wrote the folder (`run`, `compare`, `wargame report`, …).
    pub command: String,
    /// False while a commit into a folder that also holds other files is under
    /// way (the list then covers the old and the new entries).
    pub complete: bool,
    #[serde(default)]
    pub note: String,
    /// Every regular file greatgame wrote, relative, `/`-separated.
    pub files: Vec<String>,
    /// Every folder greatgame created, relative, `/`-separated.
    pub folders: Vec<String>,
}

const NOTE: &str = "greatgame wrote the files and folders listed here; running greatgame into this folder again \
                    replaces or removes only these, and leaves anything else in the folder alone";

impl Marker {
    pub fn new(command: &str, complete: bool, entries: &Entries) -> Marker {
        Marker {
            tool: "greatgame".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: command.into(),
            complete,
            note: NOTE.into(),
            files: entries.files.iter().cloned().collect(),
            folders: entries.folders.iter().cloned().collect(),
        }
    }

    /// The marker of `dir`: `None` if it has none, an error if it is damaged
    /// (unreadable, not ours, or listing a path outside the folder).
    pub fn read(dir: &Path) -> Option<Result<Marker>> {
        let path = dir.join(MARKER);
        if fs::symlink_metadata(&path).is_err() {
            return None;
        }
        Some((|| {
            let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let m: Marker =
                serde_json::from_str(&text).with_context(|| format!("{} is not a greatgame marker", path.display()))?;
            anyhow::ensure!(m.tool == "greatgame", "{} was not written by greatgame", path.display());
            if let Some(bad) = m.files.iter().chain(&m.folders).find(|p| !valid_entry(p)) {
                anyhow::bail!(
                    "{} lists `{bad}`, which is not a path inside the folder",
                    path.display()
                );
            }
            Ok(m)
        })())
    }

    /// Write the marker into `dir` atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        super::staging::write_atomic(&dir.join(MARKER), &json)
    }

    pub fn entries(&self) -> Entries {
        Entries {
            files: self.files.iter().cloned().collect(),
            folders: self.folders.iter().cloned().collect(),
        }
    }
}

/// A relative path of plain names only (no `..`, no root, not the marker itself).
fn valid_entry(p: &str) -> bool {
    !p.is_empty()
        && p != MARKER
        && p.split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\\'))
        && Path::new(p).components().all(|c| matches!(c, Component::Normal(_)))
}

/// The files and folders under a folder, relative and `/`-separated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entries {
    pub files: BTreeSet<String>,
    pub folders: BTreeSet<String>,
}

impl Entries {
    /// The entries inside the folder `rel`, relative to it.
    pub fn under(&self, rel: &str) -> Entries {
        let pre = format!("{rel}/");
        let inside = |set: &BTreeSet<String>| {
            set.iter()
                .filter_map(|f| f.strip_prefix(&pre).map(str::to_string))
                .collect()
        };
        Entries {
            files: inside(&self.files),
            folders: inside(&self.folders),
        }
    }

    pub fn union(&self, other: &Entries) -> Entries {
        Entries {
            files: self.files.union(&other.files).cloned().collect(),
            folders: self.folders.union(&other.folders).cloned().collect(),
        }
    }
}

/// What is at a path, without following a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    File,
    Folder,
    /// A symbolic link, socket, device…: never greatgame's.
    Other,
}

pub fn kind(p: &Path) -> Option<Kind> {
    let m = fs::symlink_metadata(p).ok()?;
    let t = m.file_type();
    Some(if t.is_file() {
        Kind::File
    } else if t.is_dir() {
        Kind::Folder
    } else {
        Kind::Other
    })
}

/// Every file and folder under `dir` (recursively; the marker at the top is left out).
pub fn walk(dir: &Path) -> Result<Entries> {
    let mut out = Entries::default();
    walk_into(dir, "", &mut out)?;
    Ok(out)
}

fn walk_into(dir: &Path, prefix: &str, out: &mut Entries) -> Result<()> {
    for e in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e.with_context(|| format!("reading {}", dir.display()))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if prefix.is_empty() && (name == MARKER || name == format!("{MARKER}.tmp")) {
            continue;
        }
        let rel = format!("{prefix}{name}");
        match kind(&e.path()) {
            Some(Kind::Folder) => {
                walk_into(&e.path(), &format!("{rel}/"), out)?;
                out.folders.insert(rel);
            }
            Some(_) => {
                out.files.insert(rel);
            }
            None => {}
        }
    }
    Ok(())
}

/// `path` made absolute with `.`, `..` and symbolic links resolved as far as
/// it exists (so `--out .`, `--out ..`, `--out dir/` and a link to a folder
/// all name the real folder, and its parent is where staging happens).
pub fn resolve(path: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    let mut cur = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => cur.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                cur.pop();
            }
            Component::Normal(n) => {
                let next = cur.join(n);
                cur = match fs::symlink_metadata(&next) {
                    Ok(_) => fs::canonicalize(&next).unwrap_or(next),
                    Err(_) => next,
                };
            }
        }
    }
    Ok(cur)
}

/// What an output path holds, as far as greatgame's right to write there goes.
#[derive(Debug)]
pub enum State {
    /// Nothing there yet.
    Absent,
    /// Something that is not a folder (a file, a dangling link…), described.
    NotFolder(&'static str),
    /// An empty folder.
    Empty,
    /// A folder with a valid marker; `foreign` lists entries it does not
    /// (left alone by a re-run).
    Ours { marker: Marker, foreign: Vec<String> },
    /// A folder written by a greatgame from before the marker (see the module doc).
    Legacy,
    /// A classroom wargame's folder (it holds `log.jsonl`): never anything else's output.
    Game,
    /// A folder holding entries greatgame did not write (a few of them named).
    Foreign {
        entries: Vec<String>,
        more: usize,
        /// What else to say: a damaged marker, or what the files look like.
        note: Option<String>,
    },
}

/// An output path: as the user gave it (for messages) and resolved (for work).
#[derive(Debug)]
pub struct Target {
    pub shown: PathBuf,
    pub path: PathBuf,
    pub state: State,
}

/// How many foreign entries a message names.
const NAMED: usize = 4;

/// Look at `shown` (nothing is changed).
pub fn inspect(shown: &Path) -> Result<Target> {
    let path = resolve(shown)?;
    let state = state_of(&path)?;
    Ok(Target {
        shown: shown.to_path_buf(),
        path,
        state,
    })
}

fn state_of(path: &Path) -> Result<State> {
    let Some(k) = kind(path) else {
        return Ok(State::Absent);
    };
    match k {
        Kind::File => return Ok(State::NotFolder("an existing file")),
        Kind::Other => {
            return Ok(State::NotFolder(if path.exists() {
                "not a regular folder"
            } else {
                "a symbolic link that points nowhere"
            }));
        }
        Kind::Folder => {}
    }
    let mut names: Vec<(String, Kind)> = Vec::new();
    for e in fs::read_dir(path).with_context(|| format!("reading {}", path.display()))? {
        let e = e.with_context(|| format!("reading {}", path.display()))?;
        let k = kind(&e.path()).unwrap_or(Kind::Other);
        names.push((e.file_name().to_string_lossy().into_owned(), k));
    }
    names.sort();
    if names.is_empty() {
        return Ok(State::Empty);
    }
    let damaged = match Marker::read(path) {
        Some(Ok(marker)) => {
            let foreign = foreign_entries(path, &marker.entries())?;
            return Ok(State::Ours { marker, foreign });
        }
        Some(Err(e)) => Some(format!("{e:#}")),
        None => None,
    };
    if damaged.is_none() && kind(&path.join("log.jsonl")) == Some(Kind::File) {
        return Ok(State::Game);
    }
    if damaged.is_none() && is_legacy(path) {
        return Ok(State::Legacy);
    }
    // `bargain` wrote no manifest before the marker existed: say what the files
    // look like, but never guess ownership from names.
    let note = damaged.or_else(|| {
        names
            .iter()
            .all(|(n, k)| *k == Kind::File && looks_like_bargain_output(n))
            .then(|| {
                "they look like the results of an earlier `greatgame bargain`, which left no marker; if so, remove \
                 them yourself"
                    .to_string()
            })
    });
    let shown: Vec<String> = names
        .iter()
        .map(|(n, k)| if *k == Kind::Folder { format!("{n}/") } else { n.clone() })
        .collect();
    Ok(State::Foreign {
        more: shown.len().saturating_sub(NAMED),
        entries: shown.into_iter().take(NAMED).collect(),
        note,
    })
}

/// A file name `greatgame bargain` writes.
fn looks_like_bargain_output(name: &str) -> bool {
    let dims = |stem: &str| {
        [".svg", ".png"].iter().any(|ext| {
            name.strip_prefix(stem)
                .and_then(|r| r.strip_suffix(ext))
                .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    matches!(
        name,
        "positions.csv" | "probabilities.csv" | "turn0.txt" | "final_positions.csv" | "final_quantiles.csv"
    ) || dims("positions_dim")
        || dims("final_positions_dim")
}

/// A folder written by greatgame before the marker: its `manifest.json` says so.
fn is_legacy(path: &Path) -> bool {
    let m = path.join("manifest.json");
    kind(&m) == Some(Kind::File)
        && fs::read_to_string(&m)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| v["tool"] == "greatgame")
}

/// Entries of `dir` that `listed` does not cover (looking inside listed folders
/// only, never into foreign ones).
pub fn foreign_entries(dir: &Path, listed: &Entries) -> Result<Vec<String>> {
    let mut out = Vec::new();
    foreign_into(dir, "", listed, &mut out)?;
    Ok(out)
}

fn foreign_into(dir: &Path, prefix: &str, listed: &Entries, out: &mut Vec<String>) -> Result<()> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    for name in names {
        if prefix.is_empty() && (name == MARKER || name == format!("{MARKER}.tmp")) {
            continue;
        }
        let rel = format!("{prefix}{name}");
        match kind(&dir.join(&name)) {
            Some(Kind::Folder) if listed.folders.contains(&rel) => {
                foreign_into(&dir.join(&name), &format!("{rel}/"), listed, out)?;
            }
            Some(Kind::File) if listed.files.contains(&rel) => {}
            Some(Kind::Folder) => out.push(format!("{rel}/")),
            _ => out.push(rel),
        }
    }
    Ok(())
}

impl Target {
    /// Why `command` may not write here, if it may not. `fresh_only`: only a
    /// new or empty folder will do (a wargame's folder).
    pub fn refusal(&self, command: &str, fresh_only: bool) -> Option<String> {
        let shown = self.shown.display();
        let (flag, what) = if command == "wargame new" {
            ("--game", "a new game".to_string())
        } else {
            ("--out", format!("its {command} results"))
        };
        let hint = format!("hint: choose a new folder (or an empty one) for {flag}");
        match &self.state {
            State::Absent | State::Empty if self.path.parent().is_none() => Some(format!(
                "greatgame will not write {what} into the root folder {shown}\n{hint}"
            )),
            State::Absent | State::Empty => None,
            State::NotFolder(what_is) => Some(format!(
                "{shown} is {what_is}, not a folder; greatgame writes {what} into a folder and will not replace \
                 it, so nothing was written\n{hint}"
            )),
            State::Game => Some(format!(
                "{shown} is a classroom wargame's folder (it holds log.jsonl); greatgame writes nothing else into a \
                 game's folder, so nothing was written\n{hint}"
            )),
            State::Foreign { entries, more, note } => {
                let more = if *more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                let note = note.as_ref().map(|d| format!("; {d}")).unwrap_or_default();
                Some(format!(
                    "{shown} already holds files greatgame did not write ({}{more}){note}. greatgame never \
                     replaces or removes files it did not write, so it wrote nothing there\n{hint}, or move those \
                     files elsewhere",
                    entries.join(", ")
                ))
            }
            State::Ours { marker, .. } if fresh_only => Some(format!(
                "{shown} holds the results of `greatgame {}`, not an empty folder\n{hint}",
                marker.command
            )),
            State::Legacy if fresh_only => Some(format!(
                "{shown} holds the results of an earlier greatgame run, not an empty folder\n{hint}"
            )),
            State::Ours { .. } | State::Legacy => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_paths_must_stay_inside_the_folder() {
        for bad in [
            "",
            "..",
            "../x",
            "/etc/passwd",
            "a/../../b",
            "a//b",
            ".",
            MARKER,
            "a\\..\\b",
        ] {
            assert!(!valid_entry(bad), "{bad}");
        }
        for good in ["summary.md", "charts/x.png", ".hidden", "a b/c"] {
            assert!(valid_entry(good), "{good}");
        }
        let d = tempfile::tempdir().unwrap();
        let mut m = Marker::new("run", true, &Entries::default());
        m.files.push("../outside.txt".into());
        m.write(d.path()).unwrap();
        let e = Marker::read(d.path()).unwrap().unwrap_err().to_string();
        assert!(e.contains("not a path inside"), "{e}");
        fs::write(d.path().join("x"), "").unwrap();
        match state_of(d.path()).unwrap() {
            State::Foreign { note: Some(_), .. } => {}
            s => panic!("a damaged marker must not make a folder ours: {s:?}"),
        }
    }

    #[test]
    fn states() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        assert!(matches!(state_of(&p.join("new")).unwrap(), State::Absent));
        assert!(matches!(state_of(p).unwrap(), State::Empty));
        fs::write(p.join("f.txt"), "x").unwrap();
        assert!(matches!(state_of(&p.join("f.txt")).unwrap(), State::NotFolder(_)));
        match state_of(p).unwrap() {
            State::Foreign { entries, more, .. } => assert_eq!((entries, more), (vec!["f.txt".to_string()], 0)),
            s => panic!("{s:?}"),
        }
        // Ours: listed entries, and a user's file inside a listed folder is foreign.
        let o = p.join("o");
        fs::create_dir_all(o.join("charts")).unwrap();
        fs::write(o.join("summary.md"), "").unwrap();
        fs::write(o.join("charts/a.png"), "").unwrap();
        Marker::new("run", true, &walk(&o).unwrap()).write(&o).unwrap();
        match state_of(&o).unwrap() {
            State::Ours { foreign, marker } => {
                assert!(foreign.is_empty());
                assert_eq!(marker.files, ["charts/a.png", "summary.md"]);
                assert_eq!(marker.folders, ["charts"]);
            }
            s => panic!("{s:?}"),
        }
        fs::write(o.join("charts/mine.png"), "").unwrap();
        fs::create_dir(o.join("notes")).unwrap();
        match state_of(&o).unwrap() {
            State::Ours { foreign, .. } => assert_eq!(foreign, ["charts/mine.png", "notes/"]),
            s => panic!("{s:?}"),
        }
        // An earlier greatgame's folder: manifest.json by greatgame, no marker.
        let l = p.join("l");
        fs::create_dir(&l).unwrap();
        fs::write(l.join("manifest.json"), r#"{"tool": "greatgame"}"#).unwrap();
        assert!(matches!(state_of(&l).unwrap(), State::Legacy));
        fs::write(l.join("manifest.json"), r#"{"tool": "other"}"#).unwrap();
        assert!(matches!(state_of(&l).unwrap(), State::Foreign { note: None, .. }));
        // An earlier `bargain` left no manifest: refused, with a word on what it looks like.
        let b = p.join("b");
        fs::create_dir(&b).unwrap();
        for f in [
            "positions.csv",
            "probabilities.csv",
            "turn0.txt",
            "positions_dim1.png",
            "positions_dim12.svg",
        ] {
            fs::write(b.join(f), "").unwrap();
        }
        match state_of(&b).unwrap() {
            State::Foreign { note: Some(d), .. } => assert!(d.contains("greatgame bargain"), "{d}"),
            s => panic!("{s:?}"),
        }
        fs::write(b.join("positions_dimX.png"), "").unwrap();
        assert!(matches!(state_of(&b).unwrap(), State::Foreign { note: None, .. }));
    }

    #[test]
    fn resolve_names_the_real_folder() {
        let d = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(d.path()).unwrap();
        fs::create_dir(base.join("a")).unwrap();
        assert_eq!(resolve(&base.join("a/.")).unwrap(), base.join("a"));
        assert_eq!(resolve(&base.join("a/..")).unwrap(), base);
        assert_eq!(resolve(&base.join("a/new/")).unwrap(), base.join("a/new"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(base.join("a"), base.join("link")).unwrap();
            assert_eq!(resolve(&base.join("link")).unwrap(), base.join("a"));
            std::os::unix::fs::symlink(base.join("nowhere"), base.join("dangling")).unwrap();
            assert!(matches!(
                state_of(&resolve(&base.join("dangling")).unwrap()).unwrap(),
                State::NotFolder(_)
            ));
        }
        assert!(inspect(Path::new("/")).unwrap().refusal("run", false).is_some());
    }
}
