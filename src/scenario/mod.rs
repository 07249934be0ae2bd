//! Scenario files: reading, checking and compiling them into a [`Model`].
//!
//! The model is data: an instructor edits a copy of the scenario (`greatgame
//! init` writes one) and runs it by path without recompiling. The default
//! scenario is embedded in the binary so `greatgame run` works from any
//! directory; the commands say which one they used (`cli::which_scenario`).

pub mod citations;
pub mod compile;
pub mod copies;
pub mod diagnostics;
pub mod expr;
pub mod locate;
pub mod register;
pub mod schema;
pub mod which;

use crate::model::Model;
use diagnostics::{ScenarioError, SourceFile};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The default scenario's text, embedded at build time.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/afghanistan.ron");
/// The name shown for the embedded scenario in messages and manifests: plainly not a path, so that nobody takes
/// it for the file `scenarios/afghanistan.ron` they may have edited (`greatgame init` writes an editable copy).
pub const DEFAULT_NAME: &str = "built-in afghanistan";

/// A loaded scenario: the compiled model plus what the manifest needs.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub model: Model,
    /// Where it came from (a path, or the built-in name).
    pub origin: String,
    /// SHA-256 of the exact text, hex.
    pub sha256: String,
    /// The scenario text, kept for the manifest and for copying.
    pub text: String,
    /// The calibrated ensemble attached to `model` (`calibrate::attach`), for every manifest written from it.
    pub ensemble: Option<crate::calibrate::file::EnsembleRef>,
}

/// Largest scenario file accepted (guards against feeding a wrong, huge file).
const MAX_FILE_BYTES: usize = 16 << 20;

/// Load the built-in scenario, or the file at `path`.
/// The file that goes with a scenario file: `<stem>.<kind>.ron` beside it (`kind`: `present`, `hindcast`,
/// `ensemble`). One rule for every companion, so `init`'s copies and a user's own files are found the same way.
pub fn companion(scenario: &Path, kind: &str) -> std::path::PathBuf {
    let stem = scenario
        .file_stem()
        .map(|x| x.to_string_lossy().into_owned())
        .unwrap_or_default();
    scenario.with_file_name(format!("{stem}.{kind}.ron"))
}

pub fn load(path: Option<&Path>) -> Result<Loaded, ScenarioError> {
    match path {
        None => load_str(DEFAULT_SCENARIO, DEFAULT_NAME),
        Some(p) => {
            let name = p.display().to_string();
            let bytes = std::fs::read(p).map_err(|e| {
                single(
                    &name,
                    format!("cannot read the scenario file: {e}"),
                    Some(
                        "check the path; `greatgame init` writes an editable copy of the built-in scenario, and \
                         commands given no file use the built-in one"
                            .into(),
                    ),
                )
            })?;
            if bytes.len() > MAX_FILE_BYTES {
                return Err(single(
                    &name,
                    format!(
                        "the file is {} bytes; scenario files are limited to {MAX_FILE_BYTES}",
                        bytes.len()
                    ),
                    None,
                ));
            }
            let text = String::from_utf8(bytes).map_err(|e| {
                single(
                    &name,
                    format!("the file is not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
                    Some("save the scenario as UTF-8".into()),
                )
            })?;
            load_str(&text, &name)
        }
    }
}

fn single(name: &str, message: String, hint: Option<String>) -> ScenarioError {
    ScenarioError {
        diagnostics: vec![SourceFile { name, text: "" }.at(None, message, hint)],
    }
}

/// Parse and compile scenario text; `name` is used in error messages.
pub fn load_str(text: &str, name: &str) -> Result<Loaded, ScenarioError> {
    let file = parse(text, name)?;
    let model = compile::compile(&file, name, text).map_err(|diagnostics| ScenarioError { diagnostics })?;
    // Explicit coefficient ranges are checked at load, so `validate` reports a bad one.
    register::Register::build(&file, text, name).map_err(|diagnostics| ScenarioError { diagnostics })?;
    let sha256 = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Loaded {
        model,
        origin: name.to_string(),
        sha256,
        text: text.to_string(),
        ensemble: None,
    })
}

/// The coefficient register of a loaded scenario (its text parsed again: cheap,
/// and it keeps [`Loaded`] as it is).
pub fn register_of(loaded: &Loaded) -> Result<register::Register, ScenarioError> {
    let file = parse(&loaded.text, &loaded.origin)?;
    register::Register::build(&file, &loaded.text, &loaded.origin).map_err(|diagnostics| ScenarioError { diagnostics })
}

/// Parse scenario text into the file's serde types (no compilation).
pub fn parse(text: &str, name: &str) -> Result<schema::ScenarioFile, ScenarioError> {
    let src = SourceFile { name, text };
    let opts = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let file: schema::ScenarioFile = opts.from_str(text).map_err(|e| {
        let off = src.offset_of(e.span.start.line, e.span.start.col);
        let (message, hint) = ron_message(&e.code);
        ScenarioError {
            diagnostics: vec![src.at(off, message, hint)],
        }
    })?;
    Ok(file)
}

/// Turn a RON error into words a scenario author can act on.
fn ron_message(code: &ron::Error) -> (String, Option<String>) {
    use ron::Error as E;
    match code {
        E::NoSuchStructField { expected, found, outer } => {
            let cands: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            let hint = diagnostics::closest(found, &cands)
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| format!("fields here: {}", expected.join(", ")));
            let within = outer.as_ref().map(|o| format!(" in `{o}`")).unwrap_or_default();
            (format!("unknown field `{found}`{within}"), Some(hint))
        }
        E::NoSuchEnumVariant { expected, found, outer } => {
            let cands: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            let hint = diagnostics::closest(found, &cands)
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| format!("choose one of: {}", expected.join(", ")));
            let within = outer.as_ref().map(|o| format!(" for `{o}`")).unwrap_or_default();
            (format!("unknown variant `{found}`{within}"), Some(hint))
        }
        E::MissingStructField { field, outer } => {
            let within = outer.as_ref().map(|o| format!(" in `{o}`")).unwrap_or_default();
            (
                format!("missing field `{field}`{within}"),
                Some(format!("add `{field}: ...` (see docs/scenario-format.md)")),
            )
        }
        E::DuplicateStructField { field, .. } => (
            format!("field `{field}` is given twice"),
            Some("remove one of them".into()),
        ),
        E::ExpectedDifferentStructName { expected, found } => (format!("expected `{expected}`, found `{found}`"), None),
        other => {
            let text = other.to_string();
            let hint = if text.contains("Expected") || text.contains("expected") {
                Some("check for a missing comma, bracket or quote just before this point".into())
            } else {
                None
            };
            (format!("RON syntax: {text}"), hint)
        }
    }
}
