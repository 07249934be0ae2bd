//! An Explore run: the form's answers checked and turned into a [`CompareJob`] on the prepared model (the same
//! library call as `greatgame compare`), run on a thread of its own while the page watches its progress.
//!
//! One run at a time per server: a paired comparison uses every core, and a second one would only halve the
//! speed of both (and, in a classroom, slow the game's own pages). A request while one runs is answered with
//! how far the running one is.

use crate::analysis::compare::Comparison;
use crate::experiment::compare_job::{CompareJob, design_name, slots_and_rows};
use crate::experiment::levers::LeverGrid;
use crate::experiment::prepare::Prepared;
use crate::experiment::select::{select_baseline, select_policies};
use crate::model::{LeverKindDef, Model};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Trials when the form does not say.
pub const DEFAULT_TRIALS: u64 = 2_000;
/// Fewest trials: the intervals and the charts need a few.
pub const MIN_TRIALS: u64 = 10;
/// Most trials one request may ask for: 20,000 paired trials of six packages take about a minute on two cores,
/// long enough for a class to wait and short enough that one request cannot hold the server for long.
pub const MAX_TRIALS: u64 = 20_000;
/// Most levers a form may set (far above any scenario's count; a guard on what a request can make the server
/// parse).
const MAX_FIELDS: usize = 500;

/// What the form asked for, as plain values (the request's fields, not yet checked against the model).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// Packages compared with the baseline.
    pub policies: Vec<String>,
    /// The baseline; `None` is the scenario's.
    pub baseline: Option<String>,
    /// The custom package's levers as (lever, value) — every lever not set is inherited from `custom_base`.
    pub levers: Vec<(String, String)>,
    /// The policy the custom package inherits from; `None` is the baseline.
    pub custom_base: Option<String>,
    pub trials: u64,
    pub seed: u64,
}

impl Request {
    /// Read the form's fields: `policy` (repeated), `baseline`, `lever.ID` (empty means "as the base
    /// policy"), `custom_base`, `trials`, `seed`. Unknown fields are refused, so a typo is not silently ignored.
    pub fn from_form(fields: &[(String, String)]) -> Result<Request> {
        if fields.len() > MAX_FIELDS {
            bail!(
                "the form has {} fields; at most {MAX_FIELDS} are accepted",
                fields.len()
            );
        }
        let mut r = Request {
            trials: DEFAULT_TRIALS,
            seed: 1,
            ..Request::default()
        };
        for (k, v) in fields {
            let v = v.trim();
            match k.as_str() {
                "policy" => {
                    if !v.is_empty() && !r.policies.iter().any(|p| p == v) {
                        r.policies.push(v.to_string());
                    }
                }
                "baseline" => r.baseline = (!v.is_empty()).then(|| v.to_string()),
                "custom_base" => r.custom_base = (!v.is_empty()).then(|| v.to_string()),
                "trials" => r.trials = whole("trials", v)?,
                "seed" => r.seed = whole("seed", v)?,
                _ => match k.strip_prefix("lever.") {
                    Some(id) if !v.is_empty() => r.levers.push((id.to_string(), v.to_string())),
                    Some(_) => {}
                    None => bail!("unknown form field `{k}`"),
                },
            }
        }
        if !(MIN_TRIALS..=MAX_TRIALS).contains(&r.trials) {
            bail!(
                "trials must be between {MIN_TRIALS} and {MAX_TRIALS} (got {}); for more, use `greatgame compare` on \
                 the command line",
                r.trials
            );
        }
        if r.policies.is_empty() && r.levers.is_empty() {
            bail!("choose at least one package, or set at least one lever for a custom package");
        }
        Ok(r)
    }

    /// One line saying what was asked, for the list of runs.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.policies.clone();
        if !self.levers.is_empty() {
            let set: Vec<String> = self.levers.iter().map(|(l, v)| format!("{l}={v}")).collect();
            parts.push(format!("custom [{}]", set.join(", ")));
        }
        format!("{}; {} trials, seed {}", parts.join(", "), self.trials, self.seed)
    }
}

/// A whole number from a form field, with the field's name in the error.
fn whole(field: &str, v: &str) -> Result<u64> {
    v.replace([',', '_'], "")
        .parse::<u64>()
        .map_err(|_| anyhow::anyhow!("{field}: `{v}` is not a whole number"))
}

/// A checked request: the model to run (the prepared one, plus the custom package if any) and the job.
pub struct Plan {
    pub loaded: crate::scenario::Loaded,
    pub job: CompareJob,
}

/// Check `req` against the prepared model and build the comparison, writing to `out_dir`. Every mistake in the
/// request is an error here, before any work starts.
pub fn plan(prep: &Prepared, req: &Request, out_dir: PathBuf, threads: usize) -> Result<Plan> {
    let mut loaded = prep.loaded.clone();
    let model = &loaded.model;
    let base = select_baseline(model, req.baseline.as_deref())?;
    let mut chosen = if req.policies.is_empty() {
        Vec::new()
    } else {
        select_policies(model, &req.policies)?
    };
    if !req.levers.is_empty() {
        let custom_base = match &req.custom_base {
            Some(b) => select_policies(model, std::slice::from_ref(b))?[0],
            None => base,
        };
        let specs: Vec<String> = req.levers.iter().map(|(l, v)| format!("{l}={v}")).collect();
        // The grid's messages name the command line's option; here the levers are the form's fields.
        let grid = LeverGrid::parse(model, &specs).map_err(|e| {
            anyhow::anyhow!(
                "{}",
                e.to_string()
                    .replace("--lever ", "lever ")
                    .replace("--lever:", "lever:")
            )
        })?;
        if grid.combinations() != 1 {
            bail!("a custom package sets one value per lever (a list of values is a sweep: `greatgame sweep`)");
        }
        let p = grid.add_policies(&mut loaded.model, custom_base)[0];
        let def = &mut loaded.model.policies[p];
        def.author = "set by hand on the Explore page".into();
        for r in &mut def.rules {
            r.passage = "set by hand on the Explore page".into();
        }
        // The ensemble's members copy the base model's policies.
        loaded.model.sync_members();
        chosen.push(p);
    }
    let (slots, rows) = slots_and_rows(&loaded.model, base, &chosen, true)?;
    let job = CompareJob {
        slots,
        rows,
        trials: req.trials,
        seed: req.seed,
        threads,
        thresholds: Vec::new(),
        weights: Vec::new(),
        out_dir,
        charts: true,
        // Per-trial rows are not shown on the page; the server writes only what it serves.
        decision_state: false,
        progress: false,
        design_name: design_name(prep.article, &prep.anchor_suffix),
        anchoring: prep.anchoring.clone(),
        ensemble: prep.ensemble.clone(),
        watch: None,
    };
    Ok(Plan { loaded, job })
}

/// The form's control for one lever: its kind and, for a select, its options.
pub fn lever_choices(model: &Model, lever: usize) -> Option<Vec<String>> {
    match &model.levers[lever].kind {
        LeverKindDef::Bool => Some(vec!["false".into(), "true".into()]),
        LeverKindDef::Enum(opts) => Some(opts.clone()),
        LeverKindDef::Level(..) => None,
    }
}

/// One row of the page's difference table (from the comparison, not from its files).
#[derive(Debug, Clone)]
pub struct DiffRow {
    pub policy: String,
    pub outcome: usize,
    pub baseline_mean: f64,
    pub policy_mean: f64,
    pub diff_mean: f64,
    pub diff_lo95: f64,
    pub diff_hi95: f64,
    pub p_better: Option<f64>,
    /// The interval excludes 0 / the difference survives Holm's correction.
    pub distinguishable: bool,
    pub distinguishable_holm: bool,
}

/// What a finished run shows.
#[derive(Debug)]
pub struct Finished {
    pub dir: PathBuf,
    pub baseline: String,
    /// The compared packages, in the comparison's row order.
    pub policies: Vec<String>,
    pub rows: Vec<DiffRow>,
    /// Chart files under `charts/`, per outcome index (distributions or event probabilities).
    pub outcome_charts: Vec<Option<String>>,
    /// `charts/scorecard.png`, if drawn.
    pub scorecard: Option<String>,
    pub seconds: f64,
}

impl Finished {
    fn from(model: &Model, cmp: &Comparison, dir: PathBuf, seconds: f64) -> Finished {
        let rows = cmp
            .rows
            .iter()
            .map(|r| DiffRow {
                policy: r.policy.clone(),
                outcome: r.outcome_index,
                baseline_mean: r.s.baseline_mean,
                policy_mean: r.s.policy_mean,
                diff_mean: r.s.diff_mean,
                diff_lo95: r.s.diff_lo95,
                diff_hi95: r.s.diff_hi95,
                p_better: r.s.p_better,
                distinguishable: r.s.distinguishable,
                distinguishable_holm: r.s.distinguishable_holm,
            })
            .collect();
        let charts = dir.join("charts");
        let exists = |name: &str| charts.join(name).is_file().then(|| name.to_string());
        let outcome_charts = model
            .outcomes
            .iter()
            .map(|o| exists(&format!("dist_{}.png", o.id)).or_else(|| exists(&format!("prob_{}.png", o.id))))
            .collect();
        Finished {
            scorecard: exists("scorecard.png"),
            baseline: cmp.policy_ids[0].clone(),
            policies: cmp.design.rows.iter().map(|&s| cmp.policy_ids[s].clone()).collect(),
            rows,
            outcome_charts,
            dir,
            seconds,
        }
    }
}

/// Where a run is.
#[derive(Debug, Clone)]
pub enum Status {
    Running,
    Done(Arc<Finished>),
    Failed(String),
}

/// One run of this server.
#[derive(Debug, Clone)]
pub struct Run {
    pub n: u64,
    /// Who started it beside a game (a team, or the white cell); `None` on an open server.
    pub owner: Option<String>,
    pub request: Request,
    pub trials: u64,
    /// Counts trials done (never drawn: the page reads its position).
    pub bar: indicatif::ProgressBar,
    pub started: Instant,
    pub status: Status,
}

/// How far a run is, for the page and `progress.json`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Progress {
    pub n: u64,
    pub done: u64,
    pub total: u64,
    pub percent: u32,
    /// `trials`, `writing` (the tables and charts), `done` or `failed`.
    pub phase: &'static str,
}

impl Run {
    pub fn progress(&self) -> Progress {
        let done = self.bar.position().min(self.trials);
        let phase = match &self.status {
            Status::Done(_) => "done",
            Status::Failed(_) => "failed",
            Status::Running if done >= self.trials => "writing",
            Status::Running => "trials",
        };
        let percent = if phase == "done" {
            100
        } else {
            // Below 100 until the folder is written: the charts come after the last trial.
            ((done * 100 / self.trials.max(1)) as u32).min(99)
        };
        Progress {
            n: self.n,
            done,
            total: self.trials,
            percent,
            phase,
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.status, Status::Running)
    }
}

/// The runs of this server and the folder they go to.
pub struct Runs {
    /// `output/<scenario>/explore/`: run `n` writes `<root>/<n>/`.
    pub root: PathBuf,
    list: Mutex<Vec<Run>>,
}

/// A refused start: another run is going (its progress, and who started it).
#[derive(Debug)]
pub struct Busy {
    pub progress: Progress,
    pub owner: Option<String>,
}

/// Why a run did not start.
#[derive(Debug)]
pub enum NotStarted {
    Busy(Busy),
    /// A mistake in the request.
    Bad(anyhow::Error),
}

impl Runs {
    pub fn new(root: PathBuf) -> Runs {
        Runs {
            root,
            list: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Run>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every run so far, newest first.
    pub fn all(&self) -> Vec<Run> {
        let mut v = self.lock().clone();
        v.reverse();
        v
    }

    pub fn get(&self, n: u64) -> Option<Run> {
        self.lock().iter().find(|r| r.n == n).cloned()
    }

    /// The running run, if any.
    pub fn running(&self) -> Option<Run> {
        self.lock().iter().find(|r| r.running()).cloned()
    }

    /// The next run's number: one past every number used in this session and every numbered folder already in
    /// the root (earlier sessions' runs are never overwritten).
    fn next_number(&self, list: &[Run]) -> u64 {
        let on_disk = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u64>().ok()))
            .max()
            .unwrap_or(0);
        let here = list.iter().map(|r| r.n).max().unwrap_or(0);
        on_disk.max(here) + 1
    }

    /// Check `req` and start it on a thread of its own; refuses with [`Busy`] while another runs (a mistake in
    /// the request is reported first).
    pub fn start(
        self: &Arc<Self>,
        prep: &Prepared,
        req: Request,
        threads: usize,
        owner: Option<String>,
    ) -> std::result::Result<u64, NotStarted> {
        // Mistakes in the request first, so they are reported as such even while another run is going.
        let Plan { loaded, mut job } = plan(prep, &req, PathBuf::new(), threads).map_err(NotStarted::Bad)?;
        let mut list = self.lock();
        if let Some(r) = list.iter().find(|r| r.running()) {
            return Err(NotStarted::Busy(Busy {
                progress: r.progress(),
                owner: r.owner.clone(),
            }));
        }
        let n = self.next_number(&list);
        job.out_dir = self.root.join(n.to_string());
        let bar = indicatif::ProgressBar::hidden();
        bar.set_length(req.trials);
        job.watch = Some(bar.clone());
        list.push(Run {
            n,
            owner,
            trials: req.trials,
            request: req,
            bar,
            started: Instant::now(),
            status: Status::Running,
        });
        drop(list);
        let runs = self.clone();
        let spawned = std::thread::Builder::new().name(format!("explore-{n}")).spawn(move || {
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(&loaded)));
            let status = match outcome {
                Ok(Ok(done)) => Status::Done(Arc::new(Finished::from(
                    &loaded.model,
                    &done.comparison,
                    done.dir,
                    started.elapsed().as_secs_f64(),
                ))),
                Ok(Err(e)) => Status::Failed(format!("{e:#}")),
                Err(_) => {
                    Status::Failed("the run stopped on an internal error (a bug); see the server's terminal".into())
                }
            };
            runs.finish(n, status);
        });
        if let Err(e) = spawned {
            self.finish(n, Status::Failed(format!("could not start the run: {e}")));
        }
        Ok(n)
    }

    fn finish(&self, n: u64, status: Status) {
        if let Some(r) = self.lock().iter_mut().find(|r| r.n == n) {
            r.status = status;
        }
    }
}

/// A file of run `dir` that the page may link to, or `None`: `report.html`, the comparison's tables, and the
/// charts (`charts/NAME.png` or `.svg`). The name must be exactly one of these shapes — no `..`, no absolute
/// path, no hidden file, no other folder — and the file must resolve inside `dir` (a symbolic link out of the
/// folder is refused too). Returns the path and its content type.
pub fn served_file(dir: &Path, name: &str) -> Option<(PathBuf, &'static str)> {
    let parts: Vec<&str> = name.split('/').collect();
    let ok_segment = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.len() <= 200
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    if !parts.iter().all(|s| ok_segment(s)) {
        return None;
    }
    let file = *parts.last()?;
    let kind = match (parts.as_slice(), file.rsplit_once('.')?.1) {
        ([_], "html") if file == "report.html" => "text/html; charset=utf-8",
        ([_], "csv") if file.starts_with("comparison") => "text/csv; charset=utf-8",
        ([_], "md") if file == "comparison.md" => "text/markdown; charset=utf-8",
        ([_], "json") if file == "comparison.json" => "application/json",
        (["charts", _], "png") => "image/png",
        (["charts", _], "svg") => "image/svg+xml",
        _ => return None,
    };
    let path = dir.join(name);
    let real = path.canonicalize().ok()?;
    let root = dir.canonicalize().ok()?;
    (real.starts_with(&root) && real.is_file()).then_some((real, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_form_is_read_and_checked() {
        let r = Request::from_form(&form(&[
            ("policy", "marcellus_2023_realist"),
            ("policy", "marcellus_2023_realist"),
            ("lever.recognition", "formal"),
            ("lever.sanctions_relief", ""),
            ("trials", "2,000"),
            ("seed", "7"),
        ]))
        .unwrap();
        assert_eq!(r.policies, vec!["marcellus_2023_realist"]);
        assert_eq!(r.levers, vec![("recognition".to_string(), "formal".to_string())]);
        assert_eq!((r.trials, r.seed), (2000, 7));
        for (bad, says) in [
            (vec![("policy", "x"), ("trials", "0")], "between"),
            (vec![("policy", "x"), ("trials", "20001")], "between"),
            (vec![("policy", "x"), ("trials", "lots")], "not a whole number"),
            (vec![("policy", "x"), ("seed", "-1")], "not a whole number"),
            (vec![("trials", "100")], "at least one package"),
            (vec![("policy", "x"), ("colour", "red")], "unknown form field"),
        ] {
            let e = Request::from_form(&form(&bad)).unwrap_err().to_string();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
    }

    #[test]
    fn only_the_run_s_own_results_are_served() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        std::fs::create_dir_all(dir.join("charts")).unwrap();
        for f in [
            "report.html",
            "comparison.csv",
            "charts/dist_x.png",
            "decision_state.csv",
            ".hidden",
        ] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        std::fs::write(tmp.path().join("secret.png"), "x").unwrap();
        assert_eq!(served_file(&dir, "report.html").unwrap().1, "text/html; charset=utf-8");
        assert_eq!(served_file(&dir, "charts/dist_x.png").unwrap().1, "image/png");
        assert!(served_file(&dir, "comparison.csv").is_some());
        for bad in [
            "../secret.png",
            "charts/../../secret.png",
            "/etc/passwd",
            "",
            "charts/",
            "decision_state.csv",
            ".hidden",
            "charts/missing.png",
            "other/dist_x.png",
            "charts/dist_x.png/..",
        ] {
            assert!(served_file(&dir, bad).is_none(), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(tmp.path().join("secret.png"), dir.join("charts/link.png")).unwrap();
            assert!(served_file(&dir, "charts/link.png").is_none());
        }
    }
}
