//! `greatgame compare` and `greatgame explain` as a user runs them.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

fn compare(out: &Path, extra: &[&str]) -> std::process::Output {
    gg().args(["compare", "--trials", "80", "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("runs")
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The built-in scenario plus a policy that sets nothing of its own: it
/// follows `status_quo` in every lever, so under common random numbers it must
/// give exactly the baseline's values in every trial.
fn scenario_with_copy(dir: &Path) -> PathBuf {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/afghanistan.ron")).unwrap();
    let copy = r#"policies: [
    (id: "sq_copy", label: "Copy of the status quo", author: "test", source_file: "none", date: "2026",
     summary: "Follows status_quo in every lever.", inherits: "status_quo",
     rules: [(lever: "oth_strikes", value: "restrained", passage: "same as status_quo")]),
"#;
    assert!(text.contains("policies: [\n"));
    let path = dir.join("with_copy.ron");
    fs::write(&path, text.replacen("policies: [\n", copy, 1)).unwrap();
    path
}

#[test]
fn compare_writes_every_output_with_exact_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let o = compare(
        &out,
        &[
            "--all",
            "--satisfice",
            "isisk_attacks_afghanistan<=20,gdp_index_2030>=0.9",
        ],
    );
    ok(&o);
    for f in [
        "comparison.csv",
        "comparison.md",
        "comparison.json",
        "robustness.csv",
        "policies.csv",
        "explain.csv",
        "manifest.json",
        "report.html",
        "charts/scorecard.png",
        "charts/scorecard.svg",
        "charts/explain_actions_marcellus_2023_realist.png",
        "charts/dist_gdp_index_2030.png",
        "charts/prob_attack_west_isisk.png",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let mut rd = csv::Reader::from_path(out.join("comparison.csv")).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "policy",
            "outcome",
            "baseline_mean",
            "policy_mean",
            "diff_mean",
            "diff_lo95",
            "diff_hi95",
            "p_better"
        ]
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("comparison.json")).unwrap()).unwrap();
    let n_outcomes = json["rows"].as_array().unwrap().len() / 5;
    assert_eq!(rows.len(), 5 * n_outcomes, "five policies against status_quo");
    assert!(rows.iter().all(|r| &r[0] != "status_quo"));
    for r in &rows {
        let f = |i: usize| r[i].parse::<f64>().unwrap();
        let (b, p, d, lo, hi) = (f(2), f(3), f(4), f(5), f(6));
        assert!((p - b - d).abs() < 1e-6 * (1.0 + b.abs() + p.abs()), "{r:?}");
        assert!(lo <= d && d <= hi, "{r:?}");
        if !r[7].is_empty() {
            assert!((0.0..=1.0).contains(&f(7)), "{r:?}");
        }
    }
    let m = &json["manifest"];
    assert_eq!(m["trials"], 80);
    assert_eq!(m["complete"], true);
    // Started from the known present (docs/present.md), named by the facts' hash.
    assert!(
        m["design"]
            .as_str()
            .unwrap()
            .starts_with("paired_monte_carlo, anchored="),
        "{}",
        m["design"]
    );
    // Provenance: every policy's author, full citation and date.
    let md = fs::read_to_string(out.join("comparison.md")).unwrap();
    for p in json["policies"].as_array().unwrap() {
        for k in ["author", "citation", "date"] {
            let v = p[k].as_str().unwrap();
            assert!(!v.is_empty() && md.contains(v), "comparison.md lacks {k} {v}");
        }
    }
    assert!(md.contains("Maheen Safian") && md.contains("https://jqas.org/") && md.contains("Ranking by satisficing"));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("data:image/png;base64,"));
    assert!(html.contains("Provenance") && html.contains("Scorecard") && html.contains("Robustness"));
    assert!(html.contains("not forecasts"));
    for external in ["<script", "<link", "src=\"http", "url(http", "@import"] {
        assert!(
            !html.contains(external),
            "report.html is not self-contained: {external}"
        );
    }
}

#[test]
fn common_random_numbers_give_exact_zero_against_an_identical_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = scenario_with_copy(tmp.path());
    let out = tmp.path().join("crn");
    let o = gg()
        .arg("compare")
        .arg(&scen)
        .args([
            "--trials",
            "60",
            "--quiet",
            "--no-charts",
            "--policies",
            "sq_copy,status_quo",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    ok(&o);
    let mut rd = csv::Reader::from_path(out.join("comparison.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert!(rows.iter().any(|r| &r[0] == "sq_copy") && rows.iter().any(|r| &r[0] == "status_quo"));
    // Outcomes that are 0/1 per trial get Tango's score interval, which with no
    // disagreeing trial is ±z²/(n + z²) rather than [0, 0].
    let z2 = 1.959_963_984_540_054_f64.powi(2);
    let score_half_width = z2 / (60.0 + z2);
    let mut score_rows = 0;
    for r in &rows {
        assert_eq!(&r[2], &r[3], "baseline and policy means differ: {r:?}");
        assert_eq!(&r[4], "0", "{r:?}");
        if &r[5] == "0" {
            assert_eq!(&r[6], "0", "{r:?}");
        } else {
            let (lo, hi): (f64, f64) = (r[5].parse().unwrap(), r[6].parse().unwrap());
            assert!(
                (lo + score_half_width).abs() < 1e-9 && (hi - score_half_width).abs() < 1e-9,
                "{r:?}"
            );
            score_rows += 1;
        }
        if !r[7].is_empty() {
            assert_eq!(&r[7], "0", "{r:?}");
        }
    }
    assert!(score_rows > 0, "the probability outcomes should use the score interval");
}

#[test]
fn same_seed_same_comparison_at_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let read = |name: &str, threads: &str, seed: &str| {
        let out = tmp.path().join(name);
        ok(&compare(
            &out,
            &[
                "--no-charts",
                "--threads",
                threads,
                "--seed",
                seed,
                "--satisfice",
                "us_cost<=5",
            ],
        ));
        (
            fs::read(out.join("comparison.csv")).unwrap(),
            fs::read(out.join("robustness.csv")).unwrap(),
            fs::read(out.join("explain.csv")).unwrap(),
        )
    };
    let a = read("t1", "1", "5");
    let b = read("t2", "2", "5");
    assert!(a == b, "results depend on the thread count");
    let c = read("s6", "2", "6");
    assert_ne!(a.0, c.0, "a different seed should change the results");
}

/// `--weights` changes overall regret only: the paired differences are the
/// same, and the report and JSON say which weights were used.
#[test]
fn weights_change_overall_regret_and_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (eq, w) = (tmp.path().join("equal"), tmp.path().join("weighted"));
    ok(&compare(&eq, &["--all", "--no-charts"]));
    ok(&compare(
        &w,
        &["--all", "--no-charts", "--weights", "gdp_index_2030=5,us_cost=0"],
    ));
    let read = |d: &Path, f: &str| fs::read_to_string(d.join(f)).unwrap();
    assert_eq!(read(&eq, "comparison.csv"), read(&w, "comparison.csv"));
    assert_ne!(read(&eq, "robustness.csv"), read(&w, "robustness.csv"));
    let md = read(&w, "comparison.md");
    assert!(md.contains("`gdp_index_2030` 5, `us_cost` 0"), "{md}");
    assert!(md.contains("1 outcome(s) were given weight 0"), "{md}");
    assert!(read(&eq, "comparison.md").contains("**equal weights**"));
    let json: serde_json::Value = serde_json::from_str(&read(&w, "comparison.json")).unwrap();
    let parts = json
        .pointer("/robustness/outcomes_in_overall")
        .expect("outcomes_in_overall in comparison.json");
    let weight_of = |id: &str| {
        parts
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["outcome"] == id)
            .map(|p| p["weight"].as_f64().unwrap())
    };
    assert_eq!(weight_of("gdp_index_2030"), Some(5.0));
    assert_eq!(weight_of("us_cost"), None, "weight 0 leaves the outcome out");
}

#[test]
fn bad_input_is_a_clear_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 9] = [
        (
            &["--satisfice", "isisk_attacks<=20"],
            "did you mean one of `isisk_attacks_afghanistan`, `isisk_attacks_region`",
        ),
        (&["--satisfice", "gdp_index_2030=>0.9"], "not comparisons"),
        (&["--satisfice", "gdp_index_2030>=high"], "not a finite number"),
        (&["--satisfice", "gdp_index_2030 0.9"], "no comparison"),
        (
            &["--policies", "marcelus_2023_realist"],
            "did you mean `marcellus_2023_realist`",
        ),
        (&["--baseline", "status_qo"], "did you mean `status_quo`"),
        (&["--trials", "0"], "--trials"),
        (
            &["--weights", "gdp_index=2"],
            "unknown outcome `gdp_index` in --weights",
        ),
        (&["--weights", "gdp_index_2030=-1"], "not a weight"),
    ];
    for (k, (args, want)) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("bad{k}"));
        let o = compare(&out, args);
        assert!(!o.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "no staging folder left behind"
    );
}

#[test]
fn explain_reports_choices_and_events_with_a_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("why");
    let o = gg()
        .args([
            "explain",
            "--policy",
            "marcellus_2023_realist",
            "--trials",
            "200",
            "--top",
            "6",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("Why: what changes underneath"), "{stdout}");
    for f in [
        "explain.md",
        "explain.csv",
        "comparison.csv",
        "manifest.json",
        "charts/explain_actions_marcellus_2023_realist.png",
        "charts/explain_events_marcellus_2023_realist.svg",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let mut rd = csv::Reader::from_path(out.join("explain.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert!(
        rows.iter()
            .all(|r| &r[0] == "marcellus_2023_realist" && &r[1] == "status_quo")
    );
    assert!(rows.iter().any(|r| &r[2] == "action_share" && &r[5] == "2027"));
    assert!(rows.iter().any(|r| &r[2] == "event_rate_per_year" && &r[5] == "all"));
    // Shares are shares.
    for r in rows.iter().filter(|r| &r[2] == "action_share") {
        let p: f64 = r[7].parse().unwrap();
        assert!((0.0..=1.0).contains(&p), "{r:?}");
    }
    let o = gg()
        .args(["explain", "--policy", "nope", "--trials", "10"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown policy `nope`"));
}

/// Opt-in: render report.html in headless Chromium (Debian's `chromium`) and
/// check a non-blank screenshot. Run with `GREATGAME_BROWSER_TESTS=1`.
#[test]
fn report_renders_in_headless_chromium() {
    if std::env::var_os("GREATGAME_BROWSER_TESTS").is_none() {
        eprintln!("skipped: set GREATGAME_BROWSER_TESTS=1 (needs /usr/bin/chromium)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    ok(&compare(&out, &["--all"]));
    let shot = tmp.path().join("shot.png");
    let status = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1280,2400",
            &format!("--screenshot={}", shot.display()),
        ])
        .arg(format!("file://{}", out.join("report.html").display()))
        .status()
        .expect("chromium runs");
    assert!(status.success());
    let bytes = fs::read(&shot).expect("screenshot written");
    assert!(bytes.len() > 50_000, "screenshot looks blank ({} bytes)", bytes.len());
    if let Ok(keep) = std::env::var("GREATGAME_SCREENSHOT") {
        fs::copy(&shot, keep).unwrap();
    }
}
