//! `greatgame validate`: load a scenario and say whether it is sound.

use super::ScenarioArg;

pub fn execute(args: &ScenarioArg) -> anyhow::Result<()> {
    let loaded = super::which_scenario::load(args.scenario.as_deref(), "validate", false)?;
    let m = &loaded.model;
    let rules: usize = m.policies.iter().map(|p| p.rules.len()).sum();
    println!(
        "{}: ok — {} state variables, {} uncertainties, {} levers, {} actors ({} actions), {} events, {} outcomes, {} policies ({} rules); {} turns from {} to {}, decision {}",
        loaded.origin,
        m.vars.len(),
        m.params.len(),
        m.levers.len(),
        m.actors.len(),
        m.actors.iter().map(|a| a.actions.len()).sum::<usize>(),
        m.events.len(),
        m.outcomes.len(),
        m.policies.len(),
        rules,
        m.turns,
        m.calendar.label(0),
        m.calendar.label(m.turns - 1),
        m.calendar.label(m.decision_turn),
    );
    if let Some(b) = &m.bargaining {
        println!(
            "  bargaining: {} bargainers on {} dimensions, {} rounds, {} outputs",
            b.bargainers.len(),
            b.dimensions.len(),
            b.scheduled.iter().filter(|x| **x).count(),
            b.outputs.len()
        );
    }
    for w in &m.worlds {
        let views: Vec<String> = w
            .views
            .iter()
            .map(|v| format!("{} ({}%)", v.id, crate::numfmt::sig(100.0 * v.prob, 3)))
            .collect();
        println!("  world view `{}`: {}", w.id, views.join(", "));
    }
    Ok(())
}
