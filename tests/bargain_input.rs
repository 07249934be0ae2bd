//! Scenario input: KTAB's CSV quirks are accepted, every kind of malformed file is rejected with a message that
//! names the file line, and the RON form carries the same content.

#[path = "bargain_fixtures.rs"]
mod fixtures;

use greatgame::bargain::{InputError, Scenario, parse_csv, parse_ron, read_scenario};

/// Replace line `line` (1-based) of the dummy sample.
fn dummy_with_line(line: usize, text: &str) -> String {
    fixtures::DUMMY_CSV
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line { text.to_string() } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

fn error_of(csv: &str) -> (InputError, String) {
    let e = parse_csv(csv, "bad.csv").expect_err("malformed input must be rejected");
    let message = e.to_string();
    (e, message)
}

#[test]
fn ktab_samples_parse_unchanged() {
    let s = parse_csv(fixtures::DUMMY_CSV, "dummyData_3Dim.csv").unwrap();
    // The padded name on line 1 and the quoted description are cleaned up; the trailing commas are ignored.
    assert_eq!(s.name, "DummyData_3Dim");
    assert_eq!(s.description, "Dummy scenario to test reading format");
    assert_eq!(s.dimensions, ["Pstn1", "Pstn2", "Pstn3"]);
    assert_eq!(s.actors.len(), 7);
    assert_eq!(s.actors[0].name, "SActor-00");
    assert_eq!(s.actors[0].description, "Random Spatial Actor");
    assert_eq!(s.actors[0].capability, 102.543);
    assert_eq!(s.actors[0].positions, [75.79, 6.37, 70.45]);
    assert_eq!(s.actors[0].saliences, [49.53, 5.91, 28.15]);

    let s = parse_csv(fixtures::SOE_CSV, "SOE-Pol-Comp.csv").unwrap();
    assert_eq!(s.name, "China Policy/Competitive; scen 2");
    assert_eq!(s.dimensions, ["Policy Position", "Competitive Position"]);
    assert_eq!(s.actors.len(), 13);
    assert_eq!(s.actors[12].name, "WY");
    assert_eq!(s.actors[12].description, "CNOOC - Wang Yilin");
    assert_eq!(s.actors[12].positions, [15.0, 60.0]);
}

#[test]
fn windows_line_endings_and_bom_are_accepted() {
    let text = format!("\u{feff}{}", fixtures::DUMMY_CSV.replace('\n', "\r\n"));
    let s = parse_csv(&text, "dos.csv").unwrap();
    assert_eq!(s, parse_csv(fixtures::DUMMY_CSV, "unix.csv").unwrap());
}

#[test]
fn wrong_column_count_names_the_line() {
    // Line 5 (SActor-02) loses its last salience.
    let csv = dummy_with_line(
        5,
        "SActor-02, Random Spatial Actor, 129.643, 82.45, 48.47, 90.89, 13.55,  0.07,",
    );
    let (e, msg) = error_of(&csv);
    assert!(
        matches!(
            e,
            InputError::ColumnCount {
                line: 5,
                expected: 9,
                found: 8,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(msg.contains("bad.csv, line 5"), "{msg}");
    assert!(msg.contains("expected 9 columns") && msg.contains("found 8"), "{msg}");

    // An extra column on line 3.
    let csv = dummy_with_line(
        3,
        "SActor-00, Random Spatial Actor, 102.543, 75.79, 49.53,  6.37,  5.91, 70.45, 28.15, 1,",
    );
    let (e, msg) = error_of(&csv);
    assert!(matches!(e, InputError::ColumnCount { line: 3, found: 10, .. }), "{e:?}");
    assert!(msg.contains("line 3"), "{msg}");

    // The header disagrees with the declared number of dimensions.
    let csv = dummy_with_line(1, "DummyData_3Dim ,\"desc\",7,2,");
    let (e, msg) = error_of(&csv);
    assert!(
        matches!(
            e,
            InputError::ColumnCount {
                line: 2,
                expected: 7,
                found: 9,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(msg.contains("line 2"), "{msg}");
}

#[test]
fn salience_sum_over_100_names_the_line() {
    let csv = dummy_with_line(
        6,
        "SActor-03, Random Spatial Actor,  75.920, 62.52, 40.76, 50.82, 39.24, 62.33, 22.21,",
    );
    let (e, msg) = error_of(&csv);
    match &e {
        InputError::SalienceSum { line, actor, sum, .. } => {
            assert_eq!((*line, actor.as_str()), (6, "SActor-03"));
            assert!((sum - 102.21).abs() < 1e-9);
        }
        other => panic!("wrong error {other:?}"),
    }
    assert_eq!(
        msg,
        "bad.csv, line 6: the saliences of actor `SActor-03` sum to 102.21, more than 100"
    );
    // Exactly 100, with the rounding of decimal fractions, passes.
    let csv = dummy_with_line(
        6,
        "SActor-03, Random Spatial Actor,  75.920, 62.52, 33.33, 50.82, 33.33, 62.33, 33.34,",
    );
    assert_eq!(
        parse_csv(&csv, "ok.csv").unwrap().actors[3].saliences,
        [33.33, 33.33, 33.34]
    );
}

#[test]
fn non_numbers_name_line_and_column() {
    let csv = dummy_with_line(
        4,
        "SActor-01, Random Spatial Actor,  53.393, 82.72, 30.33, seventy, 21.22, 64.00, 24.79,",
    );
    let (e, msg) = error_of(&csv);
    assert!(matches!(e, InputError::NotANumber { line: 4, column: 6, .. }), "{e:?}");
    assert!(
        msg.contains("line 4") && msg.contains("column 6") && msg.contains("`seventy`"),
        "{msg}"
    );
    assert!(msg.contains("Pstn2"), "the column header is named: {msg}");

    // Capability, and the "numbers" Rust would otherwise accept.
    for (text, column) in [("lots", 3), ("NaN", 3), ("inf", 3)] {
        let csv = dummy_with_line(
            9,
            &format!("SActor-06, Random Spatial Actor, {text}, 70.96, 31.75, 33.46, 27.93, 90.36, 26.03,"),
        );
        let (e, msg) = error_of(&csv);
        assert!(
            matches!(e, InputError::NotANumber { line: 9, column: c, .. } if c == column),
            "{e:?}"
        );
        assert!(msg.contains("line 9"), "{msg}");
    }

    // The actor count on line 1.
    let (e, msg) = error_of(&dummy_with_line(1, "DummyData_3Dim ,\"desc\",seven,3,"));
    assert!(matches!(e, InputError::NotANumber { line: 1, column: 3, .. }), "{e:?}");
    assert!(msg.contains("line 1"), "{msg}");
}

#[test]
fn out_of_range_values_name_the_line() {
    let csv = dummy_with_line(
        7,
        "SActor-04, Random Spatial Actor,  63.224, 182.34, 40.96, 45.77, 25.43, 73.31, 22.59,",
    );
    let (e, msg) = error_of(&csv);
    assert!(matches!(e, InputError::OutOfRange { line: 7, column: 4, .. }), "{e:?}");
    assert!(msg.contains("line 7") && msg.contains("182.34"), "{msg}");
    let csv = dummy_with_line(
        7,
        "SActor-04, Random Spatial Actor,  -1, 82.34, 40.96, 45.77, 25.43, 73.31, 22.59,",
    );
    let (e, msg) = error_of(&csv);
    assert!(matches!(e, InputError::OutOfRange { line: 7, column: 3, .. }), "{e:?}");
    assert!(msg.contains("negative"), "{msg}");
}

#[test]
fn fewer_than_three_actors_names_the_line() {
    let csv = "Tiny,two actors,2,1,\nActor,Description,Power,P,S,\nA,a,1,10,50,\nB,b,1,90,50,\n";
    let (e, msg) = error_of(csv);
    assert!(matches!(e, InputError::TooFewActors { line: 1, count: 2, .. }), "{e:?}");
    assert!(msg.contains("line 1") && msg.contains("at least 3"), "{msg}");

    // Declared 7, but the file stops after 2 actor rows.
    let short: String = fixtures::DUMMY_CSV.lines().take(4).map(|l| format!("{l}\n")).collect();
    let (e, msg) = error_of(&short);
    assert!(matches!(e, InputError::ActorCount { line: 4, .. }), "{e:?}");
    assert!(
        msg.contains("line 4") && msg.contains("after 2 actor rows") && msg.contains("declares 7"),
        "{msg}"
    );
}

#[test]
fn more_than_250_actors_names_the_line() {
    let mut csv = String::from("Crowd,too many,251,1,\nActor,Description,Power,P,S,\n");
    for i in 0..251 {
        csv.push_str(&format!("A{i},x,1,{},50,\n", i % 100));
    }
    let (e, msg) = error_of(&csv);
    assert!(
        matches!(
            e,
            InputError::TooManyActors {
                line: 1,
                count: 251,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(msg.contains("line 1") && msg.contains("at most 250"), "{msg}");

    // More rows than declared: the first extra row is named.
    let extra = format!("{}SActor-07, extra, 1, 1, 1, 1, 1, 1, 1,\n", fixtures::DUMMY_CSV);
    let (e, msg) = error_of(&extra);
    assert!(matches!(e, InputError::ActorCount { line: 10, .. }), "{e:?}");
    assert!(msg.contains("line 10"), "{msg}");
}

#[test]
fn unreadable_text_names_the_line() {
    let (e, msg) = error_of("");
    assert!(matches!(e, InputError::Syntax { line: 1, .. }), "{e:?}");
    assert!(msg.contains("line 1") && msg.contains("empty"), "{msg}");
    // A spreadsheet saved in a legacy encoding: Latin-1 "é" on line 4.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.csv");
    let mut bytes = fixtures::DUMMY_CSV.as_bytes().to_vec();
    let at = fixtures::DUMMY_CSV.match_indices('\n').nth(2).unwrap().0 + 3;
    bytes[at] = 0xE9;
    std::fs::write(&path, bytes).unwrap();
    let e = read_scenario(&path).unwrap_err();
    assert!(matches!(e, InputError::Syntax { line: 4, .. }), "{e:?}");
    assert!(
        e.to_string().contains("latin1.csv, line 4") && e.to_string().contains("UTF-8"),
        "{e}"
    );
}

#[test]
fn read_scenario_names_missing_files() {
    let e = read_scenario(std::path::Path::new("/nonexistent/scenario.csv")).unwrap_err();
    assert!(matches!(e, InputError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/scenario.csv"));
}

const DUMMY_RON: &str = r#"(
    name: "DummyData_3Dim",
    description: "Dummy scenario to test reading format",
    dimensions: ["Pstn1", "Pstn2", "Pstn3"],
    actors: [
        (name: "SActor-00", description: "Random Spatial Actor", capability: 102.543,
         positions: [75.79, 6.37, 70.45], saliences: [49.53, 5.91, 28.15]),
        (name: "SActor-01", description: "Random Spatial Actor", capability: 53.393,
         positions: [82.72, 73.50, 64.00], saliences: [30.33, 21.22, 24.79]),
        (name: "SActor-02", description: "Random Spatial Actor", capability: 129.643,
         positions: [82.45, 90.89, 0.07], saliences: [48.47, 13.55, 34.62]),
        (name: "SActor-03", description: "Random Spatial Actor", capability: 75.920,
         positions: [62.52, 50.82, 62.33], saliences: [20.76, 39.24, 22.21]),
        (name: "SActor-04", description: "Random Spatial Actor", capability: 63.224,
         positions: [82.34, 45.77, 73.31], saliences: [40.96, 25.43, 22.59]),
        (name: "SActor-05", description: "Random Spatial Actor", capability: 120.048,
         positions: [84.48, 33.70, 88.11], saliences: [22.92, 39.35, 15.42]),
        (name: "SActor-06", description: "Random Spatial Actor", capability: 54.178,
         positions: [70.96, 33.46, 90.36], saliences: [31.75, 27.93, 26.03]),
    ],
)"#;

#[test]
fn ron_form_matches_csv_form() {
    let from_ron = parse_ron(DUMMY_RON, "dummy.ron").unwrap();
    let from_csv = parse_csv(fixtures::DUMMY_CSV, "dummy.csv").unwrap();
    assert_eq!(from_ron, from_csv);
    // And through files, dispatching on the extension.
    let dir = tempfile::tempdir().unwrap();
    let ron_path = fixtures::write_file(dir.path(), "dummy.ron", DUMMY_RON);
    assert_eq!(read_scenario(&ron_path).unwrap(), from_csv);
}

#[test]
fn ron_errors_name_the_line() {
    // A misspelt field on line 5 is not silently ignored.
    let bad = DUMMY_RON.replace("(name: \"SActor-00\", description", "(nam: \"SActor-00\", description");
    let e = parse_ron(&bad, "dummy.ron").unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, InputError::Syntax { line: 6, .. }), "{e:?}");
    assert!(msg.contains("dummy.ron, line 6") && msg.contains("nam"), "{msg}");
    // Content rules apply to RON too, naming the actor.
    let bad = DUMMY_RON.replace("saliences: [20.76, 39.24, 22.21]", "saliences: [60.76, 39.24, 22.21]");
    let msg = parse_ron(&bad, "dummy.ron").unwrap_err().to_string();
    assert!(
        msg.contains("actor 4") && msg.contains("SActor-03") && msg.contains("more than 100"),
        "{msg}"
    );
    let two = Scenario {
        actors: parse_csv(fixtures::DUMMY_CSV, "x").unwrap().actors[..2].to_vec(),
        ..from_csv_scenario()
    };
    assert!(two.validate("code").unwrap_err().to_string().contains("at least 3"));
}

fn from_csv_scenario() -> Scenario {
    parse_csv(fixtures::DUMMY_CSV, "dummy.csv").unwrap()
}

#[test]
fn ktab_csv_writer_round_trips() {
    for csv in [fixtures::DUMMY_CSV, fixtures::SOE_CSV] {
        let s = parse_csv(csv, "in.csv").unwrap();
        let again = parse_csv(&s.to_ktab_csv(), "out.csv").unwrap();
        assert_eq!(again.actors, s.actors);
        assert_eq!(again.dimensions, s.dimensions);
        assert_eq!((again.name, again.description), (s.name, s.description));
    }
}
