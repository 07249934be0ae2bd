//! The classroom wargame: teams play some actors turn by turn, the model
//! plays the rest and adjudicates, and the debrief separates luck from choice.
//!
//! A game is a folder holding a copy of the scenario and an append-only,
//! hash-chained log (`log.rs`); the state is always rebuilt from the log
//! (`game.rs`). Every turn's dice come from a seed derived from (game seed,
//! turn) alone, so a game interrupted between commands, or replayed from its
//! log, rolls exactly the same dice. See docs/instructor-guide.md.

pub mod adjudicate;
pub mod brief;
pub mod commands;
pub mod debrief;
pub mod desk;
pub mod game;
pub mod keys;
pub mod log;
pub mod messages;
pub mod orders;
pub mod play;
pub mod preview;
pub mod setup;
pub mod team_view;
pub mod view;
pub mod visibility;

use crate::model::sim::stream_seed;

/// The copy of the scenario inside a game folder.
pub const SCENARIO_FILE: &str = "scenario.ron";

/// Trial index reserved for the played game's own dice (the Monte Carlo
/// continuations use trial indices 0.. with other stream ids).
const GAME_TRIAL: u64 = u64::MAX;

/// Seed of game turn `turn`'s dice.
pub fn turn_seed(seed: u64, turn: u32) -> u64 {
    stream_seed(seed, GAME_TRIAL, 16 + turn as u64)
}

/// Seed of sample `j`'s dice at game turn `turn` for purpose `purpose`
/// (preview, continuation, luck-versus-choice): independent of the game's own
/// dice, common to every set of orders compared at that turn.
pub fn sample_seed(seed: u64, purpose: Purpose, j: u64, turn: u32) -> u64 {
    stream_seed(seed, j, (purpose as u64) * 1_000_000 + turn as u64)
}

#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    Preview = 1,
    Continuation = 2,
    LuckChoice = 3,
}

/// Seed of team `team`'s estimate of variable `var` at game turn `turn`.
pub fn estimate_seed(seed: u64, turn: u32, team: usize, var: usize) -> u64 {
    stream_seed(
        seed ^ 0x5EE5_0000_0000_0000,
        (team as u64) << 32 | var as u64,
        4_000_000 + turn as u64,
    )
}
