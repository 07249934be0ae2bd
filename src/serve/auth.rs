//! Who is asking: every page's URL carries a token, and the server compares it with the token of the team (or
//! white cell) the URL names.
//!
//! Tokens are derived from the white-cell key with HKDF (`WhiteKey::serve_token`), in their own domain: they
//! are 160-bit, unguessable, identical after a restart (the URLs handed out at the start of class keep working
//! after a crash), and need nothing stored beside the game. A token opens pages on this server only: it is not
//! the team's passphrase and opens nothing in the game folder. Comparison is in constant time.

use crate::wargame::keys::WhiteKey;
use std::collections::BTreeMap;

/// The reader name of the white cell in tokens and live updates.
pub const WHITE_CELL: &str = "white cell";

/// The tokens of one game.
#[derive(Clone)]
pub struct Tokens {
    teams: BTreeMap<String, String>,
    white: String,
}

/// Equal in time independent of where the first difference is.
fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Tokens {
    pub fn derive(key: &WhiteKey, seed: u64, teams: &[String]) -> Tokens {
        Tokens {
            teams: teams
                .iter()
                .map(|t| (t.clone(), key.serve_token(seed, &format!("team|{t}"))))
                .collect(),
            white: key.serve_token(seed, WHITE_CELL),
        }
    }

    /// Team `team`'s token.
    pub fn team(&self, team: &str) -> Option<&str> {
        self.teams.get(team).map(String::as_str)
    }

    pub fn white(&self) -> &str {
        &self.white
    }

    /// Whether `token` is team `team`'s (false for another team's, the white cell's, or an unknown team).
    pub fn is_team(&self, team: &str, token: &str) -> bool {
        // Compare against every team so that the time taken does not tell whether `team` exists.
        let mut ok = false;
        for (t, tok) in &self.teams {
            ok |= ct_eq(tok, token) & (t == team);
        }
        ok
    }

    pub fn is_white(&self, token: &str) -> bool {
        ct_eq(&self.white, token)
    }
}

/// Whether `token` opens the white cell's set-up page (see `setup.rs`).
pub fn is_setup(key: &WhiteKey, token: &str) -> bool {
    ct_eq(&key.setup_token(), token)
}
