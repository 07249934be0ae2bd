//! One calibration: the design over (coefficient groups × contested mechanisms), each point's trials, its
//! implausibilities, the rows of `points.csv`, and the ensemble file folded from those rows.
//!
//! Point *i* is a pure function of (seed, i): its unit coordinates come from the design (`UnitDesign`, design
//! streams of `stream_seed`), the first `g` over the register's groups, one more per mechanism whose uniform
//! picks the view by the prior weights (`MechanismDef::pick`). Its trials are *i T … i T + T − 1* of the
//! calibration seed, run on the point's own compiled model (views fixed) to the end of the last calibration
//! year. Rows are written in point order, so the file is the same at any thread count, sharded or resumed.

use super::file::{EnsembleFile, Member, ViewSurvival};
use super::{Rule, check_last_year, target_implausibilities};
use crate::experiment::batch::push_num;
use crate::experiment::samplers::{DesignKind, UnitDesign};
use crate::hindcast::Record;
use crate::model::Model;
use crate::model::coefficients::{CoefficientSpace, FactorMode};
use crate::scenario::Loaded;
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;

pub const METHOD: &str = "history matching (Craig et al. 1997; Vernon, Goldstein and Bower 2010) over the \
                          coefficient register's groups and the contested mechanisms' views, implausibility cutoff \
                          from Pukelsheim's (1994) three-sigma rule";

/// Everything a calibration derives from its options, the scenario and the record.
pub struct Calibration {
    pub space: CoefficientSpace,
    /// The record cut to the calibration years (its targets too).
    pub record: Record,
    pub model: Model,
    pub rule: Rule,
    pub design: UnitDesign,
    pub design_kind: DesignKind,
    pub points: u64,
    pub trials_per_point: u64,
    pub seed: u64,
    /// Targets used (indices into the full record's targets) and their ids.
    pub targets: Vec<String>,
    groups: usize,
}

pub struct PointResult {
    pub views: Vec<u8>,
    pub unit: Vec<f64>,
    pub implausibility: Vec<f64>,
    pub within: Vec<bool>,
    pub accepted: bool,
}

impl Calibration {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        loaded: &Loaded,
        record: &Record,
        rule: Rule,
        design_kind: DesignKind,
        points: u64,
        trials_per_point: u64,
        seed: u64,
    ) -> Result<Calibration> {
        if trials_per_point == 0 {
            bail!("--trials-per-point must be at least 1");
        }
        if !(rule.cutoff > 0.0 && rule.max_cutoff >= rule.cutoff && rule.discrepancy >= 0.0) {
            bail!("the acceptance rule needs 0 < --cutoff <= --max-cutoff and --discrepancy >= 0");
        }
        let model = loaded.model.clone();
        let space = CoefficientSpace::new(loaded, FactorMode::Groups, None)?;
        let groups = space.factors.len();
        let dims = groups + model.worlds.len();
        let design = UnitDesign::new(design_kind, points, dims, seed)?;
        // Only what the record observed up to `calibrated_through` is fitted; later years are prediction.
        let through = record.calibrated_through;
        let mut record = record.clone();
        let last = record
            .years
            .iter()
            .position(|&y| y > through)
            .unwrap_or(record.years.len());
        record
            .targets
            .retain(|t| t.checks.iter().all(|c| check_last_year(&c.stat) < last));
        if record.targets.is_empty() {
            bail!("the record has no target within its calibration years (up to {through})");
        }
        record.turns = super::turns_through(&model, &record, through);
        let targets = record.targets.iter().map(|t| t.id.clone()).collect();
        Ok(Calibration {
            space,
            record,
            model,
            rule,
            design,
            design_kind,
            points,
            trials_per_point,
            seed,
            targets,
            groups,
        })
    }

    /// Evaluate design point `i`.
    pub fn point(&self, i: u64) -> Result<PointResult> {
        let mut unit = vec![0.0; self.groups + self.model.worlds.len()];
        self.design.point(i, &mut unit);
        let mut m = self.space.model_at(&unit[..self.groups])?;
        let views: Vec<u8> = m
            .worlds
            .iter_mut()
            .zip(&unit[self.groups..])
            .map(|(mech, &u)| {
                let v = mech.pick(u);
                mech.fixed = Some(v);
                v as u8
            })
            .collect();
        let t = self.trials_per_point;
        let res = crate::hindcast::run::run_serial(&m, &self.record, self.seed, i * t..(i + 1) * t);
        let implausibility = target_implausibilities(&self.record, &res, self.rule.discrepancy);
        let scored = crate::hindcast::evaluate(&self.record, &res);
        let within = scored.iter().map(|r| r.pass()).collect();
        // Pattern checks (whether an event has happened by a year) must hold on the point's own trials.
        let patterns = scored.iter().all(|r| {
            r.target.checks.iter().zip(&r.checks).all(|(c, res)| {
                !matches!(
                    c.stat,
                    crate::hindcast::spec::Stat::ProbBy { .. } | crate::hindcast::spec::Stat::ProbIn { .. }
                ) || res.pass
            })
        });
        let accepted = patterns && self.rule.accepts(&implausibility);
        unit.truncate(self.groups);
        Ok(PointResult {
            views,
            unit,
            implausibility,
            within,
            accepted,
        })
    }

    pub fn header(&self) -> String {
        let mut h = String::from("point");
        for m in &self.model.worlds {
            write!(h, ",world.{}", m.id).unwrap_or(());
        }
        for (g, _) in &self.space.factors {
            write!(h, ",{g}").unwrap_or(());
        }
        for t in &self.targets {
            write!(h, ",I.{t}").unwrap_or(());
        }
        for t in &self.targets {
            write!(h, ",within.{t}").unwrap_or(());
        }
        h.push_str(",I_max,I_second,accepted\n");
        h
    }

    pub fn row(&self, i: u64, p: &PointResult) -> String {
        let mut line = format!("{i}");
        for (m, &v) in self.model.worlds.iter().zip(&p.views) {
            write!(line, ",{}", m.views[usize::from(v)].id).unwrap_or(());
        }
        for &u in &p.unit {
            push_num(&mut line, u);
        }
        for &x in &p.implausibility {
            push_num(&mut line, x);
        }
        for &w in &p.within {
            line.push_str(if w { ",1" } else { ",0" });
        }
        let (a, b) = Rule::maxima(&p.implausibility);
        push_num(&mut line, a);
        push_num(&mut line, b);
        line.push_str(if p.accepted { ",1\n" } else { ",0\n" });
        line
    }

    /// The ensemble file from the whole `points.csv` (every point in order): what the unsharded, resumed and
    /// merged calibrations all write. Keeps the first `max_members` accepted points.
    pub fn ensemble(&self, loaded: &Loaded, rows: &Path, max_members: u64, regenerate: String) -> Result<EnsembleFile> {
        let f = std::fs::File::open(rows).with_context(|| format!("opening {}", rows.display()))?;
        let nm = self.model.worlds.len();
        let ng = self.groups;
        let nt = self.targets.len();
        let mut tried = vec![Vec::new(); nm];
        let mut kept_views = vec![Vec::new(); nm];
        for (m, mech) in self.model.worlds.iter().enumerate() {
            tried[m] = vec![0u64; mech.views.len()];
            kept_views[m] = vec![0u64; mech.views.len()];
        }
        let mut members = Vec::new();
        let mut covered = vec![0u64; nt];
        let (mut n, mut accepted) = (0u64, 0u64);
        for (li, line) in BufReader::with_capacity(1 << 16, f).lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", rows.display()))?;
            if li == 0 {
                continue;
            }
            let bad = || anyhow::anyhow!("{}:{}: not a calibration row", rows.display(), li + 1);
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != 1 + nm + ng + 2 * nt + 3 {
                return Err(bad());
            }
            let point: u64 = cells[0].parse().map_err(|_| bad())?;
            if point != n {
                bail!(
                    "{}:{}: point {point} where point {n} was expected",
                    rows.display(),
                    li + 1
                );
            }
            n += 1;
            let views: Vec<String> = cells[1..=nm].iter().map(|s| s.to_string()).collect();
            let is_accepted = cells[cells.len() - 1] == "1";
            for (m, id) in views.iter().enumerate() {
                let v = self.model.worlds[m].view_index(id).ok_or_else(bad)?;
                tried[m][v] += 1;
                if is_accepted {
                    kept_views[m][v] += 1;
                }
            }
            if !is_accepted {
                continue;
            }
            accepted += 1;
            let nums = |a: usize, b: usize| -> Result<Vec<f64>> {
                cells[a..b]
                    .iter()
                    .map(|c| c.parse::<f64>().map_err(|_| bad()))
                    .collect()
            };
            let quantiles = nums(1 + nm, 1 + nm + ng)?;
            let implausibility = nums(1 + nm + ng, 1 + nm + ng + nt)?;
            let within: Vec<bool> = cells[1 + nm + ng + nt..1 + nm + ng + 2 * nt]
                .iter()
                .map(|c| *c == "1")
                .collect();
            for (c, w) in covered.iter_mut().zip(&within) {
                *c += u64::from(*w);
            }
            if (members.len() as u64) < max_members {
                members.push(Member {
                    point,
                    views,
                    quantiles,
                    implausibility,
                    within,
                });
            }
        }
        if n != self.points {
            bail!("{} has {n} points, the calibration has {}", rows.display(), self.points);
        }
        let views = self
            .model
            .worlds
            .iter()
            .enumerate()
            .flat_map(|(m, mech)| {
                let (tried, kept) = (&tried, &kept_views);
                mech.views.iter().enumerate().map(move |(v, view)| ViewSurvival {
                    mechanism: mech.id.clone(),
                    view: view.id.clone(),
                    prior: view.prob,
                    tried: tried[m][v],
                    accepted: kept[m][v],
                    posterior: if accepted > 0 {
                        kept[m][v] as f64 / accepted as f64
                    } else {
                        0.0
                    },
                })
            })
            .collect();
        Ok(EnsembleFile {
            scenario: self.model.name.clone(),
            scenario_sha256: loaded.sha256.clone(),
            record_sha256: self.record.sha256.clone(),
            method: METHOD.into(),
            rule: self.rule.text(),
            acceptance: self.rule,
            seed: self.seed,
            design: self.design_kind.name().into(),
            points: self.points,
            trials_per_point: self.trials_per_point,
            calibrated_through: self.record.calibrated_through,
            accepted,
            acceptance_rate: accepted as f64 / self.points.max(1) as f64,
            kept: members.len() as u64,
            regenerate,
            factors: self.space.names(),
            targets: self.targets.clone(),
            coverage: covered
                .iter()
                .map(|&c| if accepted > 0 { c as f64 / accepted as f64 } else { 0.0 })
                .collect(),
            views,
            members,
        })
    }
}
