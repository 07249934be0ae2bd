//! Atomic output folders: write into `.NAME.partial-PID`, then rename.

use anyhow::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// A folder being filled. Dropped without [`Staging::commit`], it is removed.
pub struct Staging {
    tmp: PathBuf,
    target: PathBuf,
    done: bool,
}

impl Staging {
    /// Prepare to write `target` (which may already exist; it is replaced on commit).
    pub fn new(target: &Path) -> Result<Staging> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
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
        })
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

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
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
}
