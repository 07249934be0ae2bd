//! `greatgame serve`: the classroom wargame in the browser, and the Explore page (see docs/instructor-guide.md).

use crate::wargame::keys::Credentials;
use anyhow::{Result, bail};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Game folder made by `greatgame wargame new`; or a new or empty folder, to make the game in the browser
    /// (the white cell's set-up page). Without it, `serve` serves the Explore page alone (for analysts:
    /// packages against the baseline in the browser).
    #[arg(long)]
    pub game: Option<PathBuf>,
    /// The scenario the server offers (default: the built-in scenario): without --game, the one the Explore
    /// page runs; with --game on a new or empty folder, the one the set-up page makes the game on. A game that
    /// exists already has its own copy, which both its pages use.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Address and port to listen on. The default answers this machine only; `0.0.0.0:8080` serves the
    /// classroom network.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub bind: SocketAddr,
    /// White-cell key file written by `wargame new --key-out` (or set GREATGAME_WHITECELL_KEY). For a game made
    /// in the browser, a file that does not exist yet is created (outside the game folder; never overwritten).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

pub fn execute(args: &ServeArgs) -> Result<()> {
    let Some(game) = &args.game else {
        return crate::serve::explore::serve_alone(args.scenario.as_deref(), args.bind);
    };
    let creds = Credentials::from_args(args.key.as_deref(), None);
    let Some(key_file) = creds.key.clone() else {
        // The same refusal as every white-cell command.
        return creds.white_key("`serve`").map(drop);
    };
    // A folder without a game: the set-up page makes it on this scenario (announced as every command does;
    // checked before a key file is made for it).
    let offer = if game.join(crate::wargame::log::LOG_FILE).exists() {
        if let Some(s) = &args.scenario {
            bail!(
                "--scenario {}: the game in {} already has its scenario ({}); drop --scenario to serve it, or give \
                 a new or empty folder to make a game on this scenario",
                s.display(),
                game.display(),
                crate::wargame::SCENARIO_FILE
            );
        }
        None
    } else {
        let o = crate::serve::setup::Offer::new(game, args.scenario.as_deref())?;
        super::which_scenario::announce(args.scenario.as_deref(), &o.origin, &o.sha256, "serve", false);
        Some(o)
    };
    let (key, made) = crate::serve::setup::key_for(game, &key_file)?;
    if made {
        println!(
            "White-cell key written to {} (keep it OFF the shared drive; the game made in the browser uses it).",
            key_file.display()
        );
    }
    crate::serve::run(crate::serve::ServeOptions {
        game: game.clone(),
        bind: args.bind,
        key,
        key_file,
        scenario: args.scenario.clone(),
        offer,
    })
}
