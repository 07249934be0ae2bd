//! Chart rendering: every chart kind writes a PNG and an SVG, the PNG decodes
//! at the expected size and is not blank, the SVG carries the caveat and the
//! policy names, output is byte-identical across runs, and degenerate input
//! does not panic.
//!
//! Set `GREATGAME_PLOT_GALLERY=/some/dir` to keep the gallery charts of
//! `gallery_for_visual_review` for looking at.

use std::path::{Path, PathBuf};

use greatgame::plot::*;

const CAVEAT: &str = "Conditional scenarios, not forecasts: outcomes follow from the stated assumptions.";

const POLICIES: [&str; 4] = [
    "Status quo",
    "Conditional engagement",
    "Maximum pressure",
    "Regional compact",
];

fn ctx() -> ChartContext {
    ChartContext {
        scenario: "Afghanistan after the 2021 takeover".to_string(),
        run_label: "10,000 trials, seed 1".to_string(),
        caveat: CAVEAT.to_string(),
    }
}

/// Small deterministic generator (xorshift64*), so the tests need no RNG crate.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Four differently shaped samples: normal, right-skewed, bimodal, discrete.
fn samples(n: usize) -> Vec<Vec<f64>> {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    vec![
        (0..n).map(|_| 120.0 + 25.0 * r.normal()).collect(),
        (0..n).map(|_| 60.0 * (0.6 * r.normal()).exp()).collect(),
        (0..n)
            .map(|_| {
                if r.uniform() < 0.7 {
                    80.0 + 10.0 * r.normal()
                } else {
                    190.0 + 20.0 * r.normal()
                }
            })
            .collect(),
        (0..n).map(|_| (r.uniform() * 6.0).floor() * 30.0 + 40.0).collect(),
    ]
}

fn outcome<'a>(names: &[&'a str], values: &'a [Vec<f64>]) -> OutcomeChart<'a> {
    OutcomeChart {
        id: "isisk_attacks_afghanistan",
        title: "ISIS-K attacks in Afghanistan",
        unit: "attacks per year",
        direction: "lower is better for the US",
        description: "",
        samples: names
            .iter()
            .zip(values)
            .map(|(p, v)| PolicySample { policy: p, values: v })
            .collect(),
    }
}

fn events<'a>(names: &[&'a str]) -> EventChart<'a> {
    let ps = [0.42, 0.18, 0.71, 0.05, 0.33, 0.5, 0.9, 0.01];
    EventChart {
        id: "taliban_split",
        title: "Taliban leadership splits by 2026",
        direction: "for information",
        description: "",
        bars: names
            .iter()
            .zip(ps.iter().cycle())
            .map(|(p, &pr)| EventBar {
                policy: p,
                probability: pr,
                lo95: (pr - 0.04f64).max(0.0),
                hi95: (pr + 0.04f64).min(1.0),
            })
            .collect(),
    }
}

fn fan<'a>(names: &[&'a str]) -> FanChart<'a> {
    let times: Vec<f64> = (0..24).map(|q| 2021.5 + 0.25 * f64::from(q)).collect();
    let policies = names
        .iter()
        .enumerate()
        .map(|(i, p)| PolicyBands {
            policy: p,
            bands: times
                .iter()
                .map(|t| {
                    let s = (t - 2021.5).max(0.0);
                    let m = 40.0 + 3.0 * s * (i as f64 - 1.5) + 5.0 * (s * 1.3).sin();
                    let w = 2.0 + 2.5 * s;
                    [m - 1.6 * w, m - 0.7 * w, m, m + 0.7 * w, m + 1.6 * w]
                })
                .collect(),
        })
        .collect();
    FanChart {
        id: "taliban_cohesion",
        title: "Taliban cohesion index",
        unit: "index (0-100)",
        times,
        decision: 2023.0,
        policies,
    }
}

/// Decode a PNG file, returning (width, height, bytes per pixel, pixels).
fn decode_png(path: &Path) -> (u32, u32, usize, Vec<u8>) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, info.color_type.samples(), buf)
}

/// Variance of the pixel values: a blank (single-colour) image has zero.
fn pixel_variance(pixels: &[u8]) -> f64 {
    let n = pixels.len() as f64;
    let mean = pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / n;
    pixels.iter().map(|&p| (f64::from(p) - mean).powi(2)).sum::<f64>() / n
}

/// The SVG's text as the backend escapes it.
fn svg_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The checks every chart must pass.
fn check_chart(paths: &[PathBuf], dir: &Path, stem: &str, size: (u32, u32), names: &[&str]) {
    let png_path = dir.join(format!("{stem}.png"));
    let svg_path = dir.join(format!("{stem}.svg"));
    assert_eq!(paths, [png_path.clone(), svg_path.clone()]);
    let (w, h, channels, pixels) = decode_png(&png_path);
    assert_eq!((w, h), size, "{stem}.png size");
    assert_eq!(channels, 3, "{stem}.png should be RGB");
    assert!(pixel_variance(&pixels) > 100.0, "{stem}.png looks blank");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<svg"), "{stem}.svg is not an SVG");
    assert!(
        svg.contains(&format!(">\n{}\n</text>", svg_escaped(CAVEAT))),
        "{stem}.svg lacks the visible caveat"
    );
    assert!(svg.contains("<desc>"), "{stem}.svg lacks a description");
    for name in names {
        let esc = svg_escaped(name);
        // Names may be wrapped over several lines, so check word by word, and
        // make sure no name is quoted the way plotters' category axes do it.
        for word in esc.split_whitespace() {
            assert!(svg.contains(word), "{stem}.svg lacks policy name word {word:?}");
        }
        assert!(
            !svg.contains(&format!("&quot;{esc}&quot;")),
            "{stem}.svg quotes {name:?}"
        );
    }
}

/// Where a test writes charts: the gallery directory (`sub` inside
/// `GREATGAME_PLOT_GALLERY`) when set, so they can be looked at, else `tmp`.
fn out_dir(tmp: &tempfile::TempDir, sub: &str) -> PathBuf {
    match std::env::var_os("GREATGAME_PLOT_GALLERY") {
        Some(d) => PathBuf::from(d).join(sub),
        None => tmp.path().to_path_buf(),
    }
}

fn values_of(n: usize) -> Vec<Vec<f64>> {
    samples(n)
}

#[test]
fn distribution_writes_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let values = values_of(2000);
    let paths = draw_distribution(&ctx(), &outcome(&POLICIES, &values), dir.path()).unwrap();
    check_chart(
        &paths,
        dir.path(),
        "dist_isisk_attacks_afghanistan",
        (1200, 700),
        &POLICIES,
    );
    let svg = std::fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains("attacks per year"), "unit missing");
    assert!(svg.contains("lower is better for the US"), "direction missing");
}

#[test]
fn event_probabilities_write_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let paths = draw_event_probabilities(&ctx(), &events(&POLICIES), dir.path()).unwrap();
    check_chart(&paths, dir.path(), "prob_taliban_split", (1200, 700), &POLICIES);
    let svg = std::fs::read_to_string(&paths[1]).unwrap();
    for value in ["0.42", "0.18", "0.71", "0.050"] {
        assert!(
            svg.contains(&format!(">\n{value}\n</text>")),
            "value {value} not printed"
        );
    }
}

#[test]
fn ecdf_writes_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let values = values_of(2000);
    let paths = draw_ecdf(&ctx(), &outcome(&POLICIES, &values), dir.path()).unwrap();
    check_chart(
        &paths,
        dir.path(),
        "ecdf_isisk_attacks_afghanistan",
        (1200, 700),
        &POLICIES,
    );
}

#[test]
fn fan_writes_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let paths = draw_fan(&ctx(), &fan(&POLICIES), dir.path()).unwrap();
    check_chart(
        &paths,
        dir.path(),
        "fan_taliban_cohesion",
        fan_canvas_size(POLICIES.len()),
        &POLICIES,
    );
    assert_eq!(fan_canvas_size(4), (1200, 900));
    let svg = std::fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains(">\ndecision\n</text>"), "decision label missing");
    assert!(svg.contains(">\n2023\n</text>"), "year ticks missing");
}

/// Render every kind into `dir`.
fn render_all(dir: &Path, values: &[Vec<f64>]) -> Vec<PathBuf> {
    let c = ctx();
    let mut out = draw_distribution(&c, &outcome(&POLICIES, values), dir).unwrap();
    out.extend(draw_event_probabilities(&c, &events(&POLICIES), dir).unwrap());
    out.extend(draw_ecdf(&c, &outcome(&POLICIES, values), dir).unwrap());
    out.extend(draw_fan(&c, &fan(&POLICIES), dir).unwrap());
    out
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let values = values_of(3000);
    let pa = render_all(a.path(), &values);
    let pb = render_all(b.path(), &values);
    assert_eq!(pa.len(), 8);
    for (x, y) in pa.iter().zip(&pb) {
        assert_eq!(
            std::fs::read(x).unwrap(),
            std::fs::read(y).unwrap(),
            "{} differs between runs",
            x.display()
        );
    }
}

#[test]
fn degenerate_outcomes_do_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = out_dir(&tmp, "degenerate");
    let dir = dir.as_path();
    let c = ctx();
    let nan = f64::NAN;
    let cases: Vec<(&str, Vec<Vec<f64>>)> = vec![
        ("all_equal", vec![vec![5.0; 100], vec![5.0; 100]]),
        ("all_zero", vec![vec![0.0; 10]]),
        ("empty", vec![vec![], vec![]]),
        ("one_empty", vec![vec![1.0, 2.0, 3.0], vec![]]),
        ("single_value", vec![vec![42.0]]),
        ("two_values", vec![vec![1.0, 2.0]]),
        (
            "nan_mixed",
            vec![vec![1.0, nan, 3.0, f64::INFINITY, 2.0, f64::NEG_INFINITY], vec![nan; 5]],
        ),
        ("all_nan", vec![vec![nan; 10], vec![f64::INFINITY; 3]]),
        ("huge", vec![vec![-1e308, 1e308, 0.0], vec![f64::MAX; 4]]),
        ("tiny_spread", vec![vec![1.0, 1.0 + 1e-15, 1.0 + 2e-15]]),
        ("outlier", vec![[vec![0.0; 999], vec![1e6]].concat()]),
    ];
    for (id, values) in &cases {
        let names: Vec<&str> = (0..values.len()).map(|i| ["Alpha", "Beta"][i]).collect();
        let mut chart = outcome(&names, values);
        chart.id = id;
        for paths in [
            draw_distribution(&c, &chart, dir).unwrap(),
            draw_ecdf(&c, &chart, dir).unwrap(),
        ] {
            let (w, h, _, pixels) = decode_png(&paths[0]);
            assert_eq!((w, h), (1200, 700));
            assert!(pixel_variance(&pixels) > 10.0, "{id}: blank");
            let svg = std::fs::read_to_string(&paths[1]).unwrap();
            assert!(svg.contains(CAVEAT), "{id}: caveat missing");
        }
    }
    // No policies at all: a chart with a note, not an error.
    let empty = outcome(&[], &[]);
    let paths = draw_distribution(&c, &empty, dir).unwrap();
    assert!(
        std::fs::read_to_string(&paths[1])
            .unwrap()
            .contains("No policies to show.")
    );
    let paths = draw_ecdf(&c, &empty, dir).unwrap();
    assert!(
        std::fs::read_to_string(&paths[1])
            .unwrap()
            .contains("No policies to show.")
    );
    // All values unusable: a "no data" note.
    let bad = vec![vec![nan; 3]];
    let paths = draw_distribution(&c, &outcome(&["Alpha"], &bad), dir).unwrap();
    assert!(std::fs::read_to_string(&paths[1]).unwrap().contains("No data"));
}

#[test]
fn degenerate_events_do_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = out_dir(&tmp, "degenerate");
    let dir = dir.as_path();
    let c = ctx();
    let nan = f64::NAN;
    let bar = |policy, probability, lo95, hi95| EventBar {
        policy,
        probability,
        lo95,
        hi95,
    };
    let cases = vec![
        ("none", vec![]),
        ("single", vec![bar("Alpha", 0.3, 0.2, 0.4)]),
        ("zeros", vec![bar("Alpha", 0.0, 0.0, 0.0), bar("Beta", 0.0, 0.0, 0.0)]),
        ("ones", vec![bar("Alpha", 1.0, 1.0, 1.0)]),
        ("nan", vec![bar("Alpha", nan, nan, nan), bar("Beta", 0.2, nan, 0.3)]),
        (
            "out_of_range",
            vec![
                bar("Alpha", 1.7, 0.9, -0.2),
                bar("Beta", -0.5, f64::NEG_INFINITY, f64::INFINITY),
            ],
        ),
    ];
    for (id, bars) in cases {
        let chart = EventChart {
            id,
            title: "Event",
            direction: "",
            description: "",
            bars,
        };
        let paths = draw_event_probabilities(&c, &chart, dir).unwrap();
        let (w, h, _, pixels) = decode_png(&paths[0]);
        assert_eq!((w, h), (1200, 700));
        assert!(pixel_variance(&pixels) > 10.0, "{id}: blank");
    }
}

/// (id, times, bands per policy)
type FanCase = (&'static str, Vec<f64>, Vec<Vec<[f64; 5]>>);

#[test]
fn degenerate_fans_do_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = out_dir(&tmp, "degenerate");
    let dir = dir.as_path();
    let c = ctx();
    let nan = f64::NAN;
    let band = |v: f64| [v - 2.0, v - 1.0, v, v + 1.0, v + 2.0];
    let cases: Vec<FanCase> = vec![
        ("no_policies", vec![2021.0, 2022.0], vec![]),
        ("no_times", vec![], vec![vec![]]),
        ("single_turn", vec![2022.0], vec![vec![band(3.0)]]),
        ("flat", vec![2021.0, 2022.0, 2023.0], vec![vec![[1.0; 5]; 3]]),
        (
            "nan_gap",
            vec![2021.0, 2021.5, 2022.0, 2022.5, 2023.0],
            vec![vec![band(1.0), [nan; 5], band(2.0), band(3.0), band(f64::INFINITY)]],
        ),
        (
            "nan_times",
            vec![nan, 2022.0, 2023.0],
            vec![vec![band(1.0), band(2.0), band(3.0)]],
        ),
        (
            "short_bands",
            vec![2021.0, 2022.0, 2023.0],
            vec![vec![band(1.0)], vec![band(1.0), band(2.0), band(3.0), band(4.0)]],
        ),
        (
            "unsorted",
            vec![2023.0, 2021.0, 2022.0],
            vec![vec![band(3.0), band(1.0), band(2.0)]],
        ),
        ("all_nan", vec![2021.0, 2022.0], vec![vec![[nan; 5]; 2], vec![]]),
    ];
    for (id, times, bands) in &cases {
        let names = ["Alpha", "Beta", "Gamma"];
        let chart = FanChart {
            id,
            title: "State variable",
            unit: "",
            times: times.clone(),
            decision: if *id == "flat" { nan } else { 2022.0 },
            policies: bands
                .iter()
                .zip(names)
                .map(|(b, p)| PolicyBands {
                    policy: p,
                    bands: b.clone(),
                })
                .collect(),
        };
        let paths = draw_fan(&c, &chart, dir).unwrap();
        let (w, h, _, pixels) = decode_png(&paths[0]);
        assert_eq!((w, h), fan_canvas_size(bands.len()), "{id}");
        assert!(pixel_variance(&pixels) > 10.0, "{id}: blank");
    }
}

#[test]
fn missing_context_text_still_carries_a_caveat() {
    let dir = tempfile::tempdir().unwrap();
    let c = ChartContext {
        scenario: String::new(),
        run_label: String::new(),
        caveat: "  ".to_string(),
    };
    let values = values_of(100);
    let paths = draw_distribution(&c, &outcome(&POLICIES, &values), dir.path()).unwrap();
    let svg = std::fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains("Conditional scenarios, not forecasts"));
}

#[test]
fn ids_cannot_escape_the_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let values = values_of(50);
    let mut chart = outcome(&POLICIES[..1], &values);
    chart.id = "../../escape";
    let paths = draw_distribution(&ctx(), &chart, dir.path()).unwrap();
    for p in &paths {
        assert_eq!(p.parent(), Some(dir.path()));
        assert!(p.exists());
    }
}

/// Eight policies with long names and a long caveat: the layout must wrap,
/// not panic. With `GREATGAME_PLOT_GALLERY` set, the charts are kept there for
/// looking at.
#[test]
fn gallery_for_visual_review() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = out_dir(&tmp, "");
    let c = ChartContext {
        caveat: format!(
            "{CAVEAT} Probabilities are shares of simulated trials under one set of assumptions; they are not predictions and should not be quoted without the assumptions."
        ),
        ..ctx()
    };
    let names = [
        "Status quo",
        "Conditional engagement with humanitarian carve-outs",
        "Maximum pressure",
        "Regional compact (Pakistan, Iran, Central Asia)",
        "Counter-terrorism only",
        "Recognition in exchange for girls' education",
        "Sanctions relief",
        "Withdrawal of all assistance and full disengagement from the region",
    ];
    let mut values = values_of(10_000);
    values.extend(
        values_of(10_000)
            .into_iter()
            .map(|v| v.into_iter().map(|x| x * 0.8 + 20.0).collect::<Vec<_>>()),
    );
    values[5][17] = f64::NAN;
    let paths = [
        draw_distribution(&c, &outcome(&names[..4], &values[..4]), &dir).unwrap(),
        draw_distribution(&c, &outcome(&names, &values), &dir.join("eight")).unwrap(),
        draw_event_probabilities(&c, &events(&names[..4]), &dir).unwrap(),
        draw_event_probabilities(&c, &events(&names), &dir.join("eight")).unwrap(),
        draw_ecdf(&c, &outcome(&names[..4], &values[..4]), &dir).unwrap(),
        draw_ecdf(&c, &outcome(&names, &values), &dir.join("eight")).unwrap(),
        draw_fan(&c, &fan(&names[..4]), &dir).unwrap(),
        draw_fan(&c, &fan(&names), &dir.join("eight")).unwrap(),
        draw_fan(&c, &fan(&names[..3]), &dir.join("three")).unwrap(),
    ];
    for p in paths.iter().flatten() {
        assert!(p.exists());
    }
}
