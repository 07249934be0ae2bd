//! A calibration run as a library call: every design point's hindcast trials (`calibrate::points`) streamed to
//! `points.csv` with checkpoints and shards like the exploration commands (units are design points), then the
//! ensemble folded from the rows into `ensemble.ron`, `calibration.md` and `manifest.json`. [`CalibrateKind`]
//! merges shards with the same code.

use super::file::EnsembleFile;
use super::job::{CalibrateSpec, identity, regenerate};
use super::points::Calibration;
use super::report::summary_md;
use crate::experiment::checkpoint::Meta;
use crate::experiment::merge::{MergeText, ShardDir, Shardable, merged_cost};
use crate::experiment::rows_run::RowsRun;
use crate::experiment::samplers::DesignKind;
use crate::experiment::session::ResumeMode;
use crate::experiment::shard::{ShardSpec, shard_chunks};
use crate::report::manifest::{ManifestInfo, MergedShard};
use crate::scenario::Loaded;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where and how to run a calibration (the design itself is the [`Calibration`] and its [`CalibrateSpec`]).
#[derive(Debug, Clone)]
pub struct CalibrateRun {
    pub threads: usize,
    /// The output folder (written through a locked staging folder beside it).
    pub out_dir: PathBuf,
    /// Compute only this share of the points.
    pub shard: Option<ShardSpec>,
    pub resume: ResumeMode,
    /// Show no progress bar.
    pub quiet: bool,
}

/// What a finished calibration (or shard) did.
#[derive(Debug)]
pub struct CalibrateOutcome {
    /// The output folder, in place.
    pub dir: PathBuf,
    /// Compute time over every session.
    pub seconds: f64,
    /// For a shard: its K/N, its points and its trials.
    pub shard: Option<(ShardSpec, Range<u64>, u64)>,
    /// The ensemble (a whole calibration).
    pub ensemble: Option<EnsembleFile>,
}

fn manifest_info<'a>(loaded: &'a Loaded, cal: &Calibration, spec: &CalibrateSpec) -> ManifestInfo<'a> {
    ManifestInfo {
        loaded,
        seed: cal.seed,
        design: format!("calibrate: history matching, {} design", spec.design),
        policy: cal.model.policies[cal.record.policy].id.clone(),
        details: serde_json::json!({
            "command": "calibrate",
            "method": crate::calibrate::points::METHOD,
            "rule": spec.rule.text(),
            "points": spec.points,
            "trials_per_point": spec.trials_per_point,
            "coefficient_groups": cal.space.factors.len(),
            "mechanisms": cal.model.worlds.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            "targets": cal.targets,
            "record": spec.record_origin,
            "trial_order": "point i runs trials i * trials_per_point .. (i + 1) * trials_per_point",
        }),
    }
}

/// Run the calibration `cal` (options `spec`) on `loaded`, resuming from a checkpoint if `job` says so. A stop
/// asked for by a signal returns `session::Interrupted`.
pub fn run(loaded: &Loaded, cal: &Calibration, spec: &CalibrateSpec, job: &CalibrateRun) -> Result<CalibrateOutcome> {
    let threads = job.threads;
    let n = cal.points;
    let t = cal.trials_per_point;
    let points = match job.shard {
        Some(s) => {
            if s.count > n {
                bail!("--shard {s}: {n} point(s) can be split into at most {n} shard(s)");
            }
            shard_chunks(n, s.count, s.index)
        }
        None => 0..n,
    };
    let info = manifest_info(loaded, cal, spec);
    let fresh = Meta::new(
        identity(loaded, spec, cal.seed, job.shard),
        loaded,
        points.clone(),
        threads,
    );
    let mut run = RowsRun::open(job.resume, &job.out_dir, fresh, "points.csv", &cal.header(), t, &info)?;
    run.drive(
        threads,
        job.quiet,
        |i, failed| match cal.point(i) {
            Ok(p) => (cal.row(i, &p), ()),
            Err(e) => {
                failed.keep(e);
                (String::new(), ())
            }
        },
        |()| {},
    )?;
    let secs = run.session.meta.elapsed_seconds;
    if let Some(s) = job.shard {
        let tr = run.trials();
        let note = format!(
            "shard {s}: points {}..{} of {n}, not a complete calibration; combine all {} shards with `greatgame merge`",
            points.start, points.end, s.count
        );
        let dir = run.finish_shard(&info, s, points.clone(), note)?;
        return Ok(CalibrateOutcome {
            dir,
            seconds: secs,
            shard: Some((s, points, tr.end - tr.start)),
            ensemble: None,
        });
    }
    let resumed_at = run.session.meta.resumed_at.clone();
    let (session, rows) = run.finish()?;
    let file = finish(loaded, cal, spec, &rows, session.path(), threads, secs, |m| {
        m.resumed_at_trials = resumed_at;
    })?;
    let dir = session.commit()?;
    Ok(CalibrateOutcome {
        dir,
        seconds: secs,
        shard: None,
        ensemble: Some(file),
    })
}

/// `ensemble.ron`, `calibration.md` and the manifest from the whole rows file: shared by the unsharded
/// calibration and `merge`.
#[allow(clippy::too_many_arguments)]
fn finish(
    loaded: &Loaded,
    cal: &Calibration,
    spec: &CalibrateSpec,
    rows: &Path,
    dir: &Path,
    threads: usize,
    secs: f64,
    adjust: impl FnOnce(&mut crate::report::Manifest),
) -> Result<EnsembleFile> {
    let file = cal.ensemble(loaded, rows, spec.max_members, regenerate(spec, cal.seed))?;
    std::fs::write(dir.join("ensemble.ron"), file.to_text()?)?;
    std::fs::write(dir.join("calibration.md"), summary_md(&file))?;
    manifest_info(loaded, cal, spec).write(dir, spec.points * spec.trials_per_point, threads, secs, adjust)?;
    Ok(file)
}

/// Shards of `greatgame calibrate`: the span is in points, the rows are `points.csv`; the ensemble and
/// manifest are recomputed from the merged rows by the code of the unsharded calibration.
pub struct CalibrateKind;

impl CalibrateKind {
    fn spec(meta: &Meta) -> Result<CalibrateSpec> {
        serde_json::from_str(&meta.identity.design).context("the calibration shard state's options are damaged")
    }
}

impl Shardable for CalibrateKind {
    fn kind(&self) -> &'static str {
        "calibrate"
    }

    fn rows_file(&self) -> &'static str {
        "points.csv"
    }

    fn span(&self, meta: &Meta) -> Result<std::ops::Range<u64>> {
        let s = meta.identity.shard.context("shard without K/N")?;
        let points = Self::spec(meta)?.points;
        if s.count > points {
            bail!("shard {s} of a calibration of only {points} point(s)");
        }
        Ok(shard_chunks(points, s.count, s.index))
    }

    fn trials(&self, meta: &Meta) -> std::ops::Range<u64> {
        let t = Self::spec(meta).map_or(0, |s| s.trials_per_point);
        meta.span.start * t..meta.span.end * t
    }

    fn merge_into(&self, shards: &[ShardDir], merged_from: Vec<MergedShard>, dir: &Path) -> Result<MergeText> {
        let meta = &shards[0].meta;
        let loaded = shards[0].scenario()?;
        let spec = Self::spec(meta)?;
        let record = crate::hindcast::spec::load_str(&loaded.model, &spec.record_text, &spec.record_origin)?;
        let design = DesignKind::from_str(&spec.design, false)
            .map_err(|e| anyhow::anyhow!("unknown design `{}` in the shard state: {e}", spec.design))?;
        let cal = Calibration::new(
            &loaded,
            &record,
            spec.rule,
            design,
            spec.points,
            spec.trials_per_point,
            meta.identity.seed,
        )?;
        let (secs, threads) = merged_cost(&merged_from);
        finish(&loaded, &cal, &spec, &dir.join("points.csv"), dir, threads, secs, |m| {
            m.merged_from = Some(merged_from);
        })?;
        Ok(MergeText::default())
    }
}
