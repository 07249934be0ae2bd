//! The outside-control hook (`Model::step_with`): used by the wargame and the
//! exploration designs. It must not disturb the random streams.

use greatgame::model::{Control, Trace};
use greatgame::scenario::load;
use rand::SeedableRng;

#[test]
fn uncontrolled_step_with_equals_step() {
    let m = load(None).unwrap().model;
    let mut a = m.new_trial(7, 3);
    let mut b = a.clone();
    let mut trace = Trace::default();
    while a.turn < m.turns {
        m.step(&mut a, 1);
        m.step_with(
            &mut b,
            1,
            &mut Control {
                trace: Some(&mut trace),
                ..Control::default()
            },
        );
        assert_eq!(a.vars, b.vars);
        assert_eq!(a.choices, b.choices);
        assert_eq!(a.turn_events, b.turn_events);
        for probs in &trace.choice_probs {
            let s: f64 = probs.iter().sum();
            assert!((s - 1.0).abs() < 1e-9);
        }
        assert_eq!(trace.event_p.len(), m.events.len());
        assert!(trace.event_p.iter().all(|p| (0.0..=1.0).contains(p)));
    }
}

#[test]
fn forced_choices_levers_and_events_are_obeyed_without_shifting_the_dice() {
    let m = load(None).unwrap().model;
    let mut free = m.new_trial(11, 0);
    let mut ctl_state = free.clone();
    let mut forced = vec![None; m.actors.len()];
    let last = m.actors[0].actions.len() - 1;
    forced[0] = Some(last as u8);
    let levers: Vec<f64> = m.levers.iter().map(|l| l.default).collect();
    let mut events = vec![None; m.events.len()];
    events[0] = Some(2);
    let mut trace = Trace::default();
    m.step(&mut free, 0);
    m.step_with(
        &mut ctl_state,
        0,
        &mut Control {
            levers: Some(&levers),
            choices: Some(&forced),
            events: Some(&events),
            trace: Some(&mut trace),
        },
    );
    assert_eq!(ctl_state.choices[0] as usize, last);
    assert_eq!(ctl_state.levers, levers);
    let want = if m.events[0].once { 1 } else { 2 };
    assert_eq!(ctl_state.turn_events[0], want);
    assert!(trace.event_forced[0]);
    // Same draws consumed: the uniforms seen by the other actors are identical.
    let mut trace_free = Trace::default();
    let mut a = free.clone();
    let mut b = free.clone();
    m.step_with(
        &mut a,
        0,
        &mut Control {
            trace: Some(&mut trace_free),
            ..Control::default()
        },
    );
    let mut trace_b = Trace::default();
    m.step_with(
        &mut b,
        0,
        &mut Control {
            choices: Some(&forced),
            trace: Some(&mut trace_b),
            ..Control::default()
        },
    );
    assert_eq!(trace_free.choice_u, trace_b.choice_u);
    assert_eq!(trace_free.event_u, trace_b.event_u);
}

#[test]
fn given_parameters_replace_draws_but_keep_the_initial_state() {
    let m = load(None).unwrap().model;
    let drawn = m.new_trial(5, 9);
    let given: Vec<f64> = m
        .params
        .iter()
        .map(|p| p.sampler.sample(&mut rand::rngs::StdRng::seed_from_u64(1)))
        .collect();
    let set = m.new_trial_with_params(5, 9, Some(&given));
    assert_eq!(set.params, given);
    assert_eq!(set.vars, drawn.vars);
}
