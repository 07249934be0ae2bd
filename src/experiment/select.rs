//! Policies and outcomes by name: the command line, a server form or a saved state names policies by id; the engine works on
//! indices. Unknown names are refused with the closest id as a hint, in the same words wherever they come from.

use crate::model::Model;
use crate::scenario::diagnostics::closest;
use crate::scenario::schema::OutcomeKind;
use anyhow::{Context, Result, bail};

/// Policy indices from names (all policies if none given), with suggestions for typos. A name given twice
/// counts once.
pub fn select_policies(model: &Model, names: &[String]) -> Result<Vec<usize>> {
    if names.is_empty() {
        return Ok((0..model.policies.len()).collect());
    }
    let ids: Vec<String> = model.policies.iter().map(|p| p.id.clone()).collect();
    let mut out = Vec::new();
    for n in names {
        match model.policy_index(n) {
            Some(i) if !out.contains(&i) => out.push(i),
            Some(_) => {}
            None => {
                let hint = closest(n, &ids)
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| format!("policies: {}", ids.join(", ")));
                bail!("unknown policy `{n}`; {hint}");
            }
        }
    }
    Ok(out)
}

/// The baseline's index (the scenario's by default), with a hint for typos.
pub fn select_baseline(model: &Model, name: Option<&str>) -> Result<usize> {
    match name {
        None => Ok(model.baseline),
        Some(n) => select_policies(model, &[n.to_string()])
            .map(|v| v[0])
            .with_context(|| "in --baseline".to_string()),
    }
}

/// The policy named by `--policy`, or the baseline if none is given.
pub fn one_policy(model: &Model, name: Option<&str>) -> Result<usize> {
    let Some(n) = name else { return Ok(model.baseline) };
    model.policy_index(n).ok_or_else(|| {
        let ids: Vec<String> = model.policies.iter().map(|p| p.id.clone()).collect();
        let hint = closest(n, &ids)
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("policies: {}", ids.join(", ")));
        anyhow::anyhow!("unknown policy `{n}`; {hint}")
    })
}

/// Outcome index by id, with a "did you mean" hint.
pub fn outcome_index(model: &Model, id: &str, flag: &str) -> Result<usize> {
    model.outcomes.iter().position(|o| o.id == id).ok_or_else(|| {
        let ids: Vec<String> = model.outcomes.iter().map(|o| o.id.clone()).collect();
        let hint = closest(id, &ids)
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("outcomes: {}", ids.join(", ")));
        anyhow::anyhow!("{flag}: unknown outcome `{id}`; {hint}")
    })
}

/// Outcomes named by `--outcome`, or every Maximize/Minimize outcome.
pub fn select_outcomes(model: &Model, names: &[String]) -> Result<Vec<usize>> {
    if names.is_empty() {
        return Ok(model
            .outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.kind != OutcomeKind::Info)
            .map(|(i, _)| i)
            .collect());
    }
    let mut out = Vec::new();
    for n in names {
        let i = outcome_index(model, n, "--outcome")?;
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Ok(out)
}
