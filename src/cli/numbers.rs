//! Parsers for the whole-number options (`--trials`, `--seed`, `--threads`, `--samples`, …).
//!
//! Without them, `--trials -5` met clap's own reading of `-5` as an unknown flag and its tip to write `-- -5`,
//! which would have made `-5` the scenario path. Every numeric option therefore takes negative-looking values
//! (`allow_negative_numbers = true`) and, for whole numbers, hands them to one of these parsers, which says in
//! words what the option takes. The options that hold fractions keep clap's number parser and are checked by
//! their commands, which state the allowed range. Upper limits (at most 1,000,000,000 trials, 20 turns, …) and
//! other rules that depend on the command (an even number of Morris levels) stay with the commands, as does
//! `--trials 0`, refused with the whole range. (`--shard K/N` takes hyphen values for the same reason, so that
//! `--shard -1/2` reaches its own parser.)

/// A count such as threads, samples, replications or turns: a whole number of 1 or more. Upper limits are the
/// command's.
pub fn count<T: TryFrom<u64>>(text: &str) -> Result<T, String> {
    match whole(text, POSITIVE)? {
        0 => Err(format!("must be {POSITIVE}, not 0")),
        n => T::try_from(n).map_err(|_| format!("must be {POSITIVE}; {n} is too large")),
    }
}

/// `--trials`: a whole number; 0 and anything above the limit are refused by the command, which states the
/// range (`--trials must be between 1 and 1000000000`).
pub fn trials<T: TryFrom<u64>>(text: &str) -> Result<T, String> {
    let n = whole(text, POSITIVE)?;
    T::try_from(n).map_err(|_| format!("must be {POSITIVE}; {n} is too large"))
}

/// A count where 0 has a meaning (`--resamples 0` skips the stability check, `--box 0` is the first box).
pub fn zero_or_more<T: TryFrom<u64>>(text: &str) -> Result<T, String> {
    const WHAT: &str = "a whole number of 0 or more";
    let n = whole(text, WHAT)?;
    T::try_from(n).map_err(|_| format!("must be {WHAT}; {n} is too large"))
}

/// A master seed: any whole number from 0 to 2^64 − 1.
pub fn seed(text: &str) -> Result<u64, String> {
    whole(text, &format!("a whole number from 0 to {}", u64::MAX))
}

const POSITIVE: &str = "a positive whole number (1, 2, 3, …)";

/// Parse `text` as a whole number; otherwise say that the option must be `what`, and why the text is not.
fn whole(text: &str, what: &str) -> Result<u64, String> {
    let t = text.trim();
    let why = match t.parse::<u64>() {
        Ok(n) => return Ok(n),
        Err(_) if t.parse::<i128>().is_ok_and(|n| n < 0) => ", not negative",
        Err(_) if t.parse::<i128>().is_ok() => "; this one is too large",
        Err(_) if t.parse::<f64>().is_ok() => ", without a decimal point",
        Err(_) => " (digits only)",
    };
    Err(format!("must be {what}{why}"))
}

/// `--threads`: the option's value, or every core when it is not given (0 is refused).
pub fn threads(opt: Option<usize>) -> anyhow::Result<usize> {
    match opt {
        Some(0) => anyhow::bail!("--threads must be at least 1"),
        Some(t) => Ok(t),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_accepted_and_the_rest_explained() {
        assert_eq!(count::<u64>("5"), Ok(5));
        assert_eq!(
            count::<u64>("0"),
            Err("must be a positive whole number (1, 2, 3, …), not 0".into())
        );
        assert_eq!(trials::<u64>("0"), Ok(0), "the command states the range");
        assert_eq!(
            count::<u64>("-5"),
            Err("must be a positive whole number (1, 2, 3, …), not negative".into())
        );
        assert_eq!(trials::<u64>("-5"), count::<u64>("-5"));
        assert!(count::<u64>("2.5").unwrap_err().ends_with("without a decimal point"));
        assert!(count::<u64>("lots").unwrap_err().ends_with("(digits only)"));
        assert!(count::<u64>("99999999999999999999").unwrap_err().contains("too large"));
        assert!(count::<u32>("5000000000").unwrap_err().contains("too large"));
        assert_eq!(count::<usize>(" 7 "), Ok(7));
        assert_eq!(zero_or_more::<usize>("0"), Ok(0));
        assert!(
            zero_or_more::<usize>("-1")
                .unwrap_err()
                .contains("0 or more, not negative")
        );
        assert_eq!(seed("18446744073709551615"), Ok(u64::MAX));
        assert!(seed("-1").unwrap_err().contains("from 0 to"));
    }
}
