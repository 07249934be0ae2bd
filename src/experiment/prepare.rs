//! The model a sampling command runs, prepared in one call: load the scenario (saying which, as every command
//! does), fix `--world` views, move packages to their articles' dates for `--start article`, anchor the history
//! before the decision date to the known present (unless it runs free), and attach the calibrated ensemble.
//!
//! `run`, `compare`, `explain`, `hindcast` and the server's Explore page all prepare their model through
//! [`prepare`], so the order of these steps — which matters: views are fixed before the ensemble keeps only the
//! members holding them, and the ensemble's members copy the base model's policies and anchoring last — is
//! written once. The terminal lines it prints are the ones each step always printed (the `scenario:` line, the
//! note about an edited copy, the anchoring note, the ensemble line); `quiet` drops them as each command's
//! `--quiet` did.

use crate::calibrate::file::EnsembleRef;
use crate::scenario::Loaded;
use anyhow::Result;
use std::path::Path;

/// When packages start (`--start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StartMode {
    /// Every package at the scenario's decision date (comparable histories).
    #[default]
    Decision,
    /// Each package at its own `start:` (its article's date).
    Article,
}

/// Which calibrated ensemble the trials draw their member from (`--ensemble FILE` / `--no-ensemble`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnsembleChoice<'a> {
    /// The built-in ensemble for the built-in scenario, else `<stem>.ensemble.ron` beside the scenario if it
    /// exists.
    #[default]
    Default,
    /// This file.
    File(&'a Path),
    /// The scenario's nominal coefficients.
    None,
}

impl<'a> EnsembleChoice<'a> {
    /// From the command line's pair of options.
    pub fn from_args(file: Option<&'a Path>, none: bool) -> EnsembleChoice<'a> {
        match (file, none) {
            (_, true) => EnsembleChoice::None,
            (Some(f), false) => EnsembleChoice::File(f),
            (None, false) => EnsembleChoice::Default,
        }
    }

    /// The explicit file, if one was named.
    pub fn file(&self) -> Option<&'a Path> {
        match self {
            EnsembleChoice::File(f) => Some(f),
            _ => None,
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, EnsembleChoice::None)
    }
}

/// How to prepare the model, as plain values.
#[derive(Debug, Clone, Default)]
pub struct PrepareOptions<'a> {
    /// Scenario file; `None` is the built-in scenario.
    pub scenario: Option<&'a Path>,
    /// The subcommand as typed (`run`, `compare`), for the command the edited-copy note suggests.
    pub command: &'a str,
    /// `--world MECHANISM=VIEW` fixes.
    pub world: &'a [String],
    pub start: StartMode,
    /// Let the history before the decision date run free (`--free-history`; always for the hindcast).
    pub free_history: bool,
    pub ensemble: EnsembleChoice<'a>,
    /// Drop the informational lines (not the note that an edited copy is being ignored, which warns).
    pub quiet: bool,
}

/// The prepared model and what a manifest and design name record about how it was prepared.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub loaded: Loaded,
    /// Packages start at their articles' dates.
    pub article: bool,
    /// `present::attach`'s suffix for the design name (`, anchored=…` or `, free_history`).
    pub anchor_suffix: String,
    /// The manifest's description of the anchoring, if anchored.
    pub anchoring: Option<serde_json::Value>,
    /// The calibrated ensemble attached, for the manifest.
    pub ensemble: Option<EnsembleRef>,
}

/// Load and prepare the model (see the module documentation for the steps and their order).
pub fn prepare(o: &PrepareOptions) -> Result<Prepared> {
    let mut loaded = crate::scenario::which::load(o.scenario, o.command, o.quiet)?;
    crate::model::worlds::fix(&mut loaded.model.worlds, o.world).map_err(anyhow::Error::msg)?;
    let article = o.start == StartMode::Article;
    if article {
        loaded.model.use_article_starts();
    }
    // Packages taking over at their articles' dates replace the record before the present the facts describe,
    // so such a run is not anchored.
    let (anchor_suffix, anchoring) =
        crate::present::attach(&mut loaded.model, o.scenario, o.free_history || article, o.quiet)?;
    let ensemble = attach_ensemble(&mut loaded, o.scenario, o.ensemble, o.quiet)?;
    Ok(Prepared {
        loaded,
        article,
        anchor_suffix,
        anchoring,
        ensemble,
    })
}

/// Attach the calibrated ensemble to `loaded` (after `--world` fixing and any change to its policies, which
/// the members then copy); refuses a stale one with the command that regenerates it.
pub fn attach_ensemble(
    loaded: &mut Loaded,
    scenario: Option<&Path>,
    choice: EnsembleChoice,
    quiet: bool,
) -> Result<Option<EnsembleRef>> {
    let r = crate::calibrate::attach(loaded, scenario, choice.file(), choice.is_none(), quiet)?;
    loaded.model.sync_members();
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_preparation_anchors_and_attaches_the_built_in_ensemble() {
        let p = prepare(&PrepareOptions {
            command: "compare",
            quiet: true,
            ..Default::default()
        })
        .unwrap();
        assert!(p.anchor_suffix.starts_with(", anchored="), "{}", p.anchor_suffix);
        assert!(p.anchoring.is_some() && p.loaded.model.present.is_some());
        assert!(p.ensemble.is_some() && p.loaded.model.ensemble.is_some());
        assert!(!p.article);
    }

    #[test]
    fn article_starts_run_free_and_no_ensemble_means_nominal() {
        let p = prepare(&PrepareOptions {
            command: "compare",
            start: StartMode::Article,
            ensemble: EnsembleChoice::None,
            quiet: true,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p.anchor_suffix, ", free_history");
        assert!(p.anchoring.is_none() && p.loaded.model.present.is_none());
        assert!(p.ensemble.is_none() && p.loaded.model.ensemble.is_none());
        let m = &p.loaded.model;
        assert!(m.policies.iter().all(|x| x.start_turn == x.article_start));
    }

    #[test]
    fn a_bad_world_fix_is_an_error_not_a_panic() {
        let world = vec!["no_such_mechanism=x".to_string()];
        let e = prepare(&PrepareOptions {
            command: "run",
            world: &world,
            quiet: true,
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("no_such_mechanism"), "{e}");
    }
}
