//! The ensemble file (`scenarios/<name>.ensemble.ron`): the accepted points of a calibration, with what
//! produced them, and attaching it to a loaded scenario.
//!
//! A member is a unit point over the register's coefficient groups (each group's rows at `low + q (high −
//! low)`) and one view per contested mechanism. The file carries the SHA-256 of the scenario text it was
//! calibrated on: a file calibrated on another text is refused (the register it indexes may have changed),
//! with the command that regenerates it.

use super::Rule;
use crate::model::Model;
use crate::model::coefficients::{CoefficientSpace, FactorMode};
use crate::scenario::Loaded;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The ensemble for the built-in scenario.
pub const DEFAULT_ENSEMBLE: &str = include_str!("../../scenarios/afghanistan.ensemble.ron");
pub const DEFAULT_ENSEMBLE_NAME: &str = "built-in afghanistan.ensemble.ron";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnsembleFile {
    /// Scenario name and the SHA-256 of the exact text calibrated on.
    pub scenario: String,
    pub scenario_sha256: String,
    /// The calibration record's SHA-256.
    pub record_sha256: String,
    pub method: String,
    pub rule: String,
    pub acceptance: Rule,
    pub seed: u64,
    pub design: String,
    pub points: u64,
    pub trials_per_point: u64,
    pub calibrated_through: i32,
    pub accepted: u64,
    pub acceptance_rate: f64,
    /// Members kept in this file (the first `kept` accepted points in point order).
    pub kept: u64,
    /// The command that regenerates this file.
    pub regenerate: String,
    /// Coefficient group ids, the order of each member's `quantiles`.
    pub factors: Vec<String>,
    /// Target ids, the order of each member's `implausibility` and `within`.
    pub targets: Vec<String>,
    /// Per target: the share of accepted members whose own trials meet the target's band.
    pub coverage: Vec<f64>,
    /// Per mechanism and view: prior weight, points tried and accepted under it.
    pub views: Vec<ViewSurvival>,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ViewSurvival {
    pub mechanism: String,
    pub view: String,
    pub prior: f64,
    pub tried: u64,
    pub accepted: u64,
    /// Share of accepted points holding this view (compare with `prior`).
    pub posterior: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Member {
    /// Design point index in the calibration.
    pub point: u64,
    /// One view id per mechanism, in the scenario's order.
    pub views: Vec<String>,
    /// One quantile per coefficient group (`factors`).
    pub quantiles: Vec<f64>,
    /// Per target, the implausibility of this point.
    pub implausibility: Vec<f64>,
    /// Per target, whether this point's trials met its band.
    pub within: Vec<bool>,
}

/// What a manifest records about the ensemble used.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EnsembleRef {
    pub file: String,
    pub sha256: String,
    pub members: usize,
    pub calibration_seed: u64,
}

impl EnsembleFile {
    pub fn parse(text: &str, origin: &str) -> Result<EnsembleFile> {
        ron::from_str(text).map_err(|e| anyhow::anyhow!("{origin}: not an ensemble file: {e}"))
    }

    pub fn to_text(&self) -> Result<String> {
        let cfg = ron::ser::PrettyConfig::new().depth_limit(2).indentor("  ".to_string());
        let body = ron::ser::to_string_pretty(self, cfg)?;
        Ok(format!(
            "// Calibrated ensemble for scenario `{}` (sha256 {}), written by `greatgame calibrate`.\n// Method: {}.\n// \
             Regenerate with: {}\n{body}\n",
            self.scenario, self.scenario_sha256, self.method, self.regenerate
        ))
    }
}

/// Which ensemble a command uses: `explicit` (`--ensemble FILE`); none with `--no-ensemble`; else the built-in
/// ensemble for the built-in scenario, else `<stem>.ensemble.ron` beside the scenario file if it exists.
/// Returns (origin, text).
pub fn resolve(scenario: Option<&Path>, explicit: Option<&Path>, none: bool) -> Result<Option<(String, String)>> {
    if none {
        return Ok(None);
    }
    let path: PathBuf = match (explicit, scenario) {
        (Some(p), _) => p.to_path_buf(),
        (None, None) => return Ok(Some((DEFAULT_ENSEMBLE_NAME.into(), DEFAULT_ENSEMBLE.into()))),
        (None, Some(s)) => {
            let sibling = crate::scenario::companion(s, "ensemble");
            if !sibling.exists() {
                return Ok(None);
            }
            sibling
        }
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading the ensemble file {}", path.display()))?;
    Ok(Some((path.display().to_string(), text)))
}

/// Attach the ensemble to `loaded.model` (after any `--world` fixing): one compiled model per member, each
/// with its views fixed. With views fixed by `--world`, only members holding those views are kept. Refuses a
/// file calibrated on another scenario text. Returns what the manifest records, or `None` without an ensemble.
pub fn attach(
    loaded: &mut Loaded,
    scenario: Option<&Path>,
    explicit: Option<&Path>,
    none: bool,
    quiet: bool,
) -> Result<Option<EnsembleRef>> {
    let Some((origin, text)) = resolve(scenario, explicit, none)? else {
        if !none && !quiet && scenario.is_some() {
            eprintln!("greatgame: no ensemble file beside the scenario: running the nominal coefficients");
        }
        return Ok(None);
    };
    let file = EnsembleFile::parse(&text, &origin)?;
    if file.scenario_sha256 != loaded.sha256 {
        bail!(
            "the ensemble {origin} was calibrated on another scenario text (sha256 {}…, this scenario is {}…): it \
             is stale. Regenerate it with\n    {}\nor run without it (--no-ensemble)",
            &file.scenario_sha256.get(..12).unwrap_or(""),
            &loaded.sha256.get(..12).unwrap_or(""),
            file.regenerate
        );
    }
    let models = member_models(loaded, &file)?;
    let n = models.len();
    if n == 0 {
        bail!(
            "the ensemble {origin} has no member{}: use --no-ensemble, or calibrate with more points",
            if loaded.model.worlds.iter().any(|m| m.fixed.is_some()) {
                " holding the views fixed by --world"
            } else {
                ""
            }
        );
    }
    if !quiet {
        eprintln!(
            "greatgame: ensemble: {n} member(s) from {origin} (calibration seed {}, {} of {} points accepted)",
            file.seed, file.accepted, file.points
        );
    }
    loaded.model.ensemble = Some(Arc::new(models));
    let r = EnsembleRef {
        file: origin,
        sha256: sha256_hex(&text),
        members: n,
        calibration_seed: file.seed,
    };
    loaded.ensemble = Some(r.clone());
    Ok(Some(r))
}

/// The compiled model of every member (in parallel), views fixed; members conflicting with a view fixed on
/// `loaded.model` are left out.
pub fn member_models(loaded: &Loaded, file: &EnsembleFile) -> Result<Vec<Model>> {
    use rayon::prelude::*;
    let space = CoefficientSpace::new(loaded, FactorMode::Groups, None)?;
    if space.names() != file.factors {
        bail!(
            "the ensemble's coefficient groups differ from the scenario's register: it is stale; regenerate it with\n    {}",
            file.regenerate
        );
    }
    let worlds = &loaded.model.worlds;
    let mut views: Vec<(u64, Vec<u8>, &Member)> = Vec::new();
    'members: for m in &file.members {
        if m.views.len() != worlds.len() || m.quantiles.len() != file.factors.len() {
            bail!(
                "ensemble member {} does not match the scenario's mechanisms or groups",
                m.point
            );
        }
        let mut v = Vec::with_capacity(worlds.len());
        for (mech, id) in worlds.iter().zip(&m.views) {
            let Some(i) = mech.view_index(id) else {
                bail!(
                    "ensemble member {}: mechanism `{}` has no view `{id}`",
                    m.point,
                    mech.id
                );
            };
            if mech.fixed.is_some_and(|f| f != i) {
                continue 'members;
            }
            v.push(i as u8);
        }
        views.push((m.point, v, m));
    }
    views
        .par_iter()
        .map(|(point, v, m)| member_model(&space, &m.quantiles, v).with_context(|| format!("ensemble member {point}")))
        .collect()
}

/// One member's compiled model: the register's groups at `quantiles`, each mechanism fixed to its view.
fn member_model(space: &CoefficientSpace, quantiles: &[f64], views: &[u8]) -> Result<Model> {
    let mut model = space.model_at(quantiles)?;
    for (mech, &i) in model.worlds.iter_mut().zip(views) {
        mech.fixed = Some(usize::from(i));
    }
    Ok(model)
}

/// The ensemble member a single-trial use of the model runs on — the wargame's hidden truth. It carries the
/// member itself (not only its index), so a game replays from its own log without the ensemble file, and it
/// is kept in the white cell's sealed secret: which member is true is exactly what teams must not know.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PickedMember {
    /// Where the ensemble came from and its SHA-256.
    pub ensemble: String,
    pub ensemble_sha256: String,
    /// Members in the ensemble, and which one was drawn (its index and its calibration design point).
    pub members: usize,
    /// The seed the ensemble was calibrated with.
    pub calibration_seed: u64,
    pub index: usize,
    pub point: u64,
    /// The member's view of each mechanism and quantile of each coefficient group.
    pub views: Vec<String>,
    pub quantiles: Vec<f64>,
}

impl PickedMember {
    /// Draw trial `trial`'s member of the ensemble found as for every command (see [`resolve`]); `None`
    /// without one. Refuses a stale ensemble as [`attach`] does.
    pub fn draw(
        loaded: &Loaded,
        scenario: Option<&Path>,
        explicit: Option<&Path>,
        none: bool,
        seed: u64,
        trial: u64,
    ) -> Result<Option<PickedMember>> {
        let Some((origin, text)) = resolve(scenario, explicit, none)? else {
            return Ok(None);
        };
        let file = EnsembleFile::parse(&text, &origin)?;
        if file.scenario_sha256 != loaded.sha256 {
            bail!(
                "the ensemble {origin} was calibrated on another scenario text: it is stale. Regenerate it with\n    \
                 {}\nor play without it (--no-ensemble)",
                file.regenerate
            );
        }
        if file.members.is_empty() {
            bail!("the ensemble {origin} has no member: use --no-ensemble, or calibrate with more points");
        }
        let index = super::draw_member(seed, trial, file.members.len());
        let m = &file.members[index];
        let picked = PickedMember {
            ensemble: origin,
            ensemble_sha256: sha256_hex(&text),
            members: file.members.len(),
            calibration_seed: file.seed,
            index,
            point: m.point,
            views: m.views.clone(),
            quantiles: m.quantiles.clone(),
        };
        picked.model(loaded)?;
        Ok(Some(picked))
    }

    /// The member's compiled model, from the scenario it was drawn for.
    pub fn model(&self, loaded: &Loaded) -> Result<Model> {
        let space = CoefficientSpace::new(loaded, FactorMode::Groups, None)?;
        if space.names().len() != self.quantiles.len() || loaded.model.worlds.len() != self.views.len() {
            bail!(
                "ensemble member {} (of {}) does not fit this scenario's coefficient groups or mechanisms",
                self.point,
                self.ensemble
            );
        }
        let mut views = Vec::with_capacity(self.views.len());
        for (mech, id) in loaded.model.worlds.iter().zip(&self.views) {
            let i = mech.view_index(id).with_context(|| {
                format!(
                    "ensemble member {}: mechanism `{}` has no view `{id}`",
                    self.point, mech.id
                )
            })?;
            views.push(i as u8);
        }
        member_model(&space, &self.quantiles, &views).with_context(|| format!("ensemble member {}", self.point))
    }
}

pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
