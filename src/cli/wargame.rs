//! `greatgame wargame ...`: the classroom wargame (see docs/instructor-guide.md).

use crate::wargame::commands;
use crate::wargame::game::Game;
use crate::wargame::keys::Credentials;
use crate::wargame::setup::{NewOptions, create};
use crate::wargame::{play, preview, view};
use anyhow::Result;
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
        /// Let the status-quo history to the start run free instead of anchoring it to the known present
        /// (`<scenario>.present.ron`, docs/present.md), as `run --free-history`. Games that start before the
        /// decision date always run free: they play through the known years.
        #[arg(long)]
        free_history: bool,
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
    /// Read messages: a team its own (sent and received) with its passphrase; the white cell, with its key and
    /// no --team, every message.
    Messages {
        #[arg(long)]
        game: PathBuf,
        /// The team whose messages to read (omit with the white-cell key: every message).
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        who: Who,
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

/// Print to standard output; a closed pipe (`... | head`) is not an error
/// worth a panic: the command's work is already saved.
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
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
            free_history,
        } => {
            let made = create(&NewOptions {
                free_history: *free_history,
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
            super::which_scenario::announce(
                scenario.as_deref(),
                &cfg.scenario_origin,
                &cfg.scenario_sha256,
                "wargame new",
                false,
            );
            say(&commands::created_text(&made, game, key_out.as_deref()));
        }
        WargameCommand::Orders {
            game,
            team,
            set,
            action,
            who,
        } => say(&commands::orders(game, team, set, action, &who.credentials())?),
        WargameCommand::View { game, team, who } => say(&view::view_as(game, team, &who.credentials())?),
        WargameCommand::Messages { game, team, who } => {
            say(&commands::messages(game, team.as_deref(), &who.credentials())?)
        }
        WargameCommand::Status { game, white } => say(&commands::status(
            game,
            &Credentials::from_args(white.key.as_deref(), None),
        )?),
        WargameCommand::Passphrases { game, white } => {
            say(&commands::passphrases(&white.open(game, "printing the passphrases")?))
        }
        WargameCommand::Preview { game, samples, white } => {
            commands::check_samples("--samples", *samples)?;
            say(&preview::preview(&white.open(game, "`preview`")?, *samples)?)
        }
        WargameCommand::Adjudicate {
            game,
            white,
            overrides,
            reasons,
            no_charts,
        } => {
            let mut g = white.open(game, "`adjudicate`")?;
            let (_, report, charts) = commands::adjudicate(&mut g, overrides, reasons, !*no_charts)?;
            say(&report);
            for png in charts.iter().filter(|p| p.extension().is_some_and(|e| e == "png")) {
                say(&format!("Chart for the projector: {}\n", png.display()));
            }
        }
        WargameCommand::Report {
            game,
            white,
            out,
            continuations,
            samples,
        } => {
            commands::check_samples("--continuations", *continuations)?;
            commands::check_samples("--samples", *samples)?;
            let dir = commands::report(&white.open(game, "`report`")?, out.as_deref(), *continuations, *samples)?;
            say(&format!("After-action review: {}\n", dir.join("report.html").display()));
        }
        WargameCommand::Play { game, white } => {
            let key = Credentials::from_args(white.key.as_deref(), None).white_key("`play` (the hot-seat loop)")?;
            play::run(game, &key, &mut std::io::stdin().lock(), &mut std::io::stdout())?
        }
        WargameCommand::Replay { game, white } => say(&commands::replay(&white.open(game, "`replay`")?)?),
    }
    Ok(())
}
