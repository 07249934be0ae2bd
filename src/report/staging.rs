//! Atomic output folders: write into `.NAME.partial-PID` (or, for a run that
//! can be resumed, `.NAME.partial`), then rename.

use anyhow::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// A folder being filled. Dropped without [`Staging::commit`], it is removed.
///
/// A *resumable* staging folder ([`Staging::open_resumable`]) has a fixed name,
/// is locked while in use (an OS file lock, released even by `kill -9`) and is
/// kept when dropped, so an interrupted run can be continued.
pub struct Staging {
    tmp: PathBuf,
    target: PathBuf,
    done: bool,
    /// Held for the lifetime of a resumable staging folder.
    lock: Option<fs::File>,
}

const LOCK: &str = ".lock";

fn parent_and_name(target: &Path) -> (PathBuf, String) {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    (parent, name)
}

impl Staging {
    /// Prepare to write `target` (which may already exist; it is replaced on commit).
    pub fn new(target: &Path) -> Result<Staging> {
        let (parent, name) = parent_and_name(target);
        fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).with_context(|| format!("removing stale {}", tmp.display()))?;
        }
        fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(Staging {
            tmp,
            target: target.to_path_buf(),
            done: false,
            lock: None,
        })
    }

    /// Where the resumable staging folder for `target` lives: `.NAME.partial` beside it.
    pub fn resumable_path(target: &Path) -> PathBuf {
        let (parent, name) = parent_and_name(target);
        parent.join(format!(".{name}.partial"))
    }

    /// Open the resumable staging folder for `target` (creating it if absent)
    /// and lock it; fails if another process holds the lock. Not removed on drop.
    pub fn open_resumable(target: &Path) -> Result<Staging> {
        let tmp = Self::resumable_path(target);
        fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let lock = lock_dir(&tmp)?;
        Ok(Staging {
            tmp,
            target: target.to_path_buf(),
            done: false,
            lock: Some(lock),
        })
    }

    /// Delete the resumable staging folder of `target` (for `--restart`); refuses
    /// while another process is using it.
    pub fn discard_resumable(target: &Path) -> Result<()> {
        let tmp = Self::resumable_path(target);
        if tmp.exists() {
            let _lock = lock_dir(&tmp)?;
            fs::remove_dir_all(&tmp).with_context(|| format!("removing {}", tmp.display()))?;
        }
        Ok(())
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Move the finished folder into place, replacing any previous results.
    pub fn commit(mut self) -> Result<PathBuf> {
        let old = self.tmp.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        if self.lock.is_some() {
            let _ = fs::remove_file(self.tmp.join(LOCK));
        }
        if self.target.exists() {
            fs::rename(&self.target, &old)
                .with_context(|| format!("moving the previous {} aside", self.target.display()))?;
        }
        fs::rename(&self.tmp, &self.target)
            .with_context(|| format!("moving results into {}", self.target.display()))?;
        if old.exists() {
            let _ = fs::remove_dir_all(&old);
        }
        self.done = true;
        Ok(self.target.clone())
    }
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

    #[test]
    fn commit_replaces_and_drop_cleans() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("out");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("old.txt"), "old").unwrap();
        {
            let s = Staging::new(&target).unwrap();
            fs::write(s.path().join("new.txt"), "new").unwrap();
            // dropped without commit: target untouched, staging removed
        }
        assert!(target.join("old.txt").exists());
        assert_eq!(fs::read_dir(base.path()).unwrap().count(), 1);
        let s = Staging::new(&target).unwrap();
        fs::write(s.path().join("new.txt"), "new").unwrap();
        s.commit().unwrap();
        assert!(target.join("new.txt").exists());
        assert!(!target.join("old.txt").exists());
        assert_eq!(fs::read_dir(base.path()).unwrap().count(), 1);
    }

    #[test]
    fn resumable_staging_is_kept_and_locked() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("out");
        {
            let s = Staging::open_resumable(&target).unwrap();
            fs::write(s.path().join("part.txt"), "part").unwrap();
            let e = Staging::open_resumable(&target).err().unwrap().to_string();
            assert!(e.contains("another greatgame process"), "{e}");
            assert!(Staging::discard_resumable(&target).is_err());
        }
        let again = Staging::resumable_path(&target);
        assert!(again.join("part.txt").exists(), "kept after drop");
        let s = Staging::open_resumable(&target).unwrap();
        s.commit().unwrap();
        assert!(target.join("part.txt").exists());
        assert!(!target.join(LOCK).exists());
        assert!(!again.exists());
    }
}
