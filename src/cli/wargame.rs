//! `greatgame wargame ...`: the classroom wargame (see docs/instructor-guide.md).

use crate::wargame::debrief::{DebriefOptions, write_report};
use crate::wargame::desk::Desk;
use crate::wargame::game::{Game, OrdersRec};
use crate::wargame::keys::Credentials;
use crate::wargame::setup::{NewOptions, create, recompute_start};
use crate::wargame::{adjudicate, orders, play, preview, view};
use anyhow::{Result, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct WargameArgs {
    #[command(subcommand)]
    pub command: WargameCommand,
}

#[derive(Debug, Subcommand)]
pub enum WargameCommand {
    /// Create a game: roster, seed, start state (status quo up to --start) and log.
    New {
        /// Scenario file (RON). Default: the built-in Afghanistan scenario.
        scenario: Option<PathBuf>,
        /// Actors played by teams, comma-separated (e.g. us,taliban,pakistan,china); the model plays the rest.
        #[arg(long, required = true, value_name = "A,B,...")]
        teams: Vec<String>,
        /// First turn of the game (default: the scenario's decision date).
        #[arg(long, value_name = "PERIOD")]
        start: Option<String>,
        /// Number of turns.
        #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = super::numbers::count::<u32>)]
        turns: u32,
        /// Game seed: the same seed and the same orders give the same game.
        #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::numbers::seed)]
        seed: u64,
        /// Game folder (must be new or empty).
        #[arg(long)]
        game: PathBuf,
        /// Write a new white-cell key to FILE: keep it OFF the shared drive (outside the game folder).
        #[arg(long, value_name = "FILE")]
        key_out: Option<PathBuf>,
        /// Or use an existing white-cell key file (e.g. one key for all your sections).
        #[arg(long, value_name = "FILE", conflicts_with = "key_out")]
        key: Option<PathBuf>,
        /// The game runs on one member of the calibrated ensemble, drawn from the seed and kept secret from
        /// the teams (see `run --ensemble`).
        #[command(flatten)]
        ensemble: super::ensemble::EnsembleArgs,
    },
    /// Record a team's orders for this turn (a new submission replaces the team's earlier one).
    Orders {
        #[arg(long)]
        game: PathBuf,
        #[arg(long)]
        team: String,
        /// US only: set a lever, e.g. --set recognition=conditional (repeatable); others keep last turn's setting.
        #[arg(long = "set", value_name = "LEVER=VALUE")]
        set: Vec<String>,
        /// The actor's action this turn (an id from its menu; see `view`). Repeatable for an actor with lines of
        /// effort: at most one action per line (`hold:LINE` orders no action on a line); lines without an order are
        /// chosen by the model.
        #[arg(long)]
        action: Vec<String>,
        #[command(flatten)]
        who: Who,
    },
    /// What one team knows: interests, options, public state, noisy estimates, its own orders.
    View {
        #[arg(long)]
        game: PathBuf,
        #[arg(long)]
        team: String,
        #[command(flatten)]
        who: Who,
    },
    /// The turn and who has submitted (never what); needs no key (with the white-cell key: also the seed).
    Status {
        #[arg(long)]
        game: PathBuf,
        #[command(flatten)]
        white: WhiteCell,
    },
    /// White cell: print the teams' passphrases again (e.g. to reprint a lost slip).
    Passphrases {
        #[arg(long)]
        game: PathBuf,
        #[command(flatten)]
        white: WhiteCell,
    },
    /// White cell: the distribution of next-turn outcomes under the submitted orders.
    Preview {
        #[arg(long)]
        game: PathBuf,
        #[command(flatten)]
        white: WhiteCell,
        /// Monte Carlo draws.
        #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
        samples: u64,
    },
    /// Resolve the turn and print the turn report (charts in GAME/turns/turn-NN/).
    Adjudicate {
        #[arg(long)]
        game: PathBuf,
        #[command(flatten)]
        white: WhiteCell,
        /// Overrule an event's dice: EVENT=yes, EVENT=no or EVENT=N (repeatable; needs --reason).
        #[arg(long = "override", value_name = "EVENT=yes|no|N")]
        overrides: Vec<String>,
        /// Why (one per --override, or one for all); logged.
        #[arg(long = "reason")]
        reasons: Vec<String>,
        /// Skip the dice chart.
        #[arg(long)]
        no_charts: bool,
    },
    /// The after-action review: timeline, played trajectory over the fan, percentiles, luck versus choice (HTML + charts).
    Report {
        #[arg(long)]
        game: PathBuf,
        #[command(flatten)]
        white: WhiteCell,
        /// Output folder (default GAME/report).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Monte Carlo continuations.
        #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
        continuations: u64,
        /// Samples per turn for luck versus choice.
        #[arg(long, default_value_t = 400, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
        samples: u64,
    },
    /// Interactive hot-seat loop on one terminal (reads commands from stdin; works when piped).
    Play {
        #[arg(long)]
        game: PathBuf,
        #[command(flatten)]
        white: WhiteCell,
    },
    /// Recompute every turn from the log and fail loudly if anything differs.
    Replay {
        #[arg(long)]
        game: PathBuf,
        #[command(flatten)]
        white: WhiteCell,
    },
}

/// The white cell's credentials.
#[derive(Debug, clap::Args)]
pub struct WhiteCell {
    /// White-cell key file written by `wargame new --key-out` (or set GREATGAME_WHITECELL_KEY).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

impl WhiteCell {
    fn open(&self, game: &Path, what: &str) -> Result<Game> {
        let key = Credentials::from_args(self.key.as_deref(), None).white_key(what)?;
        Game::open(game, &key)
    }
}

/// A team's credentials (or the white cell's, which open every team's).
#[derive(Debug, clap::Args)]
pub struct Who {
    /// The team's passphrase, handed out by the white cell (or set GREATGAME_PASSPHRASE, which keeps it out of
    /// the shell history).
    #[arg(long, value_name = "WORDS")]
    passphrase: Option<String>,
    /// Instead of a passphrase: the white-cell key file (the white cell may act for any team).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

impl Who {
    fn credentials(&self) -> Credentials {
        Credentials::from_args(self.key.as_deref(), self.passphrase.as_deref())
    }
}

const MAX_SAMPLES: u64 = 1_000_000;

/// Print to standard output; a closed pipe (`... | head`) is not an error
/// worth a panic: the command's work is already saved.
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

macro_rules! sayln {
    ($($t:tt)*) => { say(&(format!($($t)*) + "\n")) };
}

macro_rules! sayf {
    ($($t:tt)*) => { say(&format!($($t)*)) };
}

pub fn execute(args: &WargameArgs) -> Result<()> {
    match &args.command {
        WargameCommand::New {
            scenario,
            teams,
            start,
            turns,
            seed,
            game,
            key_out,
            key,
            ensemble,
        } => {
            let made = create(&NewOptions {
                ensemble: ensemble.ensemble.as_deref(),
                no_ensemble: ensemble.no_ensemble,
                scenario: scenario.as_deref(),
                teams,
                start: start.as_deref(),
                turns: *turns,
                seed: *seed,
                game,
                key_out: key_out.as_deref(),
                key: key.as_deref(),
            })?;
            let cfg = &made.config;
            if let Some(m) = &cfg.member {
                sayln!(
                    "Hidden truth: one of the {} members of the calibrated ensemble ({}), drawn from the seed and sealed \
                     with the white-cell key; `wargame report` names it at the end.",
                    m.members,
                    m.ensemble
                );
            }
            super::which_scenario::announce(
                scenario.as_deref(),
                &cfg.scenario_origin,
                &cfg.scenario_sha256,
                "wargame new",
                false,
            );
            sayln!(
                "New game in {}: teams {}; {} turns from {}; seed {}.",
                game.display(),
                cfg.teams.join(", "),
                cfg.turns,
                cfg.start,
                cfg.seed
            );
            if let Some(k) = key_out {
                sayln!(
                    "White-cell key: {} (keep it OFF the shared drive; preview, adjudicate, report and replay need it).",
                    k.display()
                );
            }
            sayln!("Team passphrases (hand each team its own, and only its own):");
            for (team, pass) in &made.passphrases {
                sayln!("  {team:<10} {}", pass.show());
            }
            sayln!(
                "Next: each team runs `greatgame wargame view --game {} --team TEAM --passphrase ...`.",
                game.display()
            );
            Ok(())
        }
        WargameCommand::Orders {
            game,
            team,
            set,
            action,
            who,
        } => {
            let mut d = Desk::open(game)?;
            let o = OrdersRec::new(
                d.current_turn(),
                team.clone(),
                orders::parse_sets(d.model(), set)?,
                action.clone(),
            );
            // Who may play this team, and is the game still on: public facts, checked before the passphrase.
            orders::validate_form(
                d.model(),
                &d.info.teams,
                d.info.turns,
                d.is_over(),
                d.current_turn(),
                &o,
            )?;
            let pass = d.team_passphrase(team, &who.credentials())?;
            d.submit(o, &pass)?;
            sayln!("Orders recorded for {team}, turn {}.", d.current_turn());
            sayf!("{}", view::status(&d));
            Ok(())
        }
        WargameCommand::View { game, team, who } => {
            sayf!("{}", view::view_as(game, team, &who.credentials())?);
            Ok(())
        }
        WargameCommand::Status { game, white } => {
            let d = Desk::open(game)?;
            sayf!("{}", view::status(&d));
            let creds = Credentials::from_args(white.key.as_deref(), None);
            if creds.key.is_some() {
                let secret = d.white_secret(&creds.white_key("status")?)?;
                sayln!("White cell: game seed {}.", secret.seed);
            }
            Ok(())
        }
        WargameCommand::Passphrases { game, white } => {
            let g = white.open(game, "printing the passphrases")?;
            sayln!("Team passphrases for the game in {}:", game.display());
            for team in &g.config.teams {
                sayln!("  {team:<10} {}", g.white.passphrase(g.config.seed, team).show());
            }
            Ok(())
        }
        WargameCommand::Preview { game, samples, white } => {
            if *samples == 0 || *samples > MAX_SAMPLES {
                bail!("--samples must be between 1 and {MAX_SAMPLES}");
            }
            let g = white.open(game, "`preview`")?;
            sayf!("{}", preview::preview(&g, *samples)?);
            Ok(())
        }
        WargameCommand::Adjudicate {
            game,
            white,
            overrides,
            reasons,
            no_charts,
        } => {
            let mut g = white.open(game, "`adjudicate`")?;
            let ovr = adjudicate::parse_overrides(g.model(), overrides, reasons)?;
            let rec = g.adjudicate(&ovr)?;
            let charts = if *no_charts {
                Vec::new()
            } else {
                adjudicate::draw_turn_charts(&g, &rec)?
            };
            say(&adjudicate::turn_report(&g, &rec));
            for png in charts.iter().filter(|p| p.extension().is_some_and(|e| e == "png")) {
                say(&format!("Chart for the projector: {}\n", png.display()));
            }
            Ok(())
        }
        WargameCommand::Report {
            game,
            white,
            out,
            continuations,
            samples,
        } => {
            if *continuations == 0 || *continuations > MAX_SAMPLES || *samples == 0 || *samples > MAX_SAMPLES {
                bail!("--continuations and --samples must be between 1 and {MAX_SAMPLES}");
            }
            let g = white.open(game, "`report`")?;
            let dir = write_report(
                &g,
                out.as_deref(),
                DebriefOptions {
                    continuations: *continuations,
                    samples: *samples,
                },
            )?;
            sayln!("After-action review: {}", dir.join("report.html").display());
            Ok(())
        }
        WargameCommand::Play { game, white } => {
            let key = Credentials::from_args(white.key.as_deref(), None).white_key("`play` (the hot-seat loop)")?;
            play::run(game, &key, &mut std::io::stdin().lock(), &mut std::io::stdout())
        }
        WargameCommand::Replay { game, white } => replay(&white.open(game, "`replay`")?),
    }
}

/// Opening a game already recomputes every turn and compares it with the
/// log; `replay` also recomputes the start state from the scenario and
/// prints what it checked.
fn replay(g: &Game) -> Result<()> {
    let start = recompute_start(&g.loaded, g.config.seed, g.config.start_turn);
    if start != g.config.start_state {
        bail!(
            "{}: the start state recorded in the log differs from the status-quo run of the scenario with seed {} \
             (a different build, or an edited log)",
            g.log.path().display(),
            g.config.seed
        );
    }
    sayln!(
        "start state ({}): identical to the status-quo run with seed {}",
        g.config.start,
        g.config.seed
    );
    for rec in &g.turns {
        let happened: Vec<String> = rec
            .result
            .events
            .iter()
            .filter(|d| d.count > 0)
            .map(|d| d.event.clone())
            .collect();
        sayln!(
            "turn {} ({}): identical ({} orders, {} overrides; events: {})",
            rec.turn,
            rec.date,
            rec.orders.len(),
            rec.overrides.len(),
            if happened.is_empty() {
                "none".into()
            } else {
                happened.join(", ")
            }
        );
    }
    sayln!(
        "replay OK: {} records, {} turns recomputed, pending orders for turn {}: {}",
        g.log.entries.len(),
        g.turns.len(),
        g.current_turn(),
        g.pending.len()
    );
    sayln!(
        "log head: record {}, hash {} (compare with the head you noted: an older one means a rolled-back log)",
        g.log.entries.len(),
        &g.log.last_hash()[..16]
    );
    Ok(())
}
