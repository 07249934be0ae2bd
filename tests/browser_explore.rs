//! The Explore page in a real browser (Debian's `chromium`, headless, through `chromedriver`): choose a package,
//! run it, watch the progress, read the table and see a chart. Skipped, with a message, when either is missing —
//! unless `GREATGAME_BROWSER_TESTS=1` (set by `.ci/run`), which makes the test mandatory.

mod serve_common;

use serve_common::webdriver::*;
use serve_common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn choose_a_package_run_it_and_read_the_differences() {
    let Some((chromium, driver)) = Driver::browsers() else {
        return;
    };
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .find_map(|l| l.unwrap().strip_prefix("explore: ").map(str::to_string))
        .expect("serve printed no `explore:` line");
    std::thread::spawn(move || for _ in lines {});
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Kill(child);
    let b = Driver::start(&chromium, &driver);

    b.goto(&url);
    b.wait_for("Explore: packages against the baseline", 10);
    b.click("#p-marcellus_2023_realist");
    b.clear("#trials");
    b.type_in("#trials", "2000");
    b.click("#explore-form button[type=submit]");
    // The run's page: its progress bar first (kept current by the page's script), then the results in place.
    let page = b.wait_for("Run 1", 10);
    let saw_progress = page.contains("id=\"explore-progress\"");
    let mut values = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(25);
    let done = loop {
        let s = b.source();
        if s.contains("Paired differences from") {
            break s;
        }
        if let Some(v) = b
            .execute("var p = document.getElementById('explore-progress'); return p ? p.value : null;")
            .as_f64()
        {
            values.push(v);
        }
        assert!(Instant::now() < deadline, "the run did not finish in the browser:\n{s}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(saw_progress, "the run's page showed no progress bar");
    assert!(
        values.windows(2).all(|w| w[0] <= w[1]),
        "progress went backwards: {values:?}"
    );
    assert!(done.contains("data-policy=\"marcellus_2023_realist\""));
    assert!(done.contains("Conditional scenarios, not forecasts"));
    // A chart is on the page and the browser could load it (the scorecard, at the top).
    let loaded = b.execute(
        "var i = document.querySelector('img.chart'); return i && i.complete && i.naturalWidth > 0 ? i.getAttribute('src') : null;",
    );
    assert_eq!(loaded.as_str(), Some("files/charts/scorecard.png"), "{loaded}");
    // The table is read from the comparison: the package's row for Afghan GDP has a value and an interval.
    let cell = b.execute(
        "var r = document.querySelector('table.diffs tr[data-outcome=gdp_index_2030]'); return r ? r.innerText : null;",
    );
    assert!(cell.as_str().is_some_and(|t| t.contains(" to ")), "{cell}");
    // Keyboard: the form's first package is reachable with Tab from the top of the page.
    b.goto(&url);
    b.wait_for("Runs of this server", 10);
    let focusable =
        b.execute("var c = document.querySelector('#p-status_quo'); c.focus(); return document.activeElement === c;");
    assert_eq!(focusable.as_bool(), Some(true));
    if let Ok(path) = std::env::var("GREATGAME_SCREENSHOT_EXPLORE") {
        b.goto(&format!("{url}run/1/"));
        b.screenshot(std::path::Path::new(&path));
    }
    eprintln!("browser test took {:.1} s", started.elapsed().as_secs_f64());
}
