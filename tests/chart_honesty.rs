//! Charts that do not mislead (issue 13 point 5): long tails are cut off the
//! axis and counted, small counts are bars, coinciding ECDF lines are named,
//! event titles carry their window, the scorecard prints plain numbers, and
//! policy names wrap only between their words.

use std::path::Path;

use assert_cmd::Command;
use greatgame::plot::scorecard::{Cell, Scorecard, ScorecardRow, draw_scorecard};
use greatgame::plot::*;

fn ctx() -> ChartContext {
    ChartContext {
        scenario: "Test scenario".into(),
        run_label: "2,000 trials, seed 1".into(),
        caveat: "Conditional scenarios, not forecasts.".into(),
    }
}

/// The text nodes of an SVG written by plotters (`>\ntext\n</text>`).
fn texts(svg: &str) -> Vec<String> {
    svg.split("</text>")
        .filter_map(|chunk| chunk.rsplit_once('>').map(|(_, t)| t.trim().to_string()))
        .filter(|t| !t.is_empty())
        .collect()
}

fn read_svg(dir: &Path, stem: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap()
}

/// Deterministic pseudo-random numbers in (0, 1).
fn uniform(n: usize, seed: u64) -> Vec<f64> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        })
        .collect()
}

/// Like `returns_from_pakistan`: a tight body near 3.75 and 2% of trials in a
/// tail down to 0.7.
fn long_tail(seed: u64) -> Vec<f64> {
    uniform(2000, seed)
        .into_iter()
        .enumerate()
        .map(|(k, u)| if k % 50 == 0 { 0.7 + 2.5 * u } else { 3.65 + 0.2 * u })
        .collect()
}

fn chart<'a>(id: &'a str, names: &[&'a str], values: &'a [Vec<f64>]) -> OutcomeChart<'a> {
    OutcomeChart {
        id,
        title: "Returns from Pakistan",
        unit: "million people",
        direction: "for information",
        description: "One return = one person returning, as UNHCR counts them",
        samples: names
            .iter()
            .zip(values)
            .map(|(p, v)| PolicySample { policy: p, values: v })
            .collect(),
    }
}

#[test]
fn long_tails_are_cut_and_counted_on_the_chart() {
    let values = vec![long_tail(1), long_tail(2)];
    let c = chart("returns", &["status_quo", "other"], &values);
    let layout = distribution_layout(&c.samples).unwrap();
    assert_eq!(layout.kind, DistributionKind::Violins);
    assert!(layout.cut_low && !layout.cut_high, "{layout:?}");
    assert!(layout.shown.0 > 3.6, "the body is shown: {layout:?}");
    assert!((layout.share_below - 0.02).abs() < 0.005, "{layout:?}");
    let dir = tempfile::tempdir().unwrap();
    draw_distribution(&ctx(), &c, dir.path()).unwrap();
    draw_ecdf(&ctx(), &c, dir.path()).unwrap();
    for stem in ["dist_returns", "ecdf_returns"] {
        let all = texts(&read_svg(dir.path(), stem)).join(" ");
        assert!(
            all.contains("Axis cut to show the body: 2% of all trials lie below 3.65"),
            "{stem}: {all}"
        );
        assert!(all.contains("(down to 0.7"), "{stem}: {all}");
        assert!(all.contains("One return = one person"), "{stem} lacks the description");
    }
    // Each policy's share beyond the cut is marked.
    let dist = texts(&read_svg(dir.path(), "dist_returns"));
    assert_eq!(dist.iter().filter(|t| t.as_str() == "2% below").count(), 2, "{dist:?}");
}

#[test]
fn compact_distributions_are_not_cut() {
    let values: Vec<Vec<f64>> = vec![uniform(2000, 3).iter().map(|u| 10.0 + u).collect()];
    let c = chart("plain", &["a"], &values);
    let layout = distribution_layout(&c.samples).unwrap();
    assert!(!layout.cut_low && !layout.cut_high, "{layout:?}");
    assert_eq!(layout.shown, layout.data_range);
}

/// A policy whose whole distribution sits far from the others' keeps its
/// body on the axis (fences are per policy, not pooled).
#[test]
fn a_policy_apart_from_the_others_is_not_cut_off() {
    let near: Vec<f64> = uniform(2000, 4).iter().map(|u| 1.0 + u).collect();
    let far: Vec<f64> = uniform(2000, 5).iter().map(|u| 100.0 + u).collect();
    let values = vec![near.clone(), near, far];
    let c = chart("apart", &["a", "b", "c"], &values);
    let layout = distribution_layout(&c.samples).unwrap();
    assert!(!layout.cut_high && layout.shown.1 > 100.9, "{layout:?}");
}

#[test]
fn small_counts_are_drawn_as_bars_of_shares() {
    // Like `states_recognizing`: 0..=6, mostly 0 or 1.
    let counts = |seed| -> Vec<f64> {
        uniform(2000, seed)
            .into_iter()
            .map(|u| (-(1.0 - u).ln() * 0.8).floor().min(6.0))
            .collect()
    };
    let values = vec![counts(6), counts(7)];
    let mut c = chart("states", &["status_quo", "other"], &values);
    c.title = "States recognizing";
    let layout = distribution_layout(&c.samples).unwrap();
    assert_eq!(layout.kind, DistributionKind::Counts);
    assert!(
        !layout.cut_low && !layout.cut_high,
        "counts keep every value: {layout:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    draw_distribution(&ctx(), &c, dir.path()).unwrap();
    let svg = read_svg(dir.path(), "dist_states");
    let all = texts(&svg);
    assert!(
        all.iter()
            .any(|t| t.starts_with("Bars: share of trials with each value")),
        "{all:?}"
    );
    // The shares are printed, e.g. the share of zeros (about 71%).
    let zeros = values[0].iter().filter(|v| **v == 0.0).count() as f64 / 2000.0;
    let printed = greatgame::numfmt::percent(zeros);
    assert!(all.contains(&printed), "share of zeros {printed} not printed: {all:?}");
    // No violin: the violin key is absent.
    assert!(!all.iter().any(|t| t.starts_with("Shape: spread")));
}

#[test]
fn continuous_samples_stay_violins() {
    let values = vec![uniform(50, 8), uniform(50, 9)];
    let c = chart("few", &["a", "b"], &values);
    assert_eq!(distribution_layout(&c.samples).unwrap().kind, DistributionKind::Violins);
    // Whole numbers with too many distinct values are violins too.
    let wide: Vec<Vec<f64>> = vec![uniform(2000, 10).iter().map(|u| (u * 500.0).floor()).collect()];
    let c = chart("wide", &["a"], &wide);
    assert_eq!(distribution_layout(&c.samples).unwrap().kind, DistributionKind::Violins);
}

#[test]
fn coinciding_ecdf_lines_are_named_on_the_chart() {
    let a = uniform(1000, 11);
    let b: Vec<f64> = uniform(1000, 12).iter().map(|u| u + 2.0).collect();
    // `c` is `a` in another order: the same distribution.
    let mut c_vals = a.clone();
    c_vals.reverse();
    let values = vec![a, b, c_vals];
    let c = chart(
        "cov",
        &["status_quo", "justsecurity_2022_liaison", "rubin_regional_realism"],
        &values,
    );
    assert_eq!(
        coinciding(&c.samples).iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
        vec![(2, 0)]
    );
    let dir = tempfile::tempdir().unwrap();
    draw_ecdf(&ctx(), &c, dir.path()).unwrap();
    let all = texts(&read_svg(dir.path(), "ecdf_cov")).join(" ");
    assert!(
        all.contains("rubin_regional_realism coincides with status_quo (identical distributions)"),
        "{all}"
    );
    assert!(all.contains("coincides with status_quo"), "{all}");
    // Distinct curves produce no note.
    let values = vec![uniform(1000, 13), uniform(1000, 14).iter().map(|u| u + 0.5).collect()];
    let c = chart("apart", &["a", "b"], &values);
    assert!(coinciding(&c.samples).is_empty());
}

#[test]
fn dash_patterns_differ_per_policy() {
    use greatgame::plot::render::{DASHES, dash_pieces, policy_colour, policy_dash};
    for i in 0..DASHES.len() {
        for j in 0..i {
            assert_ne!(
                policy_dash(i),
                policy_dash(j),
                "policies {i} and {j} share a dash pattern"
            );
        }
    }
    // Up to six policies, no two share a colour, and never two blues.
    let blues = [(0x00, 0x72, 0xB2), (0x56, 0xB4, 0xE9)];
    let first6: Vec<_> = (0..6).map(policy_colour).map(|c| (c.0, c.1, c.2)).collect();
    assert!(blues.iter().filter(|b| first6.contains(b)).count() <= 1, "{first6:?}");
    // A dash pattern runs along the whole line: 100 px of [14 on, 6 off]
    // gives five dashes.
    let pieces = dash_pieces(&[(0, 0), (50, 0), (100, 0)], &[14.0, 6.0]);
    assert_eq!(pieces.len(), 5, "{pieces:?}");
    assert_eq!(pieces[0], vec![(0, 0), (14, 0)]);
    assert_eq!(dash_pieces(&[(0, 0), (100, 0)], &[]), vec![vec![(0, 0), (100, 0)]]);
}

#[test]
fn long_policy_names_wrap_only_between_words() {
    let names = [
        "status_quo",
        "rubin_regional_realism",
        "justsecurity_2022_liaison",
        "justsecurity_2021_containment",
        "marcellus_2023_realist",
        "fairobserver_2025_reengage",
    ];
    let values: Vec<Vec<f64>> = (0..6).map(|k| uniform(500, 20 + k)).collect();
    let c = chart("names", &names, &values);
    let dir = tempfile::tempdir().unwrap();
    draw_distribution(&ctx(), &c, dir.path()).unwrap();
    draw_ecdf(&ctx(), &c, dir.path()).unwrap();
    draw_scorecard(&ctx(), &scorecard(&names[1..], 0.001), dir.path()).unwrap();
    for stem in ["dist_names", "ecdf_names", "scorecard"] {
        let all = texts(&read_svg(dir.path(), stem));
        for name in &names {
            for t in all.iter().filter(|t| t.len() >= 3 && name.contains(t.as_str())) {
                let at = name.find(t.as_str()).unwrap();
                let end = at + t.len();
                assert!(
                    (at == 0 || name.as_bytes()[at - 1] == b'_') && (end == name.len() || t.ends_with('_')),
                    "{stem}: `{name}` broken mid-word as `{t}`"
                );
            }
        }
        assert!(all.iter().any(|t| t.ends_with("containment")), "{stem}: {all:?}");
    }
}

/// A scorecard of `policies` with noise-sized, tiny and ordinary differences.
fn scorecard(policies: &[&str], scale: f64) -> Scorecard {
    let cell = |diff: f64, lo: f64, hi: f64| Cell {
        diff,
        lo95: lo,
        hi95: hi,
        oriented_sd: Some(diff / scale),
        distinguishable: lo > 0.0 || hi < 0.0,
        holm: false,
    };
    let rows = vec![
        ScorecardRow {
            label: "Pakistan formally recognizes the Taliban".into(),
            note: "probability, 2021-2030 · for information".into(),
            percent_points: true,
            scale: 0.3,
            cells: policies.iter().map(|_| cell(2.57e-20, -0.005, 0.005)).collect(),
        },
        ScorecardRow {
            label: "Afghan real GDP at end-2030".into(),
            note: "index, 2020 = 1 · higher is better".into(),
            percent_points: false,
            scale,
            cells: policies
                .iter()
                .map(|_| cell(-7.48e-4, -3.84e-4 * 3.0, -3.84e-4))
                .collect(),
        },
        ScorecardRow {
            label: "Settled international position on sanctions relief (average of rounds), a long label".into(),
            note: "0-1 (1 = sanctions lifted) · for information".into(),
            percent_points: false,
            scale,
            cells: policies.iter().map(|_| cell(1234.4, 1200.0, 1270.0)).collect(),
        },
    ];
    Scorecard {
        title: "Scorecard".into(),
        baseline: "status_quo".into(),
        policies: policies.iter().map(|p| p.to_string()).collect(),
        rows,
        provenance: vec!["status_quo — the record".into()],
    }
}

/// No number on the scorecard is in scientific notation.
fn assert_no_exponent(all: &[String], what: &str) {
    for t in all {
        let b = t.as_bytes();
        for k in 1..b.len().saturating_sub(1) {
            assert!(
                !(b[k] == b'e' && b[k - 1].is_ascii_digit() && (b[k + 1] == b'-' || b[k + 1] == b'+')),
                "{what}: `{t}` is in scientific notation"
            );
        }
    }
}

#[test]
fn scorecard_numbers_are_plain_and_labels_fit() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["justsecurity_2021_containment", "fairobserver_2025_reengage"];
    draw_scorecard(&ctx(), &scorecard(&names, 0.05), dir.path()).unwrap();
    let all = texts(&read_svg(dir.path(), "scorecard"));
    assert_no_exponent(&all, "scorecard");
    for want in [
        "0 pp",
        "[-0.500, +0.500]",
        "-0.00075",
        "[-0.00115, -0.00038]",
        "+1,234",
        "[+1,200, +1,270]",
    ] {
        assert!(all.iter().any(|t| t == want), "`{want}` not printed: {all:?}");
    }
    // The long row label is printed whole (wrapped), not cut with an ellipsis.
    let joined = all.join(" ");
    assert!(
        joined.contains("Settled international position on sanctions relief"),
        "{joined}"
    );
    assert!(joined.contains("a long label"), "row label cut: {joined}");
    assert!(!all.iter().any(|t| t.starts_with("Settled") && t.ends_with('…')));
}

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

/// As a user runs it: event charts name their window, taken from the
/// outcome's definition (recognition from the takeover, other events from
/// the decision date), and the comparison's scorecard prints no exponent.
#[test]
fn cli_charts_carry_windows_and_plain_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let o = gg()
        .args(["run", "--trials", "40", "--quiet", "--out"])
        .arg(&run)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let charts = run.join("charts");
    assert_eq!(
        title_of(&charts, "prob_recognition_by_russia"),
        "Russia formally recognizes the Taliban, 2021Q3–2030"
    );
    assert_eq!(
        title_of(&charts, "prob_attack_west_isisk"),
        "Mass-casualty ISIS-K attack on the US or allies, 2026–2030"
    );
    // Counts say what one unit is, on the chart and in `list`.
    let strikes = texts(&read_svg(&charts, "dist_us_strikes")).join(" ");
    assert!(
        strikes.contains("One strike = one quarter in which the US chose"),
        "{strikes}"
    );
    let list = gg().arg("list").output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("measures: One attack = one ACLED-like event involving ISKP"),
        "{list}"
    );

    let cmp = tmp.path().join("cmp");
    let o = gg()
        .args(["compare", "--all", "--trials", "60", "--quiet", "--out"])
        .arg(&cmp)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let all = texts(&read_svg(&cmp.join("charts"), "scorecard"));
    assert_no_exponent(&all, "scorecard.svg");
    assert_eq!(
        title_of(&cmp.join("charts"), "prob_recognition_by_china"),
        "China formally recognizes the Taliban, 2021Q3–2030"
    );
    let md = std::fs::read_to_string(cmp.join("comparison.md")).unwrap();
    assert_no_exponent(
        &md.split_whitespace().map(str::to_string).collect::<Vec<_>>(),
        "comparison.md",
    );
}

fn title_of(dir: &Path, stem: &str) -> String {
    let svg = read_svg(dir, stem);
    let start = svg.find("<title>").unwrap() + 7;
    svg[start..start + svg[start..].find("</title>").unwrap()].to_string()
}
