//! The exploration commands as a user runs them: `sweep`, `sensitivity`, `discover`.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

fn run(args: &[&str], out: &Path) -> std::process::Output {
    gg().args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn header(p: &Path) -> Vec<String> {
    read(p).lines().next().unwrap().split(',').map(String::from).collect()
}

/// Nothing but the given entries in `dir` (no output folder, no staging leftovers).
fn only(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, names, "unexpected files");
}

#[test]
fn sweep_writes_tidy_rows_summary_charts_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sw");
    let o = run(
        &[
            "sweep",
            "--lever",
            "recognition=none,formal",
            "--lever",
            "sanctions_relief=0:1:3",
            "--design",
            "lhs",
            "--samples",
            "4",
            "--replications",
            "2",
            "--outcome",
            "gdp_index_2030",
            "--outcome",
            "regime_collapse",
        ],
        &out,
    );
    ok(&o);
    let h = header(&out.join("experiments.csv"));
    assert_eq!(
        &h[..7],
        [
            "experiment",
            "point",
            "replication",
            "trial",
            "policy",
            "recognition",
            "sanctions_relief"
        ]
    );
    assert!(h.contains(&"isisk_recruitment".to_string()) && h.contains(&"gdp_index_2030".to_string()));
    let text = read(&out.join("experiments.csv"));
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 6 * 4 * 2);
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(r[0], k.to_string(), "experiments in order");
        // Common random numbers: the six lever settings of one (point,
        // replication) share the trial and the uncertainty values.
        let first = &rows[k - k % 6];
        assert_eq!(r[1..4], first[1..4]);
        let params = h.iter().position(|c| c == "attack_west_isisk").unwrap() - 7;
        assert!(params >= 12);
        assert_eq!(r[7..7 + params], first[7..7 + params]);
    }
    assert_eq!(rows[5][5..7], ["formal", "1"]);
    assert_eq!(rows[1][5..7], ["none", "0.5"]);
    let s = header(&out.join("summary.csv"));
    assert_eq!(
        s,
        [
            "policy",
            "recognition",
            "sanctions_relief",
            "outcome",
            "n",
            "mean",
            "sd",
            "p05",
            "p25",
            "p50",
            "p75",
            "p95"
        ]
    );
    assert_eq!(read(&out.join("summary.csv")).lines().count(), 1 + 6 * 2);
    for f in [
        "sweep_sanctions_relief_gdp_index_2030.png",
        "sweep_recognition_regime_collapse.svg",
        "heatmap_gdp_index_2030.png",
    ] {
        assert!(out.join("charts").join(f).is_file(), "missing {f}");
    }
    let m: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(m["complete"], true);
    assert_eq!(m["trials"], 48);
    assert_eq!(m["design_details"]["combinations"], 6);
}

#[test]
fn same_seed_same_files_at_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &[
                "sweep",
                "--lever",
                "oth_strikes=none,active",
                "--samples",
                "6",
                "--no-charts",
            ],
            &["experiments.csv", "summary.csv"],
        ),
        (
            &[
                "sensitivity",
                "--samples",
                "4",
                "--outcome",
                "gdp_index_2030",
                "--no-charts",
            ],
            &["runs.csv", "indices.csv", "sensitivity.md"],
        ),
        (
            &[
                "sensitivity",
                "--method",
                "morris",
                "--samples",
                "3",
                "--outcome",
                "gdp_index_2030",
                "--no-charts",
            ],
            &["runs.csv", "indices.csv"],
        ),
        (
            &[
                "discover",
                "--where",
                "pak_afg_war>=1",
                "--samples",
                "60",
                "--no-charts",
            ],
            &[
                "experiments.csv",
                "prim_trajectory.csv",
                "prim_box.csv",
                "cart_leaves.csv",
                "discover.md",
            ],
        ),
    ];
    for (k, (args, files)) in cases.iter().enumerate() {
        let a = tmp.path().join(format!("a{k}"));
        let b = tmp.path().join(format!("b{k}"));
        let mut one = args.to_vec();
        one.extend(["--threads", "1"]);
        let mut two = args.to_vec();
        two.extend(["--threads", "2"]);
        ok(&run(&one, &a));
        ok(&run(&two, &b));
        for f in *files {
            assert_eq!(read(&a.join(f)), read(&b.join(f)), "{args:?}: {f} differs");
        }
    }
}

#[test]
fn sensitivity_writes_indices_and_tornado() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("se");
    ok(&run(
        &[
            "sensitivity",
            "--samples",
            "8",
            "--outcome",
            "isisk_attacks_afghanistan",
            "--bootstrap",
            "50",
        ],
        &out,
    ));
    assert_eq!(
        header(&out.join("indices.csv")),
        [
            "outcome",
            "uncertainty",
            "S1",
            "S1_lo95",
            "S1_hi95",
            "ST",
            "ST_lo95",
            "ST_hi95",
            "variance",
            "n"
        ]
    );
    // One row per uncertainty for the one outcome.
    let n_params = read(&out.join("indices.csv")).lines().count() - 1;
    let h = header(&out.join("runs.csv"));
    assert_eq!(
        h[4 + n_params],
        "attack_west_isisk",
        "uncertainty columns, then outcome columns"
    );
    assert_eq!(read(&out.join("runs.csv")).lines().count(), 1 + 8 * (n_params + 2));
    assert!(out.join("charts/tornado_isisk_attacks_afghanistan.png").is_file());
    let morris = tmp.path().join("mo");
    ok(&run(
        &[
            "sensitivity",
            "--method",
            "morris",
            "--samples",
            "4",
            "--outcome",
            "gdp_index_2030",
        ],
        &morris,
    ));
    assert_eq!(
        header(&morris.join("indices.csv")),
        [
            "outcome",
            "uncertainty",
            "mu",
            "mu_star",
            "mu_star_lo95",
            "mu_star_hi95",
            "sigma",
            "n"
        ]
    );
    assert!(morris.join("charts/tornado_gdp_index_2030.svg").is_file());
}

#[test]
fn discover_writes_boxes_rules_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("di");
    ok(&run(
        &[
            "discover",
            "--where",
            "pakistan_militant_attacks>700",
            "--samples",
            "200",
        ],
        &out,
    ));
    let h = header(&out.join("experiments.csv"));
    assert_eq!(h.first().map(String::as_str), Some("experiment"));
    assert_eq!(h.last().map(String::as_str), Some("case"));
    assert_eq!(
        header(&out.join("prim_trajectory.csv")),
        [
            "box",
            "coverage",
            "density",
            "mass",
            "n",
            "cases",
            "restricted",
            "rules"
        ]
    );
    assert_eq!(
        header(&out.join("cart_leaves.csv")),
        ["leaf", "n", "cases", "density", "coverage", "rules"]
    );
    let md = read(&out.join("discover.md"));
    assert!(
        md.contains("simplified box") && md.contains("isisk_recruitment"),
        "{md}"
    );
    for f in ["prim_trajectory.png", "prim_box.svg"] {
        assert!(out.join("charts").join(f).is_file(), "missing {f}");
    }
}

#[test]
fn bad_levers_and_conditions_give_clear_errors_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    let cases: [(&[&str], &str); 7] = [
        (&["sweep", "--lever", "recogniton=none"], "did you mean `recognition`"),
        (&["sweep", "--lever", "recognition=none,formel"], "recognition"),
        (&["sweep", "--lever", "sanctions_relief=0:3:4"], "[0, 1]"),
        (
            &["sweep", "--lever", "liaison_offices=maybe"],
            "valid values: true, false",
        ),
        (
            &["discover", "--where", "isisk_atacks_afghanistan>20"],
            "did you mean `isisk_attacks_afghanistan`",
        ),
        (
            &["discover", "--where", "isisk_attacks_afghanistan=20"],
            "no comparison",
        ),
        (&["sensitivity", "--outcome", "gdp"], "unknown outcome `gdp`"),
    ];
    for (args, want) in cases {
        let o = run(args, &out);
        assert!(!o.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        only(tmp.path(), &[]);
    }
    // A --box beyond the trajectory fails after the run; the staging folder is removed.
    let o = run(
        &[
            "discover",
            "--where",
            "pak_afg_war>=1",
            "--samples",
            "30",
            "--box",
            "999",
            "--no-charts",
        ],
        &out,
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--box 999"));
    only(tmp.path(), &[]);
}
