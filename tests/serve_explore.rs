//! The Explore page over HTTP, against the real binary: a run from the form to its results (the numbers shown
//! are comparison.csv's), one run at a time, refused input answered with a message, the file route confined to
//! the run's folder, and tokens required beside a game.

mod serve_common;

use serve_common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `greatgame serve` without a game, working in `dir` (its `output/` goes there).
struct Alone {
    child: Child,
    base: String,
}

impl Alone {
    fn start(dir: &Path) -> Alone {
        let mut child = Command::new(bin())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut url = None;
        for line in lines.by_ref() {
            if let Some(u) = line.unwrap().strip_prefix("explore: ") {
                url = Some(u.to_string());
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let url = url.expect("serve printed no `explore:` line");
        assert!(url.ends_with("/explore/"), "{url}");
        Alone {
            child,
            base: url.trim_end_matches("/explore/").to_string(),
        }
    }
}

impl Drop for Alone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POST a form that may repeat names; status, `location` header and body.
fn post_form(a: &ureq::Agent, url: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let mut r = a.post(url).send_form(form.iter().copied()).unwrap();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        r.status().as_u16(),
        loc,
        r.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// Poll `progress.json` until the run is done; returns every percentage seen.
fn wait_done(a: &ureq::Agent, run_url: &str, secs: u64) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    loop {
        let (st, body) = get(a, &format!("{run_url}progress.json"));
        assert_eq!(st, 200, "{body}");
        let p: serde_json::Value = serde_json::from_str(&body).unwrap();
        seen.push(p["percent"].as_u64().unwrap());
        match p["phase"].as_str().unwrap() {
            "done" => return seen,
            "failed" => panic!("the run failed: {body}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "the run did not finish in {secs} s: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `attr="value"` values in `html` after each occurrence of `attr="`, in order.
fn attrs(html: &str, attr: &str) -> Vec<String> {
    let key = format!("{attr}=\"");
    html.split(&key)
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// The page's difference tables as (policy, outcome) → the exact values behind each cell, in comparison.csv's
/// column order: baseline_mean, policy_mean, diff_mean, diff_lo95, diff_hi95, p_better.
fn table(html: &str) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for t in html.split("<table class=\"diffs\" data-policy=\"").skip(1) {
        let policy = t[..t.find('"').unwrap()].to_string();
        let t = &t[..t.find("</table>").unwrap()];
        for row in t.split("<tr data-outcome=\"").skip(1) {
            let outcome = row[..row.find('"').unwrap()].to_string();
            let v = attrs(row, "data-v");
            let (lo, hi) = (attrs(row, "data-lo"), attrs(row, "data-hi"));
            assert_eq!((v.len(), lo.len(), hi.len()), (4, 1, 1), "{row}");
            let vals = vec![
                v[0].clone(),
                v[1].clone(),
                v[2].clone(),
                lo[0].clone(),
                hi[0].clone(),
                v[3].clone(),
            ];
            out.push((policy.clone(), outcome, vals));
        }
    }
    out
}

#[test]
fn a_run_from_the_form_shows_the_comparison_s_numbers_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = Alone::start(tmp.path());
    let a = agent();
    let explore = format!("{}/explore/", srv.base);
    let started = Instant::now();
    let (st, form) = get(&a, &explore);
    assert_eq!(st, 200);
    assert!(form.contains("marcellus_2023_realist") && form.contains("name=\"lever.recognition\""));
    assert!(form.contains("Conditional scenarios, not forecasts"));
    let (st, _) = get(&a, &format!("{}/", srv.base));
    assert_eq!(st, 303, "the root sends analysts to the Explore page");
    let (st, _) = get(&a, &format!("{}/explore", srv.base));
    assert_eq!(st, 303, "the page's address without its slash is sent to it");

    // One package and a package of one's own (the baseline with formal recognition).
    let (st, loc, body) = post_form(
        &a,
        &format!("{explore}run"),
        &[
            ("policy", "marcellus_2023_realist"),
            ("lever.recognition", "formal"),
            ("lever.sanctions_relief", ""),
            ("trials", "200"),
            ("seed", "3"),
        ],
    );
    assert_eq!(st, 303, "{body}");
    assert_eq!(loc, "/explore/run/1/");
    let run = format!("{}{loc}", srv.base);

    // A second run while the first is going: refused with how far the first is.
    let (st, _, busy) = post_form(
        &a,
        &format!("{explore}run"),
        &[("policy", "rubin_regional_realism"), ("trials", "100")],
    );
    assert_eq!(st, 409, "{busy}");
    assert!(
        busy.contains("busy: run 1 is going") && busy.contains("% done"),
        "{busy}"
    );

    let seen = wait_done(&a, &run, 180);
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress went backwards: {seen:?}"
    );
    assert_eq!(*seen.last().unwrap(), 100);
    eprintln!(
        "200 paired trials, 2 packages: {:.1} s from the form to the results",
        started.elapsed().as_secs_f64()
    );

    let (st, page) = get(&a, &run);
    assert_eq!(st, 200);
    assert!(page.contains("Conditional scenarios, not forecasts"));
    assert!(page.contains("href=\"files/report.html\""));
    let dir = tmp.path().join("output/afghanistan/explore/1");
    let mut csv = csv::Reader::from_path(dir.join("comparison.csv")).unwrap();
    let from_csv: Vec<(String, String, Vec<String>)> = csv
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[1].to_string(),
                (2..8).map(|i| r[i].to_string()).collect(),
            )
        })
        .collect();
    let shown = table(&page);
    assert!(from_csv.len() > 20, "{}", from_csv.len());
    assert_eq!(shown, from_csv, "the page's numbers are comparison.csv's");
    let policies: Vec<&str> = shown.iter().map(|r| r.0.as_str()).collect();
    assert!(policies.contains(&"marcellus_2023_realist") && policies.contains(&"status_quo[recognition=formal]"));
    // What a reader sees is the same number, rounded: the custom package's difference in GDP.
    let gdp = shown
        .iter()
        .find(|r| r.0 == "status_quo[recognition=formal]" && r.1 == "gdp_index_2030")
        .unwrap();
    let d: f64 = gdp.2[2].parse().unwrap();
    let text = greatgame::plot::render::fmt_num(d);
    let sign = if d > 0.0 && text != "0" { "+" } else { "" };
    assert!(page.contains(&format!(">{sign}{text}<")), "{sign}{text}");

    // Charts and the report come from the run's own folder.
    for src in attrs(&page, "src")
        .into_iter()
        .filter(|s| s.starts_with("files/charts/"))
    {
        let mut r = a.get(&format!("{run}{src}")).call().unwrap();
        assert_eq!(r.status().as_u16(), 200, "{src}");
        let bytes = r.body_mut().read_to_vec().unwrap();
        assert_eq!(&bytes[..4], b"\x89PNG", "{src}");
    }
    assert!(page.contains("src=\"files/charts/scorecard.png\""));
    assert!(page.contains("src=\"files/charts/dist_gdp_index_2030.png\""));
    let (st, report) = get(&a, &format!("{run}files/report.html"));
    assert_eq!(st, 200);
    assert!(report.contains("marcellus_2023_realist"));

    // The file route serves nothing else.
    std::fs::write(tmp.path().join("output/afghanistan/explore/secret.png"), "x").unwrap();
    for bad in [
        "files/..%2F..%2F..%2Fsecret.png",
        "files/..%2Fsecret.png",
        "files/charts%2F..%2F..%2Fsecret.png",
        "files/%2Fetc%2Fpasswd",
        "files//etc/passwd",
        "files/manifest.json",
        "files/.greatgame-output.json",
        "files/charts/nothing.png",
    ] {
        let (st, body) = get(&a, &format!("{run}{bad}"));
        assert_eq!(st, 404, "{bad}: {body}");
        assert!(!body.contains("\u{89}PNG"));
    }
    let (st, _) = get(&a, &format!("{explore}run/99/files/report.html"));
    assert_eq!(st, 404);

    // The run is listed on the form, and a new run takes the next number.
    let (_, form) = get(&a, &explore);
    assert!(form.contains("href=\"/explore/run/1/\""));
}

#[test]
fn refused_input_gets_a_message_and_the_server_carries_on() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = Alone::start(tmp.path());
    let a = agent();
    let url = format!("{}/explore/run", srv.base);
    for (form, says) in [
        (vec![("policy", "marcelus_2023_realist")], "did you mean"),
        (vec![("policy", "status_quo"), ("baseline", "nobody")], "nobody"),
        (
            vec![("policy", "marcellus_2023_realist"), ("trials", "0")],
            "between 10 and 20000",
        ),
        (
            vec![("policy", "marcellus_2023_realist"), ("trials", "20001")],
            "between 10 and 20000",
        ),
        (
            vec![("policy", "marcellus_2023_realist"), ("trials", "-5")],
            "not a whole number",
        ),
        (
            vec![("policy", "marcellus_2023_realist"), ("seed", "x")],
            "not a whole number",
        ),
        (vec![("lever.sanctions_relief", "lots")], "not a number"),
        (vec![("lever.sanctions_relief", "7")], "sanctions_relief"),
        (vec![("lever.sanctions_relief", "NaN")], "sanctions_relief"),
        (vec![("lever.recognition", "formel")], "formal"),
        (vec![("lever.recognition", "none,formal")], "one value per lever"),
        (vec![("lever.no_such_lever", "1")], "unknown lever"),
        (vec![("trials", "100")], "choose at least one package"),
        (vec![("policy", "status_quo"), ("colour", "red")], "unknown form field"),
    ] {
        let (st, _, body) = post_form(&a, &url, &form);
        assert_eq!(st, 422, "{form:?}: {body}");
        assert!(body.contains(says), "{form:?} should say {says:?}: {body}");
        assert!(body.contains("role=\"alert\""), "the message is announced");
        assert!(
            body.contains("id=\"explore-form\""),
            "the form comes back with the message"
        );
    }
    // Not a form at all.
    let r = a
        .post(&url)
        .header("content-type", "application/json")
        .send("{}")
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    for path in ["/explore/run/1/", "/explore/run/x/", "/explore/run/1/progress.json"] {
        let (st, _) = get(&a, &format!("{}{path}", srv.base));
        assert_eq!(st, 404, "{path}");
    }
    let (st, _) = get(&a, &format!("{}/explore/", srv.base));
    assert_eq!(st, 200, "the server is still up");
    assert!(!tmp.path().join("output").exists(), "refused requests write nothing");
}

/// `greatgame serve --game` working in `dir` (its `output/` goes there): the base URL and each holder's token.
fn game_server(dir: &Path, game: &Path, key: &Path) -> (Alone, std::collections::BTreeMap<String, String>) {
    let mut child = Command::new(bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--game"])
        .arg(game)
        .arg("--key")
        .arg(key)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut tokens = std::collections::BTreeMap::new();
    let mut base = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("explore: ") {
            let url = rest.split(' ').next().unwrap();
            base = url[..url.find("/explore/").unwrap()].to_string();
            break;
        }
        if let Some((who, url)) = line.split_once(": http://") {
            let token = url.trim_end_matches('/').rsplit('/').next().unwrap();
            tokens.insert(who.to_string(), token.to_string());
        }
    }
    std::thread::spawn(move || for _ in lines {});
    assert!(!base.is_empty() && tokens.len() == 3, "{tokens:?}");
    (Alone { child, base }, tokens)
}

#[test]
fn beside_a_game_the_explore_page_needs_a_token_and_a_team_sees_only_its_own_runs() {
    let root = tempfile::tempdir().unwrap();
    let (game, key) = new_game(root.path(), "us,taliban", 2, 77);
    let (srv, tokens) = game_server(root.path(), &game, &key);
    let a = agent();
    let ex = |token: &str| format!("{}/explore/{token}/", srv.base);
    for bad in [format!("{}/explore/", srv.base), ex("not-a-token"), ex(&"0".repeat(32))] {
        let (st, body) = get(&a, &bad);
        assert_eq!(st, 403, "{bad}: {body}");
        assert!(body.contains("team"), "{body}");
    }
    let (st, _, _) = post_form(
        &a,
        &format!("{}run", ex("nope")),
        &[("policy", "status_quo"), ("trials", "10")],
    );
    assert_eq!(st, 403, "no run without a token");
    for path in ["run/1/progress.json", "run/1/", "run/1/files/report.html"] {
        let (st, _) = get(&a, &format!("{}{path}", ex("nope")));
        assert_eq!(st, 403, "{path}");
    }
    let (st, _) = get(&a, ex("nope").trim_end_matches('/'));
    assert_eq!(st, 403);
    for who in ["us", "taliban", "white cell"] {
        let token = &tokens[who];
        let (st, page) = get(&a, &ex(token));
        assert_eq!(st, 200, "{who}: {page}");
        assert!(page.contains("Explore: packages against the baseline"));
        assert!(page.contains(&format!("action=\"/explore/{token}/run\"")));
    }

    // The US team explores a package of its own: what it tried hints at its orders, so the Taliban team
    // neither sees the run listed nor opens it; the white cell sees everything.
    let (us, tb, white) = (&tokens["us"], &tokens["taliban"], &tokens["white cell"]);
    let (st, loc, body) = post_form(
        &a,
        &format!("{}run", ex(us)),
        &[("lever.recognition", "formal"), ("trials", "100"), ("seed", "9")],
    );
    assert_eq!(st, 303, "{body}");
    assert_eq!(loc, format!("/explore/{us}/run/1/"));
    let (st, _, busy) = post_form(
        &a,
        &format!("{}run", ex(tb)),
        &[("policy", "status_quo"), ("trials", "10")],
    );
    assert_eq!(st, 409, "{busy}");
    assert!(
        busy.contains("busy: run 1 is going") && !busy.contains("recognition"),
        "{busy}"
    );
    assert!(
        !busy.contains("Watch run"),
        "the Taliban team gets no link to the US run"
    );
    wait_done(&a, &format!("{}{loc}", srv.base), 120);
    let (_, us_form) = get(&a, &ex(us));
    assert!(
        us_form.contains("custom [recognition=formal]"),
        "the US team sees its run"
    );
    let (_, tb_form) = get(&a, &ex(tb));
    assert!(!tb_form.contains("recognition=formal") && !tb_form.contains("Runs of this server"));
    for path in [
        "run/1/",
        "run/1/progress.json",
        "run/1/files/report.html",
        "run/1/files/charts/scorecard.png",
    ] {
        let (st, body) = get(&a, &format!("{}{path}", ex(tb)));
        assert_eq!(st, 404, "{path}: {body}");
        let (st, _) = get(&a, &format!("{}{path}", ex(white)));
        assert_eq!(st, 200, "the white cell opens {path}");
    }
    let (st, page) = get(&a, &format!("{}run/1/", ex(us)));
    assert_eq!(st, 200);
    assert!(page.contains("data-policy=\"status_quo[recognition=formal]\""));
    // The scenario as published: the game was made from the built-in scenario, so the run is anchored and
    // draws from the public calibrated ensemble, like `compare` (never the game's sealed member).
    let manifest = std::fs::read_to_string(root.path().join("output/afghanistan/explore/1/manifest.json")).unwrap();
    assert!(manifest.contains("anchored=") && manifest.contains("built-in afghanistan.ensemble.ron"));
    // The game's own pages are unchanged beside it.
    let (st, _) = get(&a, &format!("{}/team/us/{us}/", srv.base));
    assert_eq!(st, 200);
}
