//! Numbers for people to read: charts, `summary.md`, `comparison.md`.
//!
//! One place decides how a number a reader sees looks, so that a chart and the
//! table beside it agree: about three significant digits, thousands separated
//! by commas, never scientific notation (`-7.48e-4` reads as a typo to most
//! readers), and "0" for zero — including floating-point noise such as
//! `2.57e-20` left over when two equal sums are subtracted, which is zero at
//! any precision the outcome is measured to. Machine-read files (CSV, JSON)
//! keep full precision and do not use this module.
//!
//! A difference and its interval are printed at one shared precision (the
//! decimals that show the largest of the three to three significant digits),
//! so `+0.0006 [-0.0090, +0.0100]` lines up and no endpoint looks more precise
//! than the others.

/// Significant digits of a number printed for a reader.
pub const SIG: usize = 3;

/// The most decimals ever printed; anything smaller than half of the last one
/// prints as 0. Outcomes are indices, counts, people and dollars: nothing a
/// reader compares lives below a millionth.
pub const MAX_DECIMALS: usize = 6;

/// Values at most this share of their reference scale are floating-point
/// noise (see [`denoise`]).
pub const NOISE: f64 = 1e-9;

/// Printed for NaN and infinities.
pub const MISSING: &str = "–";

/// `v`, or 0 if it is within [`NOISE`] × `scale` of zero: the residue of
/// subtracting equal sums in a different order. `scale` is the size of the
/// quantity `v` is measured against (an outcome's standard deviation, or the
/// largest of the numbers printed with it); a non-positive or non-finite scale
/// compares with 1.
pub fn denoise(v: f64, scale: f64) -> f64 {
    let scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
    if v.abs() <= NOISE * scale { 0.0 } else { v }
}

/// Decimals that show `scale` to `sig` significant digits (0 for numbers of
/// `sig` or more integer digits), at most [`MAX_DECIMALS`].
pub fn decimals_for(scale: f64, sig: usize) -> usize {
    let a = scale.abs();
    if !a.is_finite() || a == 0.0 {
        return 0;
    }
    let mag = a.log10().floor() as i64;
    (sig as i64 - 1 - mag).clamp(0, MAX_DECIMALS as i64) as usize
}

/// `v` with exactly `decimals` decimals and commas between thousands; "0"
/// (no sign, no decimals) when it rounds to zero; [`MISSING`] when it is not
/// finite.
pub fn fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return MISSING.to_string();
    }
    let s = format!("{:.*}", decimals, v.abs());
    if s.bytes().all(|b| b == b'0' || b == b'.') {
        return "0".to_string();
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::with_capacity(s.len() + int.len() / 3 + 1);
    if v < 0.0 {
        out.push('-');
    }
    out.push_str(&group_thousands(int));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// "1234567" → "1,234,567".
fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// [`fixed`] with an explicit "+" on positive values ("0" stays unsigned).
pub fn signed_fixed(v: f64, decimals: usize) -> String {
    let s = fixed(v, decimals);
    if v > 0.0 && s != "0" && s != MISSING {
        format!("+{s}")
    } else {
        s
    }
}

/// `v` to `sig` significant digits, without trailing zeros: 0.123456 →
/// "0.123", 2.0 → "2", 12345.6 → "12,346", 2.57e-20 → "0", 0 → "0".
/// Integer digits are never rounded away.
pub fn sig(v: f64, sig: usize) -> String {
    trim_zeros(fixed(v, decimals_for(v, sig)))
}

/// [`sig`] with [`SIG`] digits: the everyday "number for a reader".
pub fn num(v: f64) -> String {
    sig(v, SIG)
}

/// [`sig`] with an explicit "+" on positive values.
pub fn signed(v: f64, digits: usize) -> String {
    let s = sig(v, digits);
    if v > 0.0 && s != "0" && s != MISSING {
        format!("+{s}")
    } else {
        s
    }
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A share (0..=1) as a percentage: 0.0123 → "1.2%", 0.5 → "50%", 1 → "100%",
/// 0.0004 → "0.04%", 0 → "0%". Two significant digits below 10%, whole
/// percents above.
pub fn percent(p: f64) -> String {
    if !p.is_finite() {
        return MISSING.to_string();
    }
    let x = 100.0 * p;
    let s = if x.abs() >= 10.0 { fixed(x, 0) } else { sig(x, 2) };
    format!("{s}%")
}

/// A paired difference and its 95% interval, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffText {
    /// "+0.0123" (or "0").
    pub value: String,
    /// "[-0.0040, +0.0286]".
    pub interval: String,
}

/// A difference and its interval at one shared precision: the decimals that
/// show the largest magnitude of the three to [`SIG`] significant digits,
/// after [`denoise`] against `scale` (the outcome's standard deviation, or 0
/// for "use the numbers themselves"). All three are then noise-free and in
/// the same column of digits; a zero prints as "0".
pub fn diff_interval(diff: f64, lo: f64, hi: f64, scale: f64) -> DiffText {
    let own = [diff, lo, hi]
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let reference = if scale.is_finite() && scale > 0.0 { scale } else { own };
    let [d, l, h] = [diff, lo, hi].map(|v| denoise(v, reference));
    let largest = [d, l, h]
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let decimals = decimals_for(largest, SIG);
    DiffText {
        value: signed_fixed(d, decimals),
        interval: format!("[{}, {}]", signed_fixed(l, decimals), signed_fixed(h, decimals)),
    }
}

/// [`diff_interval`] of a difference of two probabilities, in percentage
/// points: 0.0123 → "+1.23 pp".
pub fn diff_interval_pp(diff: f64, lo: f64, hi: f64) -> DiffText {
    let t = diff_interval(100.0 * diff, 100.0 * lo, 100.0 * hi, 100.0);
    DiffText {
        value: format!("{} pp", t.value),
        interval: t.interval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_noise_print_as_zero() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(2.57e-20), "0");
        assert_eq!(signed(2.57e-20, 3), "0");
        assert_eq!(denoise(2.57e-20, 0.05), 0.0);
        assert_eq!(denoise(1e-4, 0.05), 1e-4);
        let t = diff_interval(2.57e-20, -0.005, 0.005, 0.2);
        assert_eq!(t.value, "0");
        assert_eq!(t.interval, "[-0.00500, +0.00500]");
        let t = diff_interval(0.0, 0.0, 0.0, 0.0);
        assert_eq!((t.value.as_str(), t.interval.as_str()), ("0", "[0, 0]"));
        // Noise relative to a large outcome scale.
        let t = diff_interval(3e-8, -2e-8, 8e-8, 500.0);
        assert_eq!((t.value.as_str(), t.interval.as_str()), ("0", "[0, 0]"));
    }

    #[test]
    fn small_values_have_no_exponent() {
        assert_eq!(num(-7.48e-4), "-0.000748");
        assert_eq!(num(3.84e-4), "0.000384");
        assert_eq!(num(4e-9), "0");
        let t = diff_interval(-7.48e-4, -3.84e-4 * 3.0, 3.84e-4, 0.0);
        assert_eq!(t.value, "-0.00075");
        assert_eq!(t.interval, "[-0.00115, +0.00038]");
        for v in [1e-3, 1e-5, 1e-7, 1e-12, 1e-300, 5e-324] {
            for s in [
                num(v),
                num(-v),
                signed(v, 3),
                percent(v),
                diff_interval(v, -v, v, 0.0).interval,
            ] {
                assert!(!s.contains('e'), "{v} printed as {s}");
            }
        }
    }

    #[test]
    fn negatives_and_signs() {
        assert_eq!(num(-2.71234), "-2.71");
        assert_eq!(signed(0.25, 3), "+0.25");
        assert_eq!(signed(-2.0, 3), "-2");
        assert_eq!(signed_fixed(-0.0004, 3), "0");
        assert_eq!(fixed(-0.0004, 3), "0");
        assert_eq!(fixed(-1.5, 1), "-1.5");
    }

    #[test]
    fn large_values_get_thousands_separators() {
        assert_eq!(num(12345.6), "12,346");
        assert_eq!(num(-1234.0), "-1,234");
        assert_eq!(num(999.96), "1,000");
        assert_eq!(num(1_234_567.0), "1,234,567");
        assert_eq!(num(123.456), "123");
        assert_eq!(fixed(1234.5678, 2), "1,234.57");
        assert_eq!(num(f64::NAN), MISSING);
        assert_eq!(num(f64::INFINITY), MISSING);
    }

    #[test]
    fn intervals_share_one_precision() {
        let t = diff_interval(6.0e-4, -0.009, 0.010, 0.0);
        assert_eq!(t.value, "+0.0006");
        assert_eq!(t.interval, "[-0.0090, +0.0100]");
        let t = diff_interval(-96.4, -99.7, -93.1, 150.0);
        assert_eq!((t.value.as_str(), t.interval.as_str()), ("-96.4", "[-99.7, -93.1]"));
        let t = diff_interval(1500.0, 1490.4, 1510.2, 0.0);
        assert_eq!((t.value.as_str(), t.interval.as_str()), ("+1,500", "[+1,490, +1,510]"));
        let t = diff_interval_pp(-0.008, -0.016, -0.004);
        assert_eq!((t.value.as_str(), t.interval.as_str()), ("-0.80 pp", "[-1.60, -0.40]"));
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(0.0123), "1.2%");
        assert_eq!(percent(0.5), "50%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.0004), "0.04%");
        assert_eq!(percent(f64::NAN), MISSING);
    }

    #[test]
    fn decimals_follow_magnitude() {
        assert_eq!(decimals_for(0.0123, 3), 4);
        assert_eq!(decimals_for(1.0, 3), 2);
        assert_eq!(decimals_for(150.0, 3), 0);
        assert_eq!(decimals_for(1e-12, 3), MAX_DECIMALS);
        assert_eq!(decimals_for(0.0, 3), 0);
    }
}
