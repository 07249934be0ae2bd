//! Contested mechanisms and their views (the scenario's `worldviews` section).
//!
//! The source articles disagree about how the world responds to some levers (does engagement moderate
//! the Taliban or embolden them? can Pakistan be moved?). A wider range on one coefficient cannot
//! express "the sign flips", so each view is a whole alternative structure: its own lever-conditioned
//! incentives on actors' actions and its own lever-conditioned per-turn changes to variables. Every
//! trial runs under one view of each mechanism, drawn from the views' weights on a stream of its own
//! (a function of master seed and trial only), so trial *k* has the same world under every policy
//! (common random numbers) and adding a mechanism shifts no other draw. `--world MECH=VIEW` fixes a
//! view: the draw is still made, then overruled, so the other mechanisms' draws do not move.

use super::Program;
use super::sim::stream_seed;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// Stream id of the world draw: disjoint from the setup (1), turn (2), bargaining (`3·2³² + turn`) and
/// design (3–6) streams. The bytes spell "WORLDS".
pub const STREAM_WORLDS: u64 = 0x574F_524C_4453;

#[derive(Debug, Clone)]
pub struct MechanismDef {
    pub id: String,
    pub label: String,
    pub views: Vec<ViewDef>,
    /// Set by `--world MECH=VIEW`: every trial runs under this view.
    pub fixed: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct ViewDef {
    pub id: String,
    pub label: String,
    /// Prior probability, normalised over the mechanism's views.
    pub prob: f64,
    /// Keys of the works that argue the view.
    pub argued_by: Vec<String>,
    pub source: String,
    pub incentives: Vec<ViewIncentiveDef>,
    pub effects: Vec<ViewEffectDef>,
}

/// Extra value in points for `actor`'s action `action` while the view holds.
#[derive(Debug, Clone)]
pub struct ViewIncentiveDef {
    /// The lever that conditions it (`None`: a mechanism no lever conditions).
    pub lever: Option<u16>,
    pub actor: u16,
    pub action: u16,
    pub value: Program,
}

/// Per-turn change to `var` while the view holds, booked to `lever` in the drivers ledger (to the drift channel
/// when `None`).
#[derive(Debug, Clone)]
pub struct ViewEffectDef {
    pub lever: Option<u16>,
    pub var: u16,
    pub change: Program,
}

impl MechanismDef {
    /// The view a uniform draw `u` in [0, 1) selects (cumulative prior probabilities), unless fixed.
    pub fn pick(&self, u: f64) -> usize {
        if let Some(f) = self.fixed {
            return f;
        }
        let mut acc = 0.0;
        let mut last = 0;
        for (i, v) in self.views.iter().enumerate() {
            if v.prob <= 0.0 {
                continue;
            }
            acc += v.prob;
            last = i;
            if u < acc {
                return i;
            }
        }
        last
    }

    pub fn view_index(&self, id: &str) -> Option<usize> {
        self.views.iter().position(|v| v.id == id)
    }
}

/// The views trial `trial` of a run with master seed `seed` runs under, one per mechanism. One uniform
/// per mechanism, in file order, whatever is fixed.
pub fn draw(worlds: &[MechanismDef], seed: u64, trial: u64) -> Vec<u8> {
    let mut views = Vec::with_capacity(worlds.len());
    draw_into(worlds, seed, trial, &mut views);
    views
}

/// [`draw`] into `views` (its allocation reused: the runner restarts one trial state per worker).
pub fn draw_into(worlds: &[MechanismDef], seed: u64, trial: u64, views: &mut Vec<u8>) {
    views.clear();
    if worlds.is_empty() {
        return;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, trial, STREAM_WORLDS));
    views.extend(worlds.iter().map(|m| {
        let u: f64 = rng.random();
        m.pick(u) as u8
    }));
}

/// Fix views from `--world MECH=VIEW` options (repeatable). Unknown names are explained with the
/// closest known name.
pub fn fix(worlds: &mut [MechanismDef], specs: &[String]) -> Result<(), String> {
    use crate::scenario::diagnostics::closest;
    for spec in specs {
        let Some((m, v)) = spec.split_once('=') else {
            return Err(format!(
                "--world `{spec}`: expected MECHANISM=VIEW, e.g. engagement=emboldens"
            ));
        };
        let (m, v) = (m.trim(), v.trim());
        let ids: Vec<String> = worlds.iter().map(|w| w.id.clone()).collect();
        let Some(mi) = worlds.iter().position(|w| w.id == m) else {
            let hint = if ids.is_empty() {
                "this scenario has no `worldviews` section".to_string()
            } else {
                match closest(m, &ids) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("mechanisms: {}", ids.join(", ")),
                }
            };
            return Err(format!("--world `{spec}`: no mechanism `{m}`; {hint}"));
        };
        let mech = &mut worlds[mi];
        let views: Vec<String> = mech.views.iter().map(|x| x.id.clone()).collect();
        let Some(vi) = mech.view_index(v) else {
            let hint = match closest(v, &views) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("views of `{m}`: {}", views.join(", ")),
            };
            return Err(format!("--world `{spec}`: mechanism `{m}` has no view `{v}`; {hint}"));
        };
        mech.fixed = Some(vi);
    }
    Ok(())
}

/// A trial's world as text: `engagement=moderates pakistan_response=movable`.
pub fn label(worlds: &[MechanismDef], views: &[u8]) -> String {
    worlds
        .iter()
        .zip(views)
        .map(|(m, &v)| format!("{}={}", m.id, m.views[v as usize].id))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every combination of views (mechanisms in file order, the last varying fastest), as view indices.
pub fn combinations(worlds: &[MechanismDef]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![Vec::new()];
    for m in worlds {
        let choices: Vec<usize> = match m.fixed {
            Some(f) => vec![f],
            None => (0..m.views.len()).collect(),
        };
        out = out
            .into_iter()
            .flat_map(|prefix| {
                choices.iter().map(move |&v| {
                    let mut p = prefix.clone();
                    p.push(v as u8);
                    p
                })
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mech(probs: &[f64]) -> MechanismDef {
        MechanismDef {
            id: "m".into(),
            label: "m".into(),
            fixed: None,
            views: probs
                .iter()
                .enumerate()
                .map(|(i, &p)| ViewDef {
                    id: format!("v{i}"),
                    label: String::new(),
                    prob: p,
                    argued_by: Vec::new(),
                    source: String::new(),
                    incentives: Vec::new(),
                    effects: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn pick_follows_cumulative_weights_and_skips_zero() {
        let m = mech(&[0.25, 0.0, 0.75]);
        assert_eq!(m.pick(0.1), 0);
        assert_eq!(m.pick(0.25), 2);
        assert_eq!(m.pick(0.999), 2);
        let mut f = m.clone();
        f.fixed = Some(1);
        assert_eq!(f.pick(0.1), 1);
    }

    #[test]
    fn draws_are_a_function_of_seed_and_trial_and_near_their_weights() {
        let ws = vec![mech(&[0.3, 0.7])];
        assert_eq!(draw(&ws, 5, 17), draw(&ws, 5, 17));
        let n = 20_000;
        let ones = (0..n).filter(|&k| draw(&ws, 1, k)[0] == 1).count() as f64 / n as f64;
        assert!((ones - 0.7).abs() < 0.02, "{ones}");
    }

    #[test]
    fn combinations_cover_every_view_once() {
        let ws = vec![mech(&[1.0, 1.0]), mech(&[1.0, 1.0, 1.0])];
        let c = combinations(&ws);
        assert_eq!(c.len(), 6);
        assert_eq!(c[0], vec![0, 0]);
        assert_eq!(c[5], vec![1, 2]);
    }
}
