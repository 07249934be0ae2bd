//! Structural coefficients as factors of an exploration design.
//!
//! `sensitivity`, `sweep` and `discover` vary either the declared
//! uncertainties (the default: the model's parameter slots, set per trial) or
//! the register's coefficients (`--factors coefficients`, one factor per
//! number) or groups of them (`--factors groups`, one factor per item: every
//! number of one action, one variable's drift, one actor's interests, moved
//! together by a common quantile of their ranges).
//!
//! A coefficient design point gets its own model: the register writes the
//! values into a copy of the parsed scenario and it is compiled again (about a
//! millisecond, shared by every trial of the point). The trial loop is not
//! touched, so nominal runs stay bit-identical and as fast as before; the
//! uncertainties keep being drawn from each trial's own stream.

use crate::model::Model;
use crate::scenario::register::Register;
use crate::scenario::{self, Loaded};
use anyhow::{Context, Result, bail};

/// What an exploration design varies.
///
/// The default, `Uncertainties`, is also what a saved shard or resume state written before coefficient factors
/// existed means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FactorMode {
    /// The declared uncertainties (each on its distribution).
    #[default]
    Uncertainties,
    /// Coefficient groups (one factor per item; members move by a common quantile of their ranges).
    Groups,
    /// Every varied coefficient on its own.
    Coefficients,
}

impl FactorMode {
    pub fn name(self) -> &'static str {
        match self {
            FactorMode::Uncertainties => "uncertainties",
            FactorMode::Groups => "groups",
            FactorMode::Coefficients => "coefficients",
        }
    }
}

/// Largest number of factors a design accepts without `--coefficients` narrowing it.
pub const MAX_FACTORS: usize = 400;

/// The coefficient factors of one design: each a set of register rows.
pub struct CoefficientSpace {
    pub register: Register,
    /// Factor names (a coefficient id, or a group id) and their register rows.
    pub factors: Vec<(String, Vec<usize>)>,
    name: String,
    text: String,
}

/// The factors a design varies under `mode`: `None` and the scenario's uncertainties, or the coefficient space
/// and its factor names. Shared by `sensitivity`, `sweep` and `discover` so all three read `--factors` and
/// `--coefficients` the same way (a pattern without coefficient factors is an error, not silently ignored).
pub fn factors(
    loaded: &Loaded,
    mode: FactorMode,
    pattern: Option<&str>,
) -> Result<(Option<CoefficientSpace>, Vec<String>)> {
    if pattern.is_some() && mode == FactorMode::Uncertainties {
        bail!("--coefficients PATTERN picks coefficients: use it with --factors groups or --factors coefficients");
    }
    Ok(match mode {
        FactorMode::Uncertainties => (None, loaded.model.params.iter().map(|p| p.id.clone()).collect()),
        mode => {
            let space = CoefficientSpace::new(loaded, mode, pattern)?;
            let names = space.names();
            (Some(space), names)
        }
    })
}

impl CoefficientSpace {
    /// The factors of `mode` (not `Uncertainties`), restricted to ids matching `pattern`.
    pub fn new(loaded: &Loaded, mode: FactorMode, pattern: Option<&str>) -> Result<CoefficientSpace> {
        let register = scenario::register_of(loaded).map_err(|e| anyhow::anyhow!("{e}"))?;
        let factors: Vec<(String, Vec<usize>)> = match mode {
            FactorMode::Uncertainties => bail!("the uncertainties are not coefficient factors"),
            FactorMode::Groups => register.groups(pattern),
            FactorMode::Coefficients => register
                .varied(pattern)
                .into_iter()
                .map(|i| (register.rows[i].id.clone(), vec![i]))
                .collect(),
        };
        if factors.is_empty() {
            bail!(
                "no varied coefficient matches `{}`; `greatgame list --coefficients` lists the ids (structural \
                 numbers and zero-width ranges are never varied)",
                pattern.unwrap_or("*")
            );
        }
        if factors.len() > MAX_FACTORS {
            bail!(
                "{} factors is more than {MAX_FACTORS}; use `--factors groups`, or narrow with `--coefficients \
                 PATTERN` (e.g. `--coefficients 'actors.taliban.*'`)",
                factors.len()
            );
        }
        let space = CoefficientSpace {
            register,
            factors,
            name: loaded.origin.clone(),
            text: loaded.text.clone(),
        };
        // Every coefficient at the low and at the high end of its range must still compile, so
        // no design point can fail half-way through a run.
        for u in [0.0, 1.0] {
            let unit = vec![u; space.factors.len()];
            space.model_at(&unit).with_context(|| {
                format!(
                    "the scenario with every varied coefficient at the {} end of its range",
                    if u == 0.0 { "low" } else { "high" }
                )
            })?;
        }
        Ok(space)
    }

    pub fn names(&self) -> Vec<String> {
        self.factors.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The coefficient values at a unit point: factor `f` at `unit[f]` puts each of its
    /// rows at `low + unit[f] × (high − low)`.
    pub fn values(&self, unit: &[f64]) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        for ((_, rows), &u) in self.factors.iter().zip(unit) {
            for &i in rows {
                let r = &self.register.rows[i];
                out.push((i, r.low + u * (r.high - r.low)));
            }
        }
        out
    }

    /// The model at a unit point of the factor space.
    pub fn model_at(&self, unit: &[f64]) -> Result<Model> {
        self.model_with(&self.values(unit))
    }

    /// The model with the given register rows set to new values. The space was built from a loaded (so
    /// cleanly compiled) scenario text, so the checks of that text alone are not repeated for each point
    /// (see [`scenario::compile::compile_variant`]).
    pub fn model_with(&self, values: &[(usize, f64)]) -> Result<Model> {
        let file = self.register.file_with(values)?;
        scenario::compile::compile_variant(&file, &self.name, &self.text).map_err(varied_error)
    }
}

/// The error of a varied scenario that does not compile: its diagnostics' messages.
fn varied_error(d: Vec<scenario::diagnostics::Diagnostic>) -> anyhow::Error {
    let msgs: Vec<String> = d.iter().map(|x| x.message.clone()).collect();
    anyhow::anyhow!("the varied scenario does not compile: {}", msgs.join("; "))
}

/// Compile the scenario with coefficients (register row, value) replaced.
pub fn model_with(register: &Register, values: &[(usize, f64)], name: &str, text: &str) -> Result<Model> {
    let file = register.file_with(values)?;
    scenario::compile::compile(&file, name, text).map_err(varied_error)
}
