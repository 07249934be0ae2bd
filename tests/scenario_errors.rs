//! Every way a scenario can be wrong gets a message with file:line:column,
//! what is wrong, and a hint. Each test edits a copy of the default scenario.

use greatgame::scenario::{DEFAULT_SCENARIO, load_str};

/// Replace the first occurrence of `from` (which must exist) and load.
fn broken(from: &str, to: &str) -> String {
    assert!(
        DEFAULT_SCENARIO.contains(from),
        "test edit `{from}` not found in the scenario"
    );
    let text = DEFAULT_SCENARIO.replacen(from, to, 1);
    let err = load_str(&text, "copy.ron").expect_err("the edited scenario should fail to load");
    let shown = err.to_string();
    assert!(shown.starts_with("copy.ron:"), "no file name in: {shown}");
    shown
}

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).expect("needle")].matches('\n').count() + 1
}

#[test]
fn default_scenario_loads() {
    let l = load_str(DEFAULT_SCENARIO, "afghanistan.ron").expect("default loads");
    assert_eq!(l.model.actors.len(), 9);
    let ids: Vec<&str> = l.model.policies.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "status_quo",
            "rubin_regional_realism",
            "justsecurity_2022_liaison",
            "justsecurity_2021_containment",
            "marcellus_2023_realist",
            "fairobserver_2025_reengage"
        ]
    );
    assert_eq!(l.model.calendar.label(0), "2021Q3");
    assert_eq!(l.model.calendar.label(l.model.decision_turn), "2026Q1");
    assert_eq!(l.model.calendar.label(l.model.turns - 1), "2030Q4");
}

#[test]
fn misspelt_actor_in_incentive_names_line_and_suggests() {
    // The Pakistan incentives moved into `worldviews` (tests/worldviews.rs checks those); China's stays on its lever.
    let from = r#"(actor: "china", action: "press_taliban_on_militants""#;
    let msg = broken(from, r#"(actor: "chna", action: "press_taliban_on_militants""#);
    let text = DEFAULT_SCENARIO.replacen(from, r#"(actor: "chna", action: "press_taliban_on_militants""#, 1);
    let line = line_of(&text, "\"chna\"");
    assert!(msg.contains(&format!("copy.ron:{line}:")), "{msg}");
    assert!(msg.contains("unknown actor `chna`"), "{msg}");
    assert!(msg.contains("did you mean `china`?"), "{msg}");
}

#[test]
fn misspelt_actor_in_expression_points_at_the_name() {
    let from = r#""0.8 * pak_afg_tension * pak_afg_tension + 0.3 * pakistan.cross_border_strikes + 0.3 * taliban.retaliate_pakistan""#;
    let to = r#""0.8 * pak_afg_tension * pak_afg_tension + 0.3 * pakistn.cross_border_strikes + 0.3 * taliban.retaliate_pakistan""#;
    let msg = broken(from, to);
    let text = DEFAULT_SCENARIO.replacen(from, to, 1);
    let line = line_of(&text, "pakistn.cross");
    let line_start = text[..text.find("pakistn.cross").unwrap()].rfind('\n').unwrap() + 1;
    let col = text[line_start..text.find("pakistn.cross").unwrap()].chars().count() + 1;
    assert!(msg.contains(&format!("copy.ron:{line}:{col}:")), "{msg}");
    assert!(msg.contains("unknown name `pakistn`"), "{msg}");
    assert!(msg.contains("did you mean `pakistan`?"), "{msg}");
    assert!(msg.contains('^'), "caret display missing: {msg}");
}

#[test]
fn unknown_field_suggests_the_right_one() {
    let msg = broken("turns_per_year: 4,", "turns_per_yaer: 4,");
    assert!(msg.contains("unknown field `turns_per_yaer`"), "{msg}");
    assert!(msg.contains("did you mean `turns_per_year`?"), "{msg}");
    let line = line_of(DEFAULT_SCENARIO, "turns_per_year");
    assert!(msg.contains(&format!("copy.ron:{line}:")), "{msg}");
}

#[test]
fn ron_syntax_error_has_position_and_hint() {
    let msg = broken(r#"start: "2021Q3","#, r#"start: "2021Q3" "#);
    assert!(msg.contains("RON syntax") || msg.contains("error"), "{msg}");
    let line = line_of(DEFAULT_SCENARIO, "turns_per_year");
    assert!(
        msg.contains(&format!("copy.ron:{line}:")),
        "expected the error on line {line}: {msg}"
    );
}

#[test]
fn unknown_variant_lists_choices() {
    let msg = broken("initial: Uniform(0.71, 0.75)", "initial: Uniform2(0.71, 0.75)");
    assert!(msg.contains("unknown variant `Uniform2`"), "{msg}");
    assert!(msg.contains("Uniform"), "{msg}");
}

#[test]
fn missing_field_is_named() {
    let msg = broken(
        r#"caveat: "Conditional scenarios"#,
        r#"caveats: "Conditional scenarios"#,
    );
    assert!(msg.contains("caveats"), "{msg}");
}

#[test]
fn interest_without_per_says_what_to_add() {
    // An interest in a variable must say which change its weight refers to,
    // in the variable's units; the hint gives the value that keeps the old
    // (1% of the declared range) meaning.
    let from = r#"(on: "returns_iran", weight: 0.4, per: 0.03,"#;
    let msg = broken(from, r#"(on: "returns_iran", weight: 0.4,"#);
    assert!(
        msg.contains("the interest in `returns_iran` does not say what change its weight refers to"),
        "{msg}"
    );
    assert!(msg.contains("weight: 0.4, per: 0.03"), "{msg}");
    assert!(msg.contains("million people per year"), "{msg}");
    let text = DEFAULT_SCENARIO.replacen(from, r#"(on: "returns_iran", weight: 0.4,"#, 1);
    let line = line_of(&text, r#"(on: "returns_iran", weight: 0.4,"#);
    assert!(msg.contains(&format!("copy.ron:{line}:")), "{msg}");
}

#[test]
fn interest_per_must_be_positive() {
    let from = r#"(on: "taliban_cohesion", weight: 1.0, per: 0.01,"#;
    for bad in ["0.0", "-0.01"] {
        let msg = broken(from, &format!(r#"(on: "taliban_cohesion", weight: 1.0, per: {bad},"#));
        assert!(msg.contains("on `taliban_cohesion` must be a positive number"), "{msg}");
        let text = DEFAULT_SCENARIO.replacen(
            from,
            &format!(r#"(on: "taliban_cohesion", weight: 1.0, per: {bad},"#),
            1,
        );
        let line = line_of(&text, &format!("per: {bad},"));
        assert!(msg.contains(&format!("copy.ron:{line}:")), "{msg}");
    }
}

#[test]
fn event_interest_takes_no_per() {
    let from = r#"(on: "pak_afg_war", weight: -0.6,"#;
    let msg = broken(from, r#"(on: "pak_afg_war", weight: -0.6, per: 1.0,"#);
    assert!(msg.contains("the interest in event `pak_afg_war` has a `per`"), "{msg}");
    assert!(msg.contains("per percentage point"), "{msg}");
}

#[test]
fn interest_weight_is_not_capped() {
    // Weights are points per `per`, not shares of a [-1, 1] scale.
    let text = DEFAULT_SCENARIO.replacen(
        r#"(on: "taliban_cohesion", weight: 1.0, per: 0.01,"#,
        r#"(on: "taliban_cohesion", weight: 150.0, per: 1.0,"#,
        1,
    );
    load_str(&text, "copy.ron").unwrap();
}

#[test]
fn probability_out_of_range() {
    let from = r#"Probability("if recognition.formal then 1 else if recognition.conditional and women_rights >= 0.3 and aq_restraint >= 0.75 then 0.25 else 0")"#;
    let msg = broken(from, r#"Probability("1.5")"#);
    assert!(msg.contains("probability 1.5 is outside [0, 1]"), "{msg}");
}

#[test]
fn type_error_in_expression() {
    let msg = broken(
        r#"when: "taliban_cohesion > 0.4 and civil_war < 0.5","#,
        r#"when: "taliban_cohesion + 0.4","#,
    );
    assert!(
        msg.contains("expected a condition (true/false), found a number"),
        "{msg}"
    );
    assert!(msg.contains("hint"), "{msg}");
}

#[test]
fn unknown_enum_option_in_expression() {
    let msg = broken("recognition.formal then 1", "recognition.formel then 1");
    assert!(msg.contains("lever `recognition` has no option `formel`"), "{msg}");
    assert!(msg.contains("did you mean `formal`?"), "{msg}");
}

#[test]
fn unknown_variable_in_effect() {
    let msg = broken(
        r#"(var: "aq_restraint", mean: "0.05""#,
        r#"(var: "aq_restrain", mean: "0.05""#,
    );
    assert!(msg.contains("unknown state variable `aq_restrain`"), "{msg}");
    assert!(msg.contains("did you mean `aq_restraint`?"), "{msg}");
}

#[test]
fn unknown_lever_and_bad_value_in_policy() {
    let msg = broken(
        r#"(lever: "un_accountability", value: true,"#,
        r#"(lever: "un_accountabilty", value: true,"#,
    );
    assert!(msg.contains("unknown lever `un_accountabilty`"), "{msg}");
    assert!(msg.contains("did you mean `un_accountability`?"), "{msg}");
    let msg = broken(
        r#"(lever: "recognition", value: "conditional","#,
        r#"(lever: "recognition", value: "conditinal","#,
    );
    assert!(msg.contains("no option `conditinal`"), "{msg}");
    let msg = broken(
        r#"(lever: "sanctions_relief", value: 0.2,"#,
        r#"(lever: "sanctions_relief", value: 2.0,"#,
    );
    assert!(msg.contains("outside lever `sanctions_relief`'s range"), "{msg}");
    let msg = broken(
        r#"(lever: "liaison_offices", value: true,"#,
        r#"(lever: "liaison_offices", value: 1.0,"#,
    );
    assert!(msg.contains("takes true or false"), "{msg}");
}

#[test]
fn bad_date_and_window() {
    let msg = broken(r#"decision: "2026Q1","#, r#"decision: "2026Q5","#);
    assert!(msg.contains("`2026Q5` is not a date"), "{msg}");
    let msg = broken(r#"decision: "2026Q1","#, r#"decision: "2040Q1","#);
    assert!(msg.contains("decision date must lie between"), "{msg}");
}

#[test]
fn duplicate_ids_and_missing_sources() {
    let msg = broken(r#"(id: "ttp_tempo","#, r#"(id: "ttp_strength","#);
    assert!(msg.contains("declared twice"), "{msg}");
    let msg = broken(r#"source: "judgement: avoid war with Pakistan""#, r#"source: """#);
    assert!(msg.contains("empty `source`"), "{msg}");
}

#[test]
fn unknown_baseline_and_policy_inheritance() {
    let msg = broken(r#"baseline: "status_quo","#, r#"baseline: "status_qo","#);
    assert!(msg.contains("baseline policy `status_qo`"), "{msg}");
    assert!(msg.contains("did you mean `status_quo`?"), "{msg}");
    let msg = broken(r#"inherits: "status_quo","#, r#"inherits: "statusquo","#);
    assert!(msg.contains("unknown policy `statusquo`"), "{msg}");
}

#[test]
fn expression_depth_limit() {
    let deep = format!("\"{}0.1{}\"", "(".repeat(70), ")".repeat(70));
    let msg = broken(r#"mean: "0.07""#, &format!("mean: {deep}"));
    assert!(msg.contains("nested deeper than 64"), "{msg}");
}

#[test]
fn actor_without_unconditional_action() {
    // Without its line, the US is a single-choice actor whose only action has a precondition.
    let msg = broken(
        r#"label: "Over-the-horizon strike on a terrorist target", line: "strikes","#,
        r#"label: "Over-the-horizon strike on a terrorist target","#,
    );
    assert!(msg.contains("every action of `us` has a `when` condition"), "{msg}");
}

#[test]
fn several_errors_are_all_reported() {
    let text = DEFAULT_SCENARIO
        .replacen(
            r#"(var: "aq_restraint", mean: "0.05""#,
            r#"(var: "aq_restrain", mean: "0.05""#,
            1,
        )
        .replacen(
            r#"(on: "taliban_cohesion", weight: 1.0, per: 0.01,"#,
            r#"(on: "taliban_cohesion", weight: 1.0, per: 0.0,"#,
            1,
        );
    let err = load_str(&text, "copy.ron").unwrap_err();
    assert_eq!(err.diagnostics.len(), 2, "{err}");
}

#[test]
fn non_scenario_inputs_fail_cleanly() {
    for text in ["", "()", "not ron at all", "(meta: ())", "[1, 2, 3]", "\u{feff}"] {
        let err = load_str(text, "junk.ron").unwrap_err();
        assert!(err.to_string().contains("junk.ron"), "{err}");
    }
}

// ---- the bargaining section ----------------------------------------------------

/// Like [`broken`], also checking that the message points at the line of `needle` in the edited text.
fn broken_at(from: &str, to: &str, needle: &str) -> String {
    let msg = broken(from, to);
    let text = DEFAULT_SCENARIO.replacen(from, to, 1);
    let line = line_of(&text, needle);
    assert!(
        msg.contains(&format!("copy.ron:{line}:")),
        "expected line {line}: {msg}"
    );
    msg
}

#[test]
fn unknown_bargainer_suggests_the_actor() {
    let from = r#"(id: "pakistan", capability: "35 - 10 * pak_afg_tension","#;
    let to = r#"(id: "pakistn", capability: "35 - 10 * pak_afg_tension","#;
    let msg = broken_at(from, to, "\"pakistn\"");
    assert!(msg.contains("unknown actor `pakistn`"), "{msg}");
    assert!(msg.contains("did you mean `pakistan`?"), "{msg}");
}

#[test]
fn unknown_output_variable_suggests_the_variable() {
    let from = r#"(var: "engagement_russia", value: Position("engagement", "russia")),"#;
    let to = r#"(var: "engagement_rusia", value: Position("engagement", "russia")),"#;
    let msg = broken_at(from, to, "\"engagement_rusia\"");
    assert!(msg.contains("unknown state variable `engagement_rusia`"), "{msg}");
    assert!(msg.contains("did you mean `engagement_russia`?"), "{msg}");
}

#[test]
fn unknown_variable_in_a_stance_points_at_the_name() {
    let from = r#"position: "clamp(60 - 40 * pak_afg_tension, 0, 100)""#;
    let to = r#"position: "clamp(60 - 40 * pak_afg_tenson, 0, 100)""#;
    let msg = broken_at(from, to, "pak_afg_tenson");
    assert!(
        msg.contains("the position of bargainer `pakistan` on `engagement`"),
        "{msg}"
    );
    assert!(msg.contains("did you mean `pak_afg_tension`?"), "{msg}");
}

#[test]
fn salience_out_of_range() {
    let from = r#"(dimension: "relief", position: "60", salience: "15","#;
    let to = r#"(dimension: "relief", position: "60", salience: "120","#;
    let msg = broken_at(from, to, "\"120\"");
    assert!(msg.contains("salience 120 is outside 0-100"), "{msg}");
}

#[test]
fn saliences_adding_up_to_more_than_100() {
    let from = r#"(dimension: "ct_conditionality", position: "80", salience: "50","#;
    let to = r#"(dimension: "ct_conditionality", position: "80", salience: "60","#;
    let msg = broken(from, to);
    assert!(
        msg.contains("bargainer `india`: saliences add up to 110, more than 100"),
        "{msg}"
    );
}

#[test]
fn unknown_dimension_and_missing_stance() {
    let from = r#"(dimension: "relief", position: "55", salience: "20","#;
    let to = r#"(dimension: "releif", position: "55", salience: "20","#;
    let msg = broken_at(from, to, "\"releif\"");
    assert!(msg.contains("unknown bargaining dimension `releif`"), "{msg}");
    assert!(msg.contains("did you mean `relief`?"), "{msg}");
    assert!(
        msg.contains("bargainer `india` has no stance on dimension `relief`"),
        "{msg}"
    );
}

#[test]
fn bargaining_date_outside_the_run() {
    let from = r#"schedule: Dates(["2021Q4", "2022Q4", "2023Q4", "2024Q4", "2026Q1", "2028Q1"]),"#;
    let to = r#"schedule: Dates(["2021Q4", "2022Q4", "2023Q4", "2024Q4", "2026Q1", "2032Q1"]),"#;
    let msg = broken_at(from, to, "\"2032Q1\"");
    assert!(
        msg.contains("bargaining date 2032Q1 lies outside the simulated turns"),
        "{msg}"
    );
}

#[test]
fn bargaining_output_needs_a_zero_to_one_variable() {
    let from = r#"(var: "engagement_india", value: Position("engagement", "india")),"#;
    let to = r#"(var: "humanitarian_need", value: Position("engagement", "india")),"#;
    let msg = broken_at(from, to, "\"humanitarian_need\", value");
    assert!(msg.contains("settled positions are written on the 0-1 scale"), "{msg}");
}

#[test]
fn misspelt_bargaining_option_is_an_error() {
    let msg = broken("options: (max_steps: 6),", "options: (max_step: 6),");
    assert!(msg.contains("unknown field `max_step`"), "{msg}");
    assert!(msg.contains("did you mean `max_steps`?"), "{msg}");
}

#[test]
fn bargaining_every_zero_turns() {
    let msg = broken(
        r#"schedule: Dates(["2021Q4", "2022Q4", "2023Q4", "2024Q4", "2026Q1", "2028Q1"]),"#,
        r#"schedule: Every(turns: 0, from: "2026Q1"),"#,
    );
    assert!(msg.contains("bargaining every 0 turns"), "{msg}");
}
