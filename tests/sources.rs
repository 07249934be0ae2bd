//! Issue 14 point 7: outputs cite works a reader can check (docs/sources.md),
//! never a seed file or a path only the scenario's author has.

use assert_cmd::Command;
use greatgame::scenario::{DEFAULT_SCENARIO, load_str};
use std::fs;
use std::path::Path;

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

/// The five packages' sources: author (as much as the page names) and URL.
const WORKS: [(&str, &str); 5] = [
    (
        "Michael Rubin",
        "https://www.foxnews.com/world/us-failure-taliban-intel-has-opened-afghanistan-up-russia-china",
    ),
    (
        "a former US intelligence officer",
        "https://www.justsecurity.org/82824/terrorism-might-be-the-least-of-our-problems-a-year-after-americas-withdrawal-from-afghanistan/",
    ),
    (
        "named in the byline at the URL",
        "https://www.justsecurity.org/77550/taliban-ascendance-in-afghanistan-risks-return-of-global-terrorist-hub/",
    ),
    (
        "Maheen Safian",
        "https://jqas.org/the-future-of-us-taliban-relations-from-a-realist-lens-marcellus-policy-analysis/",
    ),
    (
        "named in the byline at the URL",
        "https://www.fairobserver.com/world-news/us-news/america-first-means-re-engaging-with-afghanistan",
    ),
];

/// Why `text` would send a reader to something they do not have, if it does.
fn unreachable_reference(text: &str) -> Option<String> {
    if let Some(i) = text.find("../shared") {
        return Some(text[i..].chars().take(60).collect());
    }
    // Seed files were named `000_eee5bfea9a9722ab.txt`: three digits, `_`, sixteen hex digits.
    let b = text.as_bytes();
    for i in 0..b.len().saturating_sub(13) {
        if b[i] == b'_'
            && b[i + 1..i + 13]
                .iter()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        {
            let word: String = text[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if word.len() == 16 && word.chars().any(|c| c.is_ascii_digit()) {
                return Some(text[i.saturating_sub(3)..].chars().take(30).collect());
            }
        }
    }
    for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')) {
        if w.ends_with(".txt") || w == "HINDCAST.md" || w == "SOURCES.md" {
            return Some(w.to_string());
        }
    }
    None
}

fn assert_checkable(name: &str, text: &str) {
    if let Some(r) = unreachable_reference(text) {
        panic!("{name} cites something a user does not have: {r}");
    }
}

#[test]
fn the_pattern_catches_what_outputs_used_to_cite() {
    assert!(unreachable_reference("seed file: `003_493e444f8c257c99.txt`").is_some());
    assert!(unreachable_reference("source: ../shared/calibration/HINDCAST.md").is_some());
    assert!(unreachable_reference("see 004_d3b7c9ff863755c0").is_some());
    assert!(unreachable_reference("policy marcellus_2023_realist, run 1234_abcdef").is_none());
}

#[test]
fn compare_and_list_cite_full_sources_only() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let o = gg()
        .args(["compare", "--all", "--trials", "50", "--quiet", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_checkable("compare's stdout", &String::from_utf8_lossy(&o.stdout));
    assert_checkable("compare's stderr", &String::from_utf8_lossy(&o.stderr));
    let mut checked = 0;
    for entry in walk(&out) {
        let bytes = fs::read(&entry).unwrap();
        if let Ok(text) = String::from_utf8(bytes) {
            assert_checkable(&entry.display().to_string(), &text);
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} text outputs found");

    let read = |f: &str| fs::read_to_string(out.join(f)).unwrap();
    let (md, csv, html) = (read("comparison.md"), read("policies.csv"), read("report.html"));
    for (author, url) in WORKS {
        for (name, text) in [("comparison.md", &md), ("policies.csv", &csv), ("report.html", &html)] {
            assert!(text.contains(author), "{name} lacks the author {author}");
            assert!(text.contains(url), "{name} lacks the URL {url}");
        }
    }
    let header = csv.lines().next().unwrap();
    assert_eq!(header, "policy,role,label,author,title,outlet,date,url,source,summary");
    assert!(csv.contains("safian-2023") && csv.contains("The Future of US-Taliban Relations from a Realist Lens"));

    let o = gg().arg("list").output().expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list = String::from_utf8_lossy(&o.stdout);
    assert_checkable("list", &list);
    for (author, url) in WORKS {
        assert!(
            list.contains(author) && list.contains(url),
            "list lacks {author} / {url}"
        );
    }
    assert!(list.contains("SOURCES") && list.contains("[record]"), "{list}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Replace the first occurrence of `from` (which must exist), load, and return the error.
fn broken(from: &str, to: &str) -> (String, String) {
    assert!(DEFAULT_SCENARIO.contains(from), "test edit `{from}` not found");
    let text = DEFAULT_SCENARIO.replacen(from, to, 1);
    let err = load_str(&text, "copy.ron").expect_err("the edited scenario should fail to load");
    (err.to_string(), text)
}

fn line_col(text: &str, needle: &str) -> String {
    let at = text.find(needle).expect("needle");
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    format!("copy.ron:{line}:{col}")
}

#[test]
fn unknown_cited_key_points_at_it_and_suggests() {
    let from = r#"passage: "[safian-2023]: recognition as a reasonable place to start"#;
    let to = r#"passage: "[safian-2032]: recognition as a reasonable place to start"#;
    let (msg, text) = broken(from, to);
    assert!(msg.contains(&line_col(&text, "safian-2032")), "{msg}");
    assert!(msg.contains("unknown source `[safian-2032]` cited"), "{msg}");
    assert!(msg.contains("did you mean `[safian-2023]`?"), "{msg}");
}

#[test]
fn unknown_policy_source_key_is_an_error_with_a_hint() {
    let (msg, text) = broken(r#"source: "rubin-2024","#, r#"source: "rubin-2042","#);
    assert!(msg.contains(&line_col(&text, "rubin-2042")), "{msg}");
    assert!(msg.contains("unknown source `rubin-2042`"), "{msg}");
    assert!(msg.contains("did you mean `rubin-2024`?"), "{msg}");
}

#[test]
fn duplicate_and_malformed_source_keys_are_errors() {
    let (msg, _) = broken(r#"(key: "record", "#, r#"(key: "rubin-2024", "#);
    assert!(msg.contains("source `rubin-2024` is declared twice"), "{msg}");
    let (msg, _) = broken(r#"(key: "record", "#, r#"(key: "Record 2021", "#);
    assert!(msg.contains("is not a key"), "{msg}");
}

#[test]
fn a_policy_without_source_or_author_says_what_to_add() {
    let (msg, _) = broken(r#"source: "fairobserver-2025","#, "");
    assert!(
        msg.contains("policy `fairobserver_2025_reengage` has no `author`"),
        "{msg}"
    );
    assert!(msg.contains("name the work it comes from"), "{msg}");
}

#[test]
fn older_scenarios_with_author_and_source_file_still_load() {
    assert!(DEFAULT_SCENARIO.contains(r#"source: "fairobserver-2025","#));
    let text = DEFAULT_SCENARIO.replacen(
        r#"source: "fairobserver-2025","#,
        r#"author: "An essayist", source_file: "essay.txt", date: "2025-12-20","#,
        1,
    );
    let l = load_str(&text, "old.ron").expect("loads");
    let p = l
        .model
        .policies
        .iter()
        .find(|p| p.id == "fairobserver_2025_reengage")
        .unwrap();
    assert_eq!(l.model.policy_citation(p), "An essayist, 2025-12-20 (file essay.txt)");
}
