//! Citations inside a scenario's strings: `[key]` names an entry of the `sources`
//! section, so a reader of any output can look the work up in full.
//!
//! The RON parser keeps no positions, so citations are found by scanning the
//! file's text: inside string literals only (not comments), every `[word]`
//! whose word is a source key's shape (lower-case letters, digits and `-`,
//! starting with a letter) is a citation. The scan gives byte offsets, which
//! the compiler turns into file:line:col diagnostics for unknown keys.

use super::diagnostics::{Diagnostic, SourceFile, closest};

/// A diagnostic, with a "did you mean" hint, for every `[key]` in `src`'s strings
/// that is not one of `keys` (the scenario's `sources`).
pub fn unknown(src: &SourceFile, keys: &[String]) -> Vec<Diagnostic> {
    find(src.text)
        .into_iter()
        .filter(|(_, key)| !keys.iter().any(|k| k == key))
        .map(|(off, key)| {
            let hint = closest(key, keys)
                .map(|k| format!("did you mean `[{k}]`?"))
                .unwrap_or_else(|| {
                    if keys.is_empty() {
                        "declare the work in the scenario's `sources` section, or drop the brackets".into()
                    } else {
                        format!(
                            "declare it in the scenario's `sources`; known sources: {}",
                            keys.join(", ")
                        )
                    }
                });
            src.at(Some(off), format!("unknown source `[{key}]` cited"), Some(hint))
        })
        .collect()
}

/// Whether `key` has the shape of a source key: `rubin-2024`, `acled`.
pub fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !key.ends_with('-')
}

/// The keys cited as `[key]` in one string's contents (a passage or `source`).
pub fn in_text(s: &str) -> Vec<&str> {
    s.split('[')
        .skip(1)
        .filter_map(|rest| rest.split_once(']').map(|(k, _)| k))
        .filter(|k| is_key(k))
        .collect()
}

/// Every `[key]` citation inside the string literals of `text`, with the byte
/// offset of the key's first character.
pub fn find(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                b'[' => {
                    if let Some(len) = text[i + 1..].find(']') {
                        let key = &text[i + 1..i + 1 + len];
                        if is_key(key) {
                            out.push((i + 1, key));
                            i += len + 1;
                        }
                    }
                }
                _ => {}
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            i += text[i..].find('\n').unwrap_or(text.len() - i);
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_in_strings_only() {
        let t = r#"// see [not-this]
(source: "[rubin-2024]: vacuum; [record] A, [x y]", list: [a], esc: "\"[safian-2023]\"")"#;
        let keys: Vec<&str> = find(t).into_iter().map(|(_, k)| k).collect();
        assert_eq!(keys, ["rubin-2024", "record", "safian-2023"]);
        let (off, k) = find(t)[0];
        assert_eq!(&t[off..off + k.len()], "rubin-2024");
    }

    #[test]
    fn keys_in_one_string() {
        assert_eq!(in_text("[rubin-2024] and [record] A; [0,1]"), ["rubin-2024", "record"]);
        assert!(in_text("judgement").is_empty());
    }

    #[test]
    fn key_shape() {
        assert!(is_key("acled"));
        assert!(is_key("justsecurity-2022"));
        assert!(!is_key("2022"));
        assert!(!is_key("Rubin"));
        assert!(!is_key("a b"));
        assert!(!is_key("a-"));
        assert!(!is_key(""));
    }
}
