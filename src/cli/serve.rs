//! `greatgame serve`: the classroom wargame in the browser (see docs/instructor-guide.md).

use crate::wargame::keys::Credentials;
use anyhow::Result;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Game folder made by `greatgame wargame new`. Without it, `serve` serves the Explore page alone (for
    /// analysts: packages against the baseline in the browser).
    #[arg(long)]
    pub game: Option<PathBuf>,
    /// Scenario the Explore page runs when serving without --game (default: the built-in scenario). With
    /// --game, the Explore page runs the game's published scenario copy.
    #[arg(long, value_name = "FILE", conflicts_with = "game")]
    pub scenario: Option<PathBuf>,
    /// Address and port to listen on. The default answers this machine only; `0.0.0.0:8080` serves the
    /// classroom network.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub bind: SocketAddr,
    /// White-cell key file written by `wargame new --key-out` (or set GREATGAME_WHITECELL_KEY).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

pub fn execute(args: &ServeArgs) -> Result<()> {
    let Some(game) = &args.game else {
        return crate::serve::explore::serve_alone(args.scenario.as_deref(), args.bind);
    };
    let key = Credentials::from_args(args.key.as_deref(), None).white_key("`serve`")?;
    crate::serve::run(crate::serve::ServeOptions {
        game: game.clone(),
        bind: args.bind,
        key,
    })
}
