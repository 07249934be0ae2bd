//! `greatgame calibrate`: history matching on the calibration record; writes the accepted ensemble. The
//! method is in `calibrate::points`, the identity and `--write` in `calibrate::job`, the Markdown in
//! `calibrate::report`; this file is options, the rows file, resume, shards and output (like `sweep`: units
//! are design points, rows are `points.csv`, the ensemble is folded from the rows), which share the
//! exploration commands' `RowsRun`.

use super::explore::{CommonArgs, ManifestInfo, RowsRun, Streamed};
use super::resume::{ResumeArgs, install_stop_handler};
use crate::calibrate::Rule;
use crate::calibrate::file::EnsembleFile;
use crate::calibrate::job::{CalibrateSpec, identity, record_text, regenerate, write_ensemble};
use crate::calibrate::points::Calibration;
use crate::calibrate::report::summary_md;
use crate::experiment::batch;
use crate::experiment::checkpoint::Meta;
use crate::experiment::samplers::DesignKind;
use crate::experiment::shard::{ShardSpec, shard_chunks};
use crate::report::manifest::MergedShard;
use crate::scenario;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Calibration record. Default: as `hindcast` finds it.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Design points (coefficient groups and world views).
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub points: u64,
    /// Hindcast trials per point (the Monte Carlo variance of each statistic enters the implausibility).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub trials_per_point: u64,
    /// Design over the unit cube.
    #[arg(long, value_enum, default_value = "lhs")]
    pub design: DesignKind,
    /// Implausibility cutoff for the second-largest target implausibility (Pukelsheim's three-sigma rule).
    #[arg(long, default_value_t = 3.0)]
    pub cutoff: f64,
    /// Cutoff for the largest target implausibility (set it above --cutoff to let one target miss further).
    #[arg(long, default_value_t = 3.0)]
    pub max_cutoff: f64,
    /// Model discrepancy: its standard deviation as a share of each check's scale (judgement).
    #[arg(long, default_value_t = 0.1)]
    pub discrepancy: f64,
    /// Most members kept in the ensemble file (the first accepted points, in point order).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub max_members: u64,
    /// Also write the ensemble to FILE (e.g. scenarios/afghanistan.ensemble.ron, which commands then use).
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Compute only share K of N (whole design points) into --out; combine the shares with `greatgame merge`.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<ShardSpec>,
    #[command(flatten)]
    pub resume: ResumeArgs,
}

struct Prepared {
    loaded: scenario::Loaded,
    cal: Calibration,
    spec: CalibrateSpec,
}

fn rule_of(args: &CalibrateArgs) -> Rule {
    Rule {
        cutoff: args.cutoff,
        max_cutoff: args.max_cutoff,
        discrepancy: args.discrepancy,
    }
}

fn prepare(args: &CalibrateArgs) -> Result<Prepared> {
    let loaded = super::which_scenario::load(args.scenario.as_deref(), "calibrate", args.common.quiet)?;
    let record = crate::hindcast::load(&loaded.model, args.scenario.as_deref(), args.record.as_deref())?;
    super::which_scenario::announce_record(
        args.scenario.as_deref(),
        args.record.as_deref(),
        &record,
        args.common.quiet,
    );
    let record_text = record_text(args.scenario.as_deref(), args.record.as_deref())?;
    let rule = rule_of(args);
    let cal = Calibration::new(
        &loaded,
        &record,
        rule,
        args.design,
        args.points,
        args.trials_per_point,
        args.common.seed,
    )?;
    let spec = CalibrateSpec {
        design: args
            .design
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default(),
        points: args.points,
        trials_per_point: args.trials_per_point,
        rule,
        max_members: args.max_members,
        record_origin: record.origin.clone(),
        record_text,
        scenario_arg: args.scenario.as_ref().map(|p| p.display().to_string()),
    };
    Ok(Prepared { loaded, cal, spec })
}

fn manifest_info<'a>(loaded: &'a scenario::Loaded, cal: &Calibration, spec: &CalibrateSpec) -> ManifestInfo<'a> {
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

pub fn execute(args: &CalibrateArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let Prepared { loaded, cal, spec } = prepare(args)?;
    let n = cal.points;
    let t = cal.trials_per_point;
    if !args.common.quiet {
        eprintln!(
            "greatgame: calibrate over {} coefficient group(s) and {} contested mechanism(s): {n} points x {t} \
             trials on {} target(s) up to {}",
            cal.space.factors.len(),
            cal.model.worlds.len(),
            cal.targets.len(),
            cal.record.calibrated_through
        );
    }
    let points = match args.shard {
        Some(s) => {
            if s.count > n {
                bail!("--shard {s}: {n} point(s) can be split into at most {n} shard(s)");
            }
            shard_chunks(n, s.count, s.index)
        }
        None => 0..n,
    };
    let out_dir = args.common.out_dir(&cal.model, "calibrate");
    let info = manifest_info(&loaded, &cal, &spec);
    let fresh = Meta::new(
        identity(&loaded, &spec, cal.seed, args.shard),
        &loaded,
        points.clone(),
        threads,
    );
    let mut run = RowsRun::open(&args.resume, &out_dir, fresh, "points.csv", &cal.header(), t, &info)?;
    install_stop_handler();
    let bar = batch::progress_bar((points.end - points.start) * t, !args.common.quiet);
    if let Some(b) = &bar {
        b.set_position(run.trials_done());
        b.reset_eta();
    }
    let failed: std::sync::Mutex<Option<anyhow::Error>> = std::sync::Mutex::new(None);
    let stopped = batch::for_each_ordered(
        run.next()..points.end,
        threads,
        t,
        bar.as_ref(),
        |i| match cal.point(i) {
            Ok(p) => (cal.row(i, &p), ()),
            Err(e) => {
                if let Ok(mut f) = failed.lock() {
                    f.get_or_insert(e);
                }
                (String::new(), ())
            }
        },
        Streamed {
            run: &mut run,
            fold: |_: ()| {},
        },
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(e) = failed.into_inner().ok().flatten() {
        return Err(e.context("a design point's model"));
    }
    run.settle(stopped)?;
    let secs = run.session.meta.elapsed_seconds;
    if let Some(s) = args.shard {
        let tr = run.trials();
        let note = format!(
            "shard {s}: points {}..{} of {n}, not a complete calibration; combine all {} shards with `greatgame merge`",
            points.start, points.end, s.count
        );
        let dir = run.finish_shard(&info, s, points.clone(), note)?;
        eprintln!(
            "greatgame: calibrate shard {s}: points {}..{} ({} trials) in {secs:.1} s; results in {}",
            points.start,
            points.end,
            tr.end - tr.start,
            dir.display()
        );
        return Ok(());
    }
    let resumed_at = run.session.meta.resumed_at.clone();
    let (session, rows) = run.finish()?;
    let file = finish(&loaded, &cal, &spec, &rows, session.path(), threads, secs, |m| {
        m.resumed_at_trials = resumed_at;
    })?;
    let dir = session.commit()?;
    if let Some(w) = &args.write {
        write_ensemble(w, &file.to_text()?)?;
    }
    eprintln!(
        "greatgame: calibrate {n} points x {t} trials in {secs:.1} s ({:.0} trials/s) on {threads} thread(s): {} \
         accepted ({:.1}%); results in {}{}",
        (n * t) as f64 / secs.max(1e-9),
        file.accepted,
        100.0 * file.acceptance_rate,
        dir.display(),
        args.write
            .as_ref()
            .map_or(String::new(), |w| format!("; ensemble written to {}", w.display()))
    );
    Ok(())
}

/// `ensemble.ron`, `calibration.md` and the manifest from the whole rows file: shared by the unsharded
/// calibration and `merge`.
#[allow(clippy::too_many_arguments)]
fn finish(
    loaded: &scenario::Loaded,
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

impl super::merge::Shardable for CalibrateKind {
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

    fn merge_into(
        &self,
        shards: &[super::merge::ShardDir],
        merged_from: Vec<MergedShard>,
        dir: &Path,
        _quiet: bool,
    ) -> Result<()> {
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
        let (secs, threads) = super::merge::merged_cost(&merged_from);
        finish(&loaded, &cal, &spec, &dir.join("points.csv"), dir, threads, secs, |m| {
            m.merged_from = Some(merged_from);
        })?;
        Ok(())
    }
}

/// `--ensemble FILE` / `--no-ensemble`, for every command that samples from the calibrated ensemble.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EnsembleArgs {
    /// Calibrated ensemble to draw each trial's coefficients and world views from. Default: the built-in
    /// ensemble for the built-in scenario, else `<stem>.ensemble.ron` beside the scenario if it exists.
    #[arg(long, value_name = "FILE", conflicts_with = "no_ensemble")]
    pub ensemble: Option<PathBuf>,
    /// Run the scenario's nominal coefficients (views drawn from their prior weights), not the ensemble.
    #[arg(long)]
    pub no_ensemble: bool,
}

impl EnsembleArgs {
    /// Attach the ensemble to `loaded` (after `--world` fixing and any change to its policies); refuses a
    /// stale one with the command that regenerates it.
    pub fn attach(
        &self,
        loaded: &mut scenario::Loaded,
        scenario: Option<&Path>,
        quiet: bool,
    ) -> Result<Option<crate::calibrate::file::EnsembleRef>> {
        let r = crate::calibrate::attach(loaded, scenario, self.ensemble.as_deref(), self.no_ensemble, quiet)?;
        loaded.model.sync_members();
        Ok(r)
    }
}
