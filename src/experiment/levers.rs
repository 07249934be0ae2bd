//! Full factorial grids over levers (L in XLRM), for `greatgame sweep`.
//!
//! A lever combination becomes a synthetic policy: it sets the swept levers
//! from the decision date on, and inherits every other lever from the base
//! policy (so the base policy's own rules for a swept lever, conditional ones
//! included, are replaced by the swept value). Before the decision date the
//! baseline runs as usual, so every combination shares the same history and
//! the engine's common-random-numbers guarantee carries over unchanged.

use crate::model::{LeverDef, LeverKindDef, Model, PolicyDef, RuleDef};
use crate::scenario::diagnostics::closest;
use crate::scenario::schema::LeverValue;
use anyhow::{Result, bail};

/// Most lever combinations in one sweep.
pub const MAX_COMBINATIONS: usize = 100_000;
/// Most points in a range `a:b:n`.
const MAX_RANGE_POINTS: usize = 10_000;

/// One swept lever and the values it takes.
#[derive(Debug, Clone)]
pub struct SweptLever {
    pub lever: usize,
    pub id: String,
    /// Encoded values (see [`LeverDef::encode`]).
    pub values: Vec<f64>,
    /// The values as a user reads them (option names, `true`, numbers).
    pub labels: Vec<String>,
}

/// The full factorial grid: every combination of the swept levers' values.
/// Combination `c` is read in mixed radix, the last lever varying fastest.
#[derive(Debug, Clone)]
pub struct LeverGrid {
    pub levers: Vec<SweptLever>,
}

impl LeverGrid {
    /// Parse `--lever NAME=VALUES` arguments.
    pub fn parse(model: &Model, specs: &[String]) -> Result<LeverGrid> {
        let mut levers: Vec<SweptLever> = Vec::new();
        for spec in specs {
            let Some((name, values)) = spec.split_once('=') else {
                bail!("--lever `{spec}`: expected NAME=VALUES, e.g. recognition=none,formal or sanctions_relief=0:1:5");
            };
            let name = name.trim();
            let Some(li) = model.levers.iter().position(|l| l.id == name) else {
                let ids: Vec<String> = model.levers.iter().map(|l| l.id.clone()).collect();
                let hint = closest(name, &ids)
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| format!("levers: {}", ids.join(", ")));
                bail!("--lever: unknown lever `{name}`; {hint}");
            };
            if levers.iter().any(|l| l.lever == li) {
                bail!("--lever: lever `{name}` is given twice; list all its values in one --lever");
            }
            let def = &model.levers[li];
            let vals = parse_values(def, values.trim())?;
            let labels = vals.iter().map(|&v| def.show(v)).collect();
            levers.push(SweptLever {
                lever: li,
                id: def.id.clone(),
                values: vals,
                labels,
            });
        }
        let grid = LeverGrid { levers };
        if grid.combinations() > MAX_COMBINATIONS {
            bail!(
                "the lever grid has {} combinations; at most {MAX_COMBINATIONS} are allowed",
                grid.combinations()
            );
        }
        Ok(grid)
    }

    /// Number of combinations (1 when no lever is swept: the base policy alone).
    pub fn combinations(&self) -> usize {
        self.levers.iter().map(|l| l.values.len()).product()
    }

    /// Index of each lever's value in combination `c`.
    pub fn indices(&self, mut c: usize) -> Vec<usize> {
        let mut out = vec![0; self.levers.len()];
        for (k, l) in self.levers.iter().enumerate().rev() {
            out[k] = c % l.values.len();
            c /= l.values.len();
        }
        out
    }

    /// Add one synthetic policy per combination to `model`, each inheriting
    /// from `base`; returns their indices in combination order.
    pub fn add_policies(&self, model: &mut Model, base: usize) -> Vec<usize> {
        let base_id = model.policies[base].id.clone();
        let mut out = Vec::with_capacity(self.combinations());
        for c in 0..self.combinations() {
            let idx = self.indices(c);
            let mut rules_by_lever = vec![Vec::new(); model.levers.len()];
            let mut rules = Vec::new();
            let mut parts = Vec::new();
            for (l, &k) in self.levers.iter().zip(&idx) {
                rules_by_lever[l.lever].push(rules.len());
                rules.push(RuleDef {
                    lever: l.lever as u16,
                    value: l.values[k],
                    from_turn: model.decision_turn,
                    until_turn: u32::MAX,
                    when: None,
                    when_text: None,
                    sticky: false,
                    latch: 0,
                    passage: "set by greatgame sweep".into(),
                    from_label: None,
                    until_label: None,
                    default_amount: None,
                });
                parts.push(format!("{}={}", l.id, l.labels[k]));
            }
            let id = if parts.is_empty() {
                base_id.clone()
            } else {
                format!("{base_id}[{}]", parts.join(","))
            };
            model.policies.push(PolicyDef {
                id: id.clone(),
                label: id,
                author: "greatgame sweep".into(),
                source: None,
                source_file: None,
                date: String::new(),
                summary: String::new(),
                inherits: Some(base),
                rules_by_lever,
                rules,
                start_turn: model.policies[base].start_turn,
                article_start: model.policies[base].article_start,
                article_start_label: model.policies[base].article_start_label.clone(),
                not_modelled: Vec::new(),
            });
            out.push(model.policies.len() - 1);
        }
        out
    }
}

/// Values of one lever from the text after `=`: a comma list, or for a
/// numeric lever also a range `a:b:n` (n evenly spaced values from a to b).
fn parse_values(def: &LeverDef, text: &str) -> Result<Vec<f64>> {
    let valid = match &def.kind {
        LeverKindDef::Bool => "true, false".to_string(),
        LeverKindDef::Level(lo, hi) => format!("numbers in [{lo}, {hi}], as a list (0,0.5,1) or a range a:b:n"),
        LeverKindDef::Enum(opts) => opts.join(", "),
    };
    if text.is_empty() {
        bail!("--lever {}: no values given; valid values: {valid}", def.id);
    }
    let mut out: Vec<f64> = Vec::new();
    let numeric = matches!(def.kind, LeverKindDef::Level(..));
    if numeric && text.contains(':') {
        let parts: Vec<&str> = text.split(':').map(str::trim).collect();
        let parsed: Option<(f64, f64, usize)> = match parts.as_slice() {
            [a, b, n] => match (a.parse::<f64>(), b.parse::<f64>(), n.parse::<usize>()) {
                (Ok(a), Ok(b), Ok(n)) => Some((a, b, n)),
                _ => None,
            },
            _ => None,
        };
        let Some((a, b, n)) = parsed else {
            bail!(
                "--lever {}: `{text}` is not a range a:b:n (e.g. 0:1:5); valid values: {valid}",
                def.id
            );
        };
        if n == 0 || n > MAX_RANGE_POINTS {
            bail!(
                "--lever {}: a range needs between 1 and {MAX_RANGE_POINTS} points (got {n})",
                def.id
            );
        }
        for k in 0..n {
            let x = if n == 1 {
                a
            } else {
                a + (b - a) * k as f64 / (n - 1) as f64
            };
            // Drop floating-point dust so 0:0.3:4 gives 0.1, not 0.09999999999999999.
            let x = if x.abs() < 1e6 { (x * 1e12).round() / 1e12 } else { x };
            out.push(
                def.encode(&LeverValue::Num(x))
                    .map_err(|e| anyhow::anyhow!("--lever {}: {e}", def.id))?,
            );
        }
    } else {
        for item in text.split(',').map(str::trim) {
            let v = match &def.kind {
                LeverKindDef::Bool => match item {
                    "true" => LeverValue::Bool(true),
                    "false" => LeverValue::Bool(false),
                    _ => bail!(
                        "--lever {}: `{item}` is not a value of this lever; valid values: {valid}",
                        def.id
                    ),
                },
                LeverKindDef::Level(..) => match item.parse::<f64>() {
                    Ok(x) => LeverValue::Num(x),
                    Err(_) => bail!("--lever {}: `{item}` is not a number; valid values: {valid}", def.id),
                },
                LeverKindDef::Enum(_) => LeverValue::Opt(item.to_string()),
            };
            let x = def
                .encode(&v)
                .map_err(|e| anyhow::anyhow!("--lever {}: {e}; valid values: {valid}", def.id))?;
            out.push(x);
        }
    }
    for (k, x) in out.iter().enumerate() {
        if out[..k].contains(x) {
            bail!("--lever {}: value `{}` is listed twice", def.id, def.show(*x));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        crate::scenario::load(None).unwrap().model
    }

    #[test]
    fn parses_enums_ranges_and_bools() {
        let m = model();
        let g = LeverGrid::parse(
            &m,
            &[
                "recognition=none,conditional,formal".into(),
                "sanctions_relief=0:1:5".into(),
                "liaison_offices=true,false".into(),
            ],
        )
        .unwrap();
        assert_eq!(g.combinations(), 30);
        assert_eq!(g.levers[1].values, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let h = LeverGrid::parse(&m, &["humanitarian_aid=0:0.3:4".into()]).unwrap();
        assert_eq!(h.levers[0].labels, vec!["0", "0.1", "0.2", "0.3"]);
        assert_eq!(g.levers[0].labels, vec!["none", "conditional", "formal"]);
        assert_eq!(g.indices(29), vec![2, 4, 1]);
        assert_eq!(g.indices(1), vec![0, 0, 1]);
    }

    #[test]
    fn errors_name_the_lever_and_the_valid_values() {
        let m = model();
        let e = LeverGrid::parse(&m, &["recogniton=none".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `recognition`"), "{e}");
        let e = LeverGrid::parse(&m, &["recognition=none,formel".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("recognition") && e.contains("formal"), "{e}");
        let e = LeverGrid::parse(&m, &["sanctions_relief=0:2:3".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("sanctions_relief") && e.contains("[0, 1]"), "{e}");
        let e = LeverGrid::parse(&m, &["sanctions_relief=lots".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a number"), "{e}");
        assert!(LeverGrid::parse(&m, &["liaison_offices=yes".into()]).is_err());
        assert!(LeverGrid::parse(&m, &["recognition".into()]).is_err());
    }

    #[test]
    fn synthetic_policies_set_the_swept_lever_from_the_decision_date() {
        let mut m = model();
        let base = m.policy_index("status_quo").unwrap();
        let g = LeverGrid::parse(&m, &["sanctions_relief=0.25,0.75".into()]).unwrap();
        let pols = g.add_policies(&mut m, base);
        let lever = m.levers.iter().position(|l| l.id == "sanctions_relief").unwrap();
        for (k, &p) in pols.iter().enumerate() {
            let mut st = m.new_trial(1, 0);
            while st.turn < m.turns {
                m.step(&mut st, p);
                let want = if st.turn > m.decision_turn {
                    g.levers[0].values[k]
                } else {
                    0.0
                };
                assert_eq!(st.levers[lever], want);
            }
        }
    }
}
