//! The append-only rows files of a resumable command (`trials.csv`, `decision_state.csv`,
//! `chunk-moments.bin`, an exploration's rows): written as `NAME.partial` in the staging folder, synced before
//! each checkpoint records their length, cut back to that length on `--resume`, and renamed to `NAME` when
//! complete. Kept apart from [`super::session`] because a file knows nothing of checkpoints: the session
//! records the length a file reports.

use anyhow::{Context, Result, bail};
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// An append-only file in a staging folder, written as `NAME.partial` and
/// renamed to `NAME` when complete.
pub struct PartialFile {
    w: BufWriter<File>,
    dir: PathBuf,
    name: &'static str,
    len: u64,
}

impl PartialFile {
    fn partial(dir: &Path, name: &str) -> PathBuf {
        dir.join(format!("{name}.partial"))
    }

    /// A new file holding `head` (a header line, or nothing).
    pub fn create(dir: &Path, name: &'static str, head: &[u8]) -> Result<PartialFile> {
        let path = Self::partial(dir, name);
        let f = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 16, f);
        w.write_all(head)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(PartialFile {
            w,
            dir: dir.to_path_buf(),
            name,
            len: head.len() as u64,
        })
    }

    /// The file of an interrupted run, cut back to the `len` bytes its
    /// checkpoint records (dropping what was written after it). A file
    /// already renamed to `NAME` (stopped while finishing) is taken back.
    pub fn reopen(dir: &Path, name: &'static str, len: u64) -> Result<PartialFile> {
        let path = Self::partial(dir, name);
        let done = dir.join(name);
        if !path.exists() && done.exists() {
            fs::rename(&done, &path).with_context(|| format!("restoring {}", path.display()))?;
        }
        let mut f = OpenOptions::new()
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot resume: opening {}", path.display()))?;
        let have = f.metadata()?.len();
        if have < len {
            bail!(
                "cannot resume: {} has {have} bytes but the checkpoint records {len}; start again with --restart",
                path.display()
            );
        }
        f.set_len(len)
            .with_context(|| format!("truncating {}", path.display()))?;
        f.seek(SeekFrom::End(0))?;
        Ok(PartialFile {
            w: BufWriter::with_capacity(1 << 16, f),
            dir: dir.to_path_buf(),
            name,
            len,
        })
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.w
            .write_all(bytes)
            .with_context(|| format!("writing {}", self.name))?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written so far (header included).
    pub fn bytes(&self) -> u64 {
        self.len
    }

    /// Flush to the disk (before a checkpoint records [`PartialFile::bytes`]).
    pub fn sync(&mut self) -> Result<()> {
        self.w.flush().with_context(|| format!("writing {}", self.name))?;
        self.w
            .get_ref()
            .sync_data()
            .with_context(|| format!("syncing {}", self.name))
    }

    /// Close the file and give it its final name; returns its path.
    pub fn finish(mut self) -> Result<PathBuf> {
        self.w.flush().with_context(|| format!("writing {}", self.name))?;
        let done = self.dir.join(self.name);
        fs::rename(Self::partial(&self.dir, self.name), &done).with_context(|| format!("renaming {}", self.name))?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_file_is_cut_back_to_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = PartialFile::create(dir.path(), "rows.csv", b"h\n").unwrap();
        f.write(b"1\n").unwrap();
        f.sync().unwrap();
        let len = f.bytes();
        f.write(b"2\n").unwrap();
        f.sync().unwrap();
        drop(f);
        let mut f = PartialFile::reopen(dir.path(), "rows.csv", len).unwrap();
        f.write(b"3\n").unwrap();
        let done = f.finish().unwrap();
        assert_eq!(fs::read(&done).unwrap(), b"h\n1\n3\n");
        // Renamed already (stopped while finishing): taken back, then cut.
        let mut f = PartialFile::reopen(dir.path(), "rows.csv", 4).unwrap();
        f.write(b"4\n").unwrap();
        f.finish().unwrap();
        assert_eq!(fs::read(&done).unwrap(), b"h\n1\n4\n");
        let e = PartialFile::reopen(dir.path(), "rows.csv", 100)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("checkpoint records 100"), "{e}");
    }
}
