//! "Did you mean" for mistyped subcommands.
//!
//! clap suggests a subcommand only when its Jaro similarity to what was typed exceeds 0.7, and for short words
//! with swapped letters it does not: `rnu` scores 0.56 against `run` (Jaro only matches letters within
//! ⌊3/2⌋ − 1 = 0 places of each other), so `greatgame rnu` got no hint. Where clap found nothing, this adds the
//! closest subcommand by edit distance (swaps count once), the rule the scenario diagnostics use for names.

use super::Cli;
use crate::scenario::diagnostics::closest;
use clap::CommandFactory;
use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Parse the command line like `Cli::parse`, with the better subcommand suggestion; exits on an error.
pub fn parse() -> Cli {
    use clap::Parser;
    Cli::try_parse().unwrap_or_else(|e| suggest(e, std::env::args_os().skip(1)).exit())
}

/// Add the closest subcommand to an "unrecognized subcommand" error that has no suggestion. `args` is the
/// command line without the program name; it says which command (`greatgame`, `greatgame wargame`) the typo was
/// given to.
pub fn suggest(mut error: clap::Error, args: impl IntoIterator<Item = std::ffi::OsString>) -> clap::Error {
    if error.kind() != ErrorKind::InvalidSubcommand || error.get(ContextKind::SuggestedSubcommand).is_some() {
        return error;
    }
    let Some(ContextValue::String(typed)) = error.get(ContextKind::InvalidSubcommand) else {
        return error;
    };
    let typed = typed.clone();
    let mut cmd = Cli::command();
    for arg in args {
        let arg = arg.to_string_lossy();
        if arg == typed {
            break;
        }
        if let Some(sub) = cmd.find_subcommand(arg.as_ref()) {
            cmd = sub.clone();
        }
    }
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    if let Some(best) = closest(&typed, &names) {
        error.insert(
            ContextKind::SuggestedSubcommand,
            ContextValue::Strings(vec![best.to_string()]),
        );
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn rendered(args: &[&str]) -> String {
        let e = Cli::try_parse_from(args).unwrap_err();
        suggest(e, args[1..].iter().map(Into::into)).to_string()
    }

    #[test]
    fn swapped_letters_get_the_subcommand() {
        assert!(rendered(&["greatgame", "rnu"]).contains("similar subcommand exists: 'run'"));
        // Nested: the candidates are the wargame's subcommands (clap's own suggestion, where it has one, stays).
        assert!(rendered(&["greatgame", "wargame", "veiw"]).contains("'view'"));
        assert!(rendered(&["greatgame", "wargame", "reprot"]).contains("'report'"));
        assert!(!rendered(&["greatgame", "zzzzzz"]).contains("similar subcommand"));
    }
}
