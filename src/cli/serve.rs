//! `greatgame serve`: the classroom wargame in the browser (see docs/instructor-guide.md).

use crate::wargame::keys::Credentials;
use anyhow::Result;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Game folder made by `greatgame wargame new`; or a new or empty folder, to make the game in the browser
    /// (the white cell's set-up page).
    #[arg(long)]
    pub game: PathBuf,
    /// Address and port to listen on. The default answers this machine only; `0.0.0.0:8080` serves the
    /// classroom network.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub bind: SocketAddr,
    /// White-cell key file written by `wargame new --key-out` (or set GREATGAME_WHITECELL_KEY). For a game made
    /// in the browser, a file that does not exist yet is created (outside the game folder; never overwritten).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Scenario file of a game made in the browser (default: the built-in scenario).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}

pub fn execute(args: &ServeArgs) -> Result<()> {
    let creds = Credentials::from_args(args.key.as_deref(), None);
    let Some(key_file) = creds.key.clone() else {
        // The same refusal as every white-cell command.
        return creds.white_key("`serve`").map(drop);
    };
    // A folder without a game: the set-up page makes it on this scenario (announced as every command does;
    // checked before a key file is made for it).
    let offer = if args.game.join(crate::wargame::log::LOG_FILE).exists() {
        None
    } else {
        let o = crate::serve::setup::Offer::new(&args.game, args.scenario.as_deref())?;
        super::which_scenario::announce(args.scenario.as_deref(), &o.origin, &o.sha256, "serve", false);
        Some(o)
    };
    let (key, made) = crate::serve::setup::key_for(&args.game, &key_file)?;
    if made {
        println!(
            "White-cell key written to {} (keep it OFF the shared drive; the game made in the browser uses it).",
            key_file.display()
        );
    }
    crate::serve::run(crate::serve::ServeOptions {
        game: args.game.clone(),
        bind: args.bind,
        key,
        key_file,
        scenario: args.scenario.clone(),
        offer,
    })
}
