//! The game's secrets: the white cell's key, the teams' passphrases, and
//! sealing (authenticated encryption) of what each may read.
//!
//! Why: the game folder usually sits on a shared drive that every student
//! can read. Pending orders are sealed to their team, the hidden truth (the
//! game seed, the start state, every adjudicated turn's dice and state) to
//! the white cell, and each team's brief (its view, with its estimates of the
//! hidden variables) to that team. Nothing a team can read lets it compute
//! another team's orders or the truth.
//!
//! Keys: the white-cell key is 32 random bytes from the operating system,
//! kept in a key file the instructor holds off the shared drive. A team's
//! passphrase is 120 bits derived from the white-cell key, the game seed and
//! the team (HKDF-SHA256), printed as six groups of four base32 letters, so
//! the white cell can always re-derive it (and open every team's orders)
//! while a team cannot go the other way. Because every secret is
//! high-entropy random, HKDF-SHA256 is the right key derivation (a slow
//! password hash protects guessable passwords, which these are not).
//! Sealing is XChaCha20-Poly1305 with a synthetic nonce (HMAC-SHA256 of the
//! context and the message under a separate key): the same game and the
//! same orders give the same log bytes, which keeps the log deterministic,
//! and a nonce is never reused for two different messages.

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::path::{Path, PathBuf};

/// Environment variable naming the white-cell key file.
pub const KEY_ENV: &str = "GREATGAME_WHITECELL_KEY";
/// Environment variable holding a team's passphrase.
pub const PASSPHRASE_ENV: &str = "GREATGAME_PASSPHRASE";

const KEY_FILE_TAG: &str = "greatgame-wargame-whitecell-key-v1:";
const B32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const PASS_BYTES: usize = 15;
/// Sealed values are padded to a multiple of this many bytes.
const PAD: usize = 1024;

fn hkdf(ikm: &[u8], info: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"greatgame wargame v1"), ikm)
        .expand(info.as_bytes(), &mut out)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decode base32, forgiving case, spaces, hyphens and the digits people
/// type for look-alike letters (0 for o, 1 for l, 8 for b).
fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.chars() {
        let c = match c.to_ascii_lowercase() {
            ' ' | '-' | '\t' => continue,
            '0' => 'o',
            '1' => 'l',
            '8' => 'b',
            c => c,
        };
        let v = B32.iter().position(|x| *x as char == c)? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// A key that seals and opens records for one reader.
#[derive(Clone)]
pub struct SealKey {
    enc: [u8; 32],
    nonce: [u8; 32],
    /// Who can open: "white cell" or "team TEAM" (for messages).
    pub reader: String,
}

impl SealKey {
    fn derive(ikm: &[u8], scope: &str, reader: String) -> SealKey {
        SealKey {
            enc: hkdf(ikm, &format!("seal|{scope}")),
            nonce: hkdf(ikm, &format!("nonce|{scope}")),
            reader,
        }
    }
}

/// A sealed value as stored in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sealed {
    pub nonce: String,
    pub ct: String,
}

/// Seal `value` for `key`'s reader; `context` (record kind, turn, team) is
/// authenticated, so a sealed value cannot be moved to another record.
pub fn seal<T: Serialize>(key: &SealKey, context: &str, value: &T) -> Result<Sealed> {
    let mut msg = serde_json::to_vec(value)?;
    // Padded with JSON whitespace to whole blocks: the size of a sealed order
    // must not tell `hold` from `cross_border_strikes`.
    msg.resize(msg.len().div_ceil(PAD) * PAD, b' ');
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.nonce).expect("HMAC takes any key length");
    mac.update(context.as_bytes());
    mac.update(&[0]);
    mac.update(&msg);
    let tag = mac.finalize().into_bytes();
    let nonce = XNonce::from_slice(&tag[..24]);
    let ct = XChaCha20Poly1305::new((&key.enc).into())
        .encrypt(
            nonce,
            Payload {
                msg: &msg,
                aad: context.as_bytes(),
            },
        )
        .map_err(|_| anyhow!("sealing failed"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(Sealed {
        nonce: b64.encode(nonce),
        ct: b64.encode(ct),
    })
}

/// Open a sealed value; an error if `key` is not its reader's key or the
/// value was changed (or moved from another record).
pub fn open<T: DeserializeOwned>(key: &SealKey, context: &str, s: &Sealed) -> Result<T> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let nonce = b64.decode(&s.nonce).ok().filter(|n| n.len() == 24);
    let ct = b64.decode(&s.ct).ok();
    let (Some(nonce), Some(ct)) = (nonce, ct) else {
        bail!("a sealed value for the {} is malformed", key.reader);
    };
    let msg = XChaCha20Poly1305::new((&key.enc).into())
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ct,
                aad: context.as_bytes(),
            },
        )
        .map_err(|_| {
            anyhow!(
                "a sealed value ({context}) does not open with the key of the {}: it was sealed for someone else, \
                 or forged or changed",
                key.reader
            )
        })?;
    serde_json::from_slice(&msg).with_context(|| format!("a sealed value ({context}) is not valid"))
}

/// The white cell's key: opens everything in the game.
#[derive(Clone)]
pub struct WhiteKey {
    secret: [u8; 32],
}

impl WhiteKey {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> Result<WhiteKey> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| anyhow!("the operating system gave no random bytes for the key: {e}"))?;
        Ok(WhiteKey { secret })
    }

    /// Read a key file written by `wargame new --key-out`.
    pub fn read(path: &Path) -> Result<WhiteKey> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "reading the white-cell key {} (the file `wargame new --key-out` wrote)",
                path.display()
            )
        })?;
        let secret = text
            .lines()
            .find_map(|l| l.trim().strip_prefix(KEY_FILE_TAG))
            .and_then(unbase32)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                anyhow!(
                    "{} is not a white-cell key file (it lacks a line `{KEY_FILE_TAG}…` with 52 base32 letters)",
                    path.display()
                )
            })?;
        Ok(WhiteKey { secret })
    }

    /// Write the key to a new file `path` (never over an existing file), readable by its owner only.
    pub fn write_new(&self, path: &Path, game: &Path) -> Result<()> {
        let text = format!(
            "# greatgame wargame white-cell key for the game in {}.\n\
             # Keep this file OFF the shared drive: whoever holds it can read every team's orders and the\n\
             # hidden truth, and print the teams' passphrases (`greatgame wargame passphrases`).\n\
             {KEY_FILE_TAG}{}\n",
            game.display(),
            base32(&self.secret)
        );
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow!(
                    "--key-out {}: the file exists; greatgame never overwrites a key (use it with --key, or name a new file)",
                    path.display()
                )
            } else {
                anyhow!("--key-out {}: {e}", path.display())
            }
        })?;
        use std::io::Write;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Seals the hidden truth.
    pub fn seal_key(&self) -> SealKey {
        SealKey::derive(&self.secret, "white cell", "white cell".into())
    }

    /// Public check value: a key is the game's key when its check matches the log's.
    pub fn check(&self) -> String {
        hex(&hkdf(&self.secret, "check|white cell"))
    }

    /// The web token of `who` (a team id, or `white cell`) for `greatgame serve` in the game with seed `seed`:
    /// 160 bits derived like the passphrases but in their own domain, so a URL seen over a shoulder or kept in
    /// a browser's history opens the team's pages on the server and nothing in the game folder. Derived, not
    /// stored: a restarted server hands out the same URLs, and nothing more needs keeping secret than the key.
    pub fn serve_token(&self, seed: u64, who: &str) -> String {
        base32(&hkdf(&self.secret, &format!("serve-token|{seed}|{who}"))[..20])
    }

    /// The web token of the white cell's set-up page (`greatgame serve` on a folder without a game yet): in its
    /// own domain, since no seed exists before the game does. After the game is made it only leads to the white
    /// cell's page.
    pub fn setup_token(&self) -> String {
        base32(&hkdf(&self.secret, "serve-token|setup")[..20])
    }

    /// Team `team`'s passphrase in the game with seed `seed`.
    pub fn passphrase(&self, seed: u64, team: &str) -> Passphrase {
        let okm = hkdf(&self.secret, &format!("passphrase|{seed}|{team}"));
        let mut bytes = [0u8; PASS_BYTES];
        bytes.copy_from_slice(&okm[..PASS_BYTES]);
        Passphrase { bytes }
    }
}

/// A team's passphrase.
#[derive(Clone, PartialEq)]
pub struct Passphrase {
    bytes: [u8; PASS_BYTES],
}

impl Passphrase {
    /// Parse a passphrase as typed (case, spaces and hyphens do not matter).
    pub fn parse(text: &str) -> Result<Passphrase> {
        let bytes = unbase32(text)
            .and_then(|b| <[u8; PASS_BYTES]>::try_from(b).ok())
            .ok_or_else(|| {
                anyhow!(
                    "that is not a passphrase of this tool: a passphrase is 24 letters and digits 2-7, \
                     written in six groups like `abcd-efgh-ijkl-mnop-qrst-uvwx`"
                )
            })?;
        Ok(Passphrase { bytes })
    }

    /// Six groups of four letters.
    pub fn show(&self) -> String {
        let s = base32(&self.bytes);
        s.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Seals the team's orders and briefs.
    pub fn seal_key(&self, team: &str) -> SealKey {
        SealKey::derive(&self.bytes, &format!("team|{team}"), format!("team `{team}`"))
    }

    /// Public check value for team `team`.
    pub fn check(&self, team: &str) -> String {
        hex(&hkdf(&self.bytes, &format!("check|team|{team}")))
    }
}

/// Credentials a command was given.
#[derive(Clone, Default)]
pub struct Credentials {
    pub key: Option<PathBuf>,
    pub passphrase: Option<String>,
}

impl Credentials {
    /// From the command line, else the environment (`GREATGAME_WHITECELL_KEY`, `GREATGAME_PASSPHRASE`).
    pub fn from_args(key: Option<&Path>, passphrase: Option<&str>) -> Credentials {
        let nonempty = |v: String| (!v.trim().is_empty()).then_some(v);
        Credentials {
            key: key
                .map(Path::to_path_buf)
                .or_else(|| std::env::var(KEY_ENV).ok().and_then(nonempty).map(PathBuf::from)),
            passphrase: passphrase
                .map(str::to_string)
                .or_else(|| std::env::var(PASSPHRASE_ENV).ok().and_then(nonempty)),
        }
    }

    /// The white-cell key, or an error saying how to give it.
    pub fn white_key(&self, what: &str) -> Result<WhiteKey> {
        match &self.key {
            Some(p) => WhiteKey::read(p),
            None => bail!(
                "{what} is for the white cell only: give the white-cell key file with --key FILE (or set {KEY_ENV}); \
                 it was written by `wargame new --key-out`"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trips_and_forgives_typing() {
        for n in [0usize, 1, 5, 15, 32] {
            let bytes: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
            assert_eq!(unbase32(&base32(&bytes)).unwrap(), bytes);
        }
        let key = WhiteKey { secret: [7; 32] };
        let p = key.passphrase(42, "us");
        let shown = p.show();
        assert_eq!(shown.len(), 29, "{shown}");
        assert!(Passphrase::parse(&shown.to_uppercase().replace('-', " ")).unwrap() == p);
        assert!(key.passphrase(42, "taliban") != p && key.passphrase(43, "us") != p);
        assert!(Passphrase::parse("not a passphrase").is_err());
    }

    #[test]
    fn sealed_values_open_only_for_their_reader_and_context() {
        let key = WhiteKey { secret: [9; 32] };
        let us = key.passphrase(1, "us").seal_key("us");
        let tb = key.passphrase(1, "taliban").seal_key("taliban");
        let s = seal(&us, "orders|1|us", &("hold", 3)).unwrap();
        assert_eq!(s, seal(&us, "orders|1|us", &("hold", 3)).unwrap(), "deterministic");
        assert_ne!(s.nonce, seal(&us, "orders|1|us", &("hold", 4)).unwrap().nonce);
        let back: (String, i32) = open(&us, "orders|1|us", &s).unwrap();
        assert_eq!(back, ("hold".to_string(), 3));
        assert!(
            open::<(String, i32)>(&tb, "orders|1|us", &s).is_err(),
            "another team's key"
        );
        assert!(
            open::<(String, i32)>(&us, "orders|2|us", &s).is_err(),
            "moved to another turn"
        );
        assert!(open::<(String, i32)>(&key.seal_key(), "orders|1|us", &s).is_err());
        // The size does not give the content away.
        let short = seal(&us, "orders|1|us", &"hold").unwrap();
        let long = seal(&us, "orders|1|us", &"cross_border_strikes with a longer id").unwrap();
        assert_eq!(short.ct.len(), long.ct.len());
    }
}
