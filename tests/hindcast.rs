//! The hindcast: the status-quo run against the 2021–2023 record.

use assert_cmd::Command;
use greatgame::hindcast::{self, spec};
use greatgame::scenario::load;
use std::fs;

/// Series every version of the record must keep (the record may add more; every
/// series in the record is checked below).
const CORE_SERIES: [&str; 15] = [
    "gdp_index",
    "humanitarian_funding_usd_bn",
    "returns_from_iran_m",
    "returns_from_pakistan_m",
    "pakistan_militant_attacks",
    "isisk_attacks_afghanistan",
    "afghanistan_terror_deaths",
    "formal_recognitions",
    "engagement_settled",
    "engagement_settled_russia",
    "engagement_settled_china",
    "relief_settled",
    "ct_conditions_settled",
    "relief_settled_us",
    "other_donor_funding_usd_bn",
];

/// Every series id in the built-in record, after checking the core ones are there.
fn series_ids() -> Vec<String> {
    let model = load(None).unwrap().model;
    let rec = spec::load(&model, None, None).unwrap();
    let ids: Vec<String> = rec.series.iter().map(|s| s.id.clone()).collect();
    for c in CORE_SERIES {
        assert!(ids.iter().any(|i| i == c), "the record lost the series {c}");
    }
    ids
}

/// A reduced hindcast (2,000 trials): the targets whose model value sits well
/// inside its band at 10,000 trials must pass here too. T4 and T6 sit close to
/// their band edges (see docs/calibration.md) and are checked only for being
/// computed.
#[test]
fn reduced_hindcast_passes_the_stable_targets() {
    let model = load(None).unwrap().model;
    let rec = spec::load(&model, None, None).unwrap();
    let res = hindcast::run(&model, &rec, 2000, 1, 2).unwrap();
    let scored = hindcast::evaluate(&rec, &res);
    assert_eq!(scored.len(), rec.targets.len());
    assert!(scored.len() >= 18, "the record lost targets");
    let stable = [
        "T1",
        "T2",
        "T3",
        "T5",
        "T7",
        "T8",
        "T9",
        "T10",
        "T11",
        "T12",
        "P1",
        "P2",
        "P-no-strike-2021",
        "P-drive-late-2023",
        "B1",
        "B2",
    ];
    for t in &scored {
        for c in &t.checks {
            assert!(c.value.is_finite(), "{}: {} not computed", t.target.id, c.what);
        }
        if stable.contains(&t.target.id.as_str()) {
            assert!(t.pass(), "{} failed: {:?}", t.target.id, t.checks);
        }
    }
    // The direction of T4 and T6 holds even in a small sample.
    let t4 = scored.iter().find(|t| t.target.id == "T4").unwrap();
    assert!(t4.checks[0].value < 0.5, "ISIS-K attacks must fall sharply 2022-2023");
}

#[test]
fn hindcast_is_the_first_years_of_the_run_and_thread_independent() {
    let model = load(None).unwrap().model;
    let rec = spec::load(&model, None, None).unwrap();
    let a = hindcast::run(&model, &rec, 600, 9, 1).unwrap();
    let b = hindcast::run(&model, &rec, 600, 9, 2).unwrap();
    assert_eq!(a.series, b.series);
    assert_eq!(a.occurred, b.occurred);
    // Year-end recognitions never decrease, and event-by-year probabilities are cumulative.
    for g in &a.occurred {
        assert!(g.windows(2).all(|w| w[0] <= w[1]));
    }
}

#[test]
fn cli_writes_every_required_file_and_series() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("hc");
    let o = Command::cargo_bin("greatgame")
        .unwrap()
        .args(["hindcast", "--trials", "300", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = fs::read_to_string(out.join("hindcast.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("year,series,mean,p05,p50,p95"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for year in ["2021", "2022", "2023", "2024", "2025"] {
        for s in &series_ids() {
            let row = rows
                .iter()
                .find(|r| r[0] == year && r[1] == s.as_str())
                .unwrap_or_else(|| panic!("no row for {s} in {year}"));
            let v: Vec<f64> = row[2..].iter().map(|x| x.parse().unwrap()).collect();
            assert!(v.iter().all(|x| x.is_finite() && *x >= 0.0), "{row:?}");
            assert!(v[1] <= v[2] && v[2] <= v[3], "quantiles out of order: {row:?}");
        }
    }
    let ev = fs::read_to_string(out.join("hindcast_events.csv")).unwrap();
    assert!(ev.starts_with("event,by_year,probability\n"));
    for e in [
        "formal_recognition:us",
        "formal_recognition:china",
        "formal_recognition:russia",
        "formal_recognition:pakistan",
        "formal_recognition:india",
        "formal_recognition:iran",
        "regime_collapse",
        "pak_afg_war",
        "iran_afg_war",
        "aq_external_attack",
        "isisk_external_attack_west",
        "delisting:russia",
        "ambassador:china",
        "mission_upgrade:pakistan",
        "mission_upgrade:india",
    ] {
        for y in 2021..=2025 {
            let line = ev
                .lines()
                .find(|l| l.starts_with(&format!("{e},{y},")))
                .unwrap_or_else(|| panic!("no line for {e} {y}"));
            let p: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
            assert!((0.0..=1.0).contains(&p));
        }
    }
    let md = fs::read_to_string(out.join("targets.md")).unwrap();
    let ids = (1..=12)
        .map(|i| format!("T{i}"))
        .chain(["B1".to_string(), "B2".to_string()]);
    for id in ids {
        let line = md
            .lines()
            .find(|l| l.starts_with(&format!("- **{id}**")))
            .unwrap_or_else(|| panic!("no line for {id}"));
        assert!(line.contains("PASS") || line.contains("FAIL"), "{line}");
        assert!(line.contains("band"), "{line}");
    }
    for s in &series_ids() {
        assert!(
            out.join("charts").join(format!("fan_{s}.png")).is_file(),
            "chart for {s}"
        );
    }
    let m: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["design"], "hindcast");
    assert_eq!(m["complete"], true);
    assert_eq!(m["record_sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn a_misspelt_record_names_line_and_suggestion_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = tmp.path().join("mine.ron");
    fs::write(&scen, greatgame::scenario::DEFAULT_SCENARIO).unwrap();
    let bad = spec::DEFAULT_RECORD.replace("Var(var: \"gdp_index\"", "Var(var: \"gdp_indx\"");
    fs::write(tmp.path().join("mine.hindcast.ron"), bad).unwrap();
    let out = tmp.path().join("hc");
    let o = Command::cargo_bin("greatgame")
        .unwrap()
        .args(["hindcast", "--trials", "50", "--quiet", "--out"])
        .arg(&out)
        .arg(&scen)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("mine.hindcast.ron:"), "{err}");
    assert!(err.contains("unknown variable `gdp_indx`"), "{err}");
    assert!(err.contains("did you mean `gdp_index`"), "{err}");
    assert!(!out.exists());
    // A scenario without a record beside it gets a hint.
    fs::remove_file(tmp.path().join("mine.hindcast.ron")).unwrap();
    let o = Command::cargo_bin("greatgame")
        .unwrap()
        .args(["hindcast", "--trials", "50", "--quiet", "--out"])
        .arg(&out)
        .arg(&scen)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--record"));
}
