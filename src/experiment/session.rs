//! Interrupting and resuming the long commands (`run`, `sweep`, `sensitivity`, `calibrate`): the stop flag
//! that Ctrl-C and SIGTERM set, the locked `.NAME.partial` staging folder of a fresh or interrupted run, and
//! its checkpoint timing.
//!
//! Each command decides what its checkpoint holds (`run`: the accumulators; the exploration commands: nothing
//! but the progress, since their rows file is their state) and writes it with [`checkpoint::write`]. This
//! module decides whether there is a run to continue, refuses one started with other settings (naming the
//! differences), and phrases what the user can do. It lives in the library, not the command line, so that
//! anything that starts a run (the CLI, a server) resumes it the same way.

use super::Accumulators;
use super::checkpoint::{self, Identity, Meta};
use crate::report::staging::Staging;
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Whether to continue or discard an interrupted run, and how often to checkpoint: the settings of every
/// resumable command, as plain values (the command line's `--resume`, `--restart`, `--checkpoint-every`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResumeMode {
    /// Continue an interrupted run into the same output folder from its last checkpoint.
    pub resume: bool,
    /// Discard the saved state of an interrupted run into the same output folder and start again.
    pub restart: bool,
    /// Seconds between checkpoints (0: after every batch).
    pub checkpoint_every: f64,
}

impl Default for ResumeMode {
    fn default() -> Self {
        ResumeMode {
            resume: false,
            restart: false,
            checkpoint_every: 30.0,
        }
    }
}

impl ResumeMode {
    /// The checkpoint interval, checked.
    pub fn every(&self) -> Result<Duration> {
        if !(self.checkpoint_every.is_finite() && self.checkpoint_every >= 0.0) {
            bail!(
                "--checkpoint-every must be a number of seconds ≥ 0 (got {})",
                self.checkpoint_every
            );
        }
        Ok(Duration::from_secs_f64(self.checkpoint_every))
    }
}

/// The checkpoint inside a staging folder while a run is in progress.
pub const CHECKPOINT: &str = "checkpoint.bin";

/// Set by Ctrl-C (SIGINT) or SIGTERM: finish the current batch, save a checkpoint, stop.
static STOP: AtomicBool = AtomicBool::new(false);

/// Make Ctrl-C and SIGTERM ask for a stop at the next batch boundary (a second
/// Ctrl-C stops at once, keeping the last checkpoint).
pub fn install_stop_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                eprintln!("\ngreatgame: stopping now; the last checkpoint is kept");
                std::process::exit(130);
            }
            eprintln!("\ngreatgame: stopping after the current batch (press Ctrl-C again to stop at once)…");
        });
    });
}

/// Whether Ctrl-C or SIGTERM asked to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The run was stopped by a signal; its state is saved and can be resumed
/// (`main` prints it and exits with code 130).
#[derive(Debug)]
pub struct Interrupted(pub String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Interrupted {}

/// The command line that continues this run: the same one, with `--resume`
/// instead of `--restart`, quoted for a POSIX shell.
pub fn resume_command() -> String {
    let mut args: Vec<String> = std::env::args().collect();
    args.retain(|a| a != "--restart");
    if !args.iter().any(|a| a == "--resume") {
        args.push("--resume".into());
    }
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A run in its locked staging folder: its identity and progress ([`Meta`]),
/// and when to save the next checkpoint.
pub struct Session {
    pub staging: Staging,
    pub meta: Meta,
    /// The unit this session started from (`meta.span.start` unless resumed part-way).
    pub start: u64,
    every: Duration,
    last_save: Instant,
    began: Instant,
    elapsed_before: f64,
}

impl Session {
    /// Open the staging folder of `out_dir` for the run that `fresh` describes
    /// (its identity, scenario, span; progress at the start of the span).
    ///
    /// With `--restart`, a leftover run is discarded first. A leftover run
    /// without `--resume` is an error that `describe` (given its saved state)
    /// helps to explain; with `--resume` its checkpoint must have the same
    /// identity and span, and is returned with its accumulators. `--resume`
    /// with nothing to resume is an error.
    pub fn open(
        args: impl Into<ResumeMode>,
        out_dir: &Path,
        fresh: Meta,
        describe: impl Fn(&Meta) -> String,
    ) -> Result<(Session, Option<Accumulators>)> {
        let args: ResumeMode = args.into();
        let every = args.every()?;
        let kind = fresh.identity.kind.clone();
        // Refuse an output greatgame may not write before touching anything.
        Staging::preflight(out_dir, &kind)?;
        if args.restart {
            Staging::discard_resumable(out_dir)?;
        }
        let tmp = Staging::resumable_path(out_dir)?;
        let session = |staging, meta: Meta| {
            let elapsed_before = meta.elapsed_seconds;
            Session {
                staging,
                start: meta.next_chunk,
                meta,
                every,
                last_save: Instant::now(),
                began: Instant::now(),
                elapsed_before,
            }
        };
        if tmp.exists() {
            if !args.resume {
                let what = match checkpoint::read(&tmp.join(CHECKPOINT)) {
                    Ok((meta, _)) => describe(&meta),
                    Err(_) => format!("an unfinished {} without a usable checkpoint", fresh.identity.kind),
                };
                bail!(
                    "{} holds {what} writing into {}.\nAdd --resume to finish it (same options), or --restart to \
                     discard it and start again.",
                    tmp.display(),
                    out_dir.display()
                );
            }
            let staging = Staging::open_resumable(out_dir, &kind)?;
            let (mut meta, acc) = checkpoint::read(&staging.path().join(CHECKPOINT)).with_context(|| {
                format!(
                    "{} holds no usable checkpoint, so it cannot be resumed; start again with --restart",
                    staging.path().display()
                )
            })?;
            check_same_run(&meta.identity, &fresh.identity, staging.path())?;
            let span = &fresh.span;
            if meta.span != *span || meta.next_chunk < span.start || meta.next_chunk > span.end {
                bail!(
                    "cannot resume: the checkpoint in {} covers units {:?}, this run {:?}",
                    staging.path().display(),
                    meta.span,
                    span
                );
            }
            meta.threads = fresh.threads;
            return Ok((session(staging, meta), Some(acc)));
        }
        if args.resume {
            let finished = out_dir.join("manifest.json").is_file();
            bail!(
                "nothing to resume: there is no interrupted run for {} (no {}){}; run without --resume",
                out_dir.display(),
                tmp.display(),
                if finished {
                    ", and that output is already finished"
                } else {
                    ""
                }
            );
        }
        let staging = Staging::open_resumable(out_dir, &kind)?;
        Ok((session(staging, fresh), None))
    }

    /// Whether a checkpoint is due after a batch: a stop was asked for, or the interval has passed.
    pub fn due(&self) -> bool {
        stop_requested() || self.last_save.elapsed() >= self.every
    }

    /// Compute time so far, over every session of this run.
    pub fn elapsed(&self) -> f64 {
        self.elapsed_before + self.began.elapsed().as_secs_f64()
    }

    /// Record that units before `next` are done and write the checkpoint
    /// atomically with `acc`. The caller syncs its rows files first, so the
    /// checkpoint never records more rows than are on disk.
    pub fn save(&mut self, next: u64, acc: &Accumulators) -> Result<()> {
        self.meta.next_chunk = next;
        self.meta.elapsed_seconds = self.elapsed();
        checkpoint::write(&self.path().join(CHECKPOINT), &self.meta, acc)?;
        self.last_save = Instant::now();
        Ok(())
    }

    /// The staging folder.
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// The message of a run stopped by a signal after `progress` (e.g. "1,024 of 5,000 trials").
    pub fn interrupted(&self, progress: &str) -> Interrupted {
        Interrupted(format!(
            "interrupted after {progress}; the state is saved in {}.\nTo finish the {}: {}",
            self.path().display(),
            self.meta.identity.kind,
            resume_command()
        ))
    }

    /// Remove the checkpoint and move the finished folder into place.
    pub fn commit(self) -> Result<PathBuf> {
        fs::remove_file(self.path().join(CHECKPOINT)).context("removing the checkpoint")?;
        self.staging.commit()
    }
}

/// Refuse to continue a saved run whose identity differs from this one's.
fn check_same_run(saved: &Identity, ours: &Identity, dir: &Path) -> Result<()> {
    let diff = saved.differences(ours);
    if !diff.is_empty() {
        bail!(
            "cannot resume: the interrupted {} in {} was started with different settings ({}); rerun with the same \
             options and --resume, or start again with --restart",
            saved.kind,
            dir.display(),
            diff.join("; ")
        );
    }
    Ok(())
}
