//! `greatgame serve`: the classroom wargame in the browser (see docs/instructor-guide.md).

use crate::wargame::keys::Credentials;
use anyhow::Result;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Game folder made by `greatgame wargame new`.
    #[arg(long)]
    pub game: PathBuf,
    /// Address and port to listen on. The default answers this machine only; `0.0.0.0:8080` serves the
    /// classroom network.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub bind: SocketAddr,
    /// White-cell key file written by `wargame new --key-out` (or set GREATGAME_WHITECELL_KEY).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

pub fn execute(args: &ServeArgs) -> Result<()> {
    let key = Credentials::from_args(args.key.as_deref(), None).white_key("`serve`")?;
    crate::serve::run(crate::serve::ServeOptions {
        game: args.game.clone(),
        bind: args.bind,
        key,
    })
}
