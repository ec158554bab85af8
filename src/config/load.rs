//! Reads a desired-state file: bytes, then YAML, then validation. Nothing here touches a network.

use std::io;
use std::path::Path;

use serde_saphyr::{DuplicateKeyPolicy, Options};
use sha2::{Digest, Sha256};

use super::block::{HasShape, HoldsUnknownFields};
use super::error::{ConfigError, Diagnostic};
use super::model::DesiredState;
use super::number::Number;
use super::raw::{Located, RawFile, VersionProbe};
use super::section::{Sections, validate_sections};
use super::unknown_fields::{Outline, UnknownFields, unknown_fields};
use super::validate::validate;
use super::yaml_error;
use crate::vendor::registry::FileSections;

/// The only file format version this keyrot reads.
pub const SUPPORTED_VERSION: u64 = 1;

/// Reads and validates the desired-state file at `path`; relative sink paths resolve against
/// its directory.
pub fn load_file(path: &Path) -> Result<DesiredState, ConfigError> {
    load_file_resolving_in(path, path.parent().unwrap_or(Path::new("")))
}

/// As [`load_file`], with relative sink paths resolved against `base_dir` instead (the demo
/// keeps every secret inside its temporary workspace).
pub fn load_file_resolving_in(path: &Path, base_dir: &Path) -> Result<DesiredState, ConfigError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| ConfigError::Unreadable {
        reason: read_failure(&error),
        file: file.clone(),
    })?;
    load_bytes(&file, &bytes, base_dir)
}

/// Validates desired-state bytes; `file` names them in diagnostics, and relative sink paths
/// resolve against `base_dir`. Every registered vendor's section is read.
pub fn load_bytes(file: &str, bytes: &[u8], base_dir: &Path) -> Result<DesiredState, ConfigError> {
    load_sections::<FileSections>(file, bytes, base_dir)
}

/// Validates desired-state bytes whose vendors' sections are `S`.
pub(crate) fn load_sections<S: Sections>(
    file: &str,
    bytes: &[u8],
    base_dir: &Path,
) -> Result<DesiredState, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|error| not_utf8(file, bytes, &error))?;
    if is_blank(text) {
        return Err(ConfigError::at(
            file,
            1,
            1,
            "the file is empty; a desired-state file starts with `version: 1`",
        ));
    }
    // One parse, into the file's types; a field they do not know is only noted here. The
    // version is judged first, so a file of another version gets that error alone.
    let raw: RawFile<S> = match serde_saphyr::from_str_with_options(text, options()) {
        Ok(raw) => raw,
        Err(error) => return Err(unreadable::<S>(file, text, &error)),
    };
    version_is_supported(file, raw.version.as_ref())?;
    // Where the unknown fields are takes one more parse, made only when there are some.
    let unknown = if raw.holds_unknown_fields() {
        unknown_fields(&outline(file, text)?, &RawFile::<S>::shape())
    } else {
        UnknownFields::default()
    };
    let sections = raw.sections;
    let validated = |checker: &mut _| validate_sections(sections, checker, base_dir);
    let misspelt = unknown.misspelt;
    let mut desired = validate(file, raw.settings, misspelt, validated)
        .map_err(|error| with_unknown_fields(error, unknown.diagnostics.clone()))?;
    if !unknown.diagnostics.is_empty() {
        return Err(with_unknown_fields(
            invalid(file, Vec::new()),
            unknown.diagnostics,
        ));
    }
    desired.digest = sha256_hex(bytes);
    Ok(desired)
}

/// Why a file that did not read as the file's types is wrong: its version first, then a YAML
/// error that the outline also finds (a syntax error anywhere), else the typed read's error
/// with every unknown field.
fn unreadable<S: Sections>(file: &str, text: &str, error: &serde_saphyr::Error) -> ConfigError {
    if let Err(version) = check_version(file, text) {
        return version;
    }
    match outline(file, text) {
        Ok(outline) => {
            let unknown = unknown_fields(&outline, &RawFile::<S>::shape()).diagnostics;
            with_unknown_fields(yaml_failure(file, error), unknown)
        }
        Err(syntax) => syntax,
    }
}

/// The file's mappings and keys with their locations.
fn outline(file: &str, text: &str) -> Result<Outline, ConfigError> {
    serde_saphyr::from_str_with_options(text, options()).map_err(|error| yaml_failure(file, &error))
}

/// `error` with the unknown fields added, every problem in file order, each once.
fn with_unknown_fields(error: ConfigError, unknown: Vec<Diagnostic>) -> ConfigError {
    let ConfigError::Invalid {
        file,
        mut diagnostics,
    } = error
    else {
        return error;
    };
    // An unknown field comes before what it causes at the same place (a sink with no `file`).
    let mut all = unknown;
    all.append(&mut diagnostics);
    all.sort_by_key(|diagnostic| (diagnostic.line, diagnostic.column));
    all.dedup();
    invalid(&file, all)
}

fn invalid(file: &str, diagnostics: Vec<Diagnostic>) -> ConfigError {
    ConfigError::Invalid {
        file: file.to_owned(),
        diagnostics,
    }
}

/// The SHA-256 of the file's bytes in lowercase hex: what a saved plan records to notice that
/// the file changed since.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn options() -> Options {
    serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::Error,
    }
}

/// Reads `version` alone first, so a file written for another version says so before anything
/// else about it is judged.
fn check_version(file: &str, text: &str) -> Result<(), ConfigError> {
    let probe: VersionProbe = serde_saphyr::from_str_with_options(text, options())
        .map_err(|error| yaml_failure(file, &error))?;
    version_is_supported(file, probe.version.as_ref())
}

/// `version` is present and 1.
fn version_is_supported(file: &str, version: Option<&Located<Number>>) -> Result<(), ConfigError> {
    let Some(version) = version else {
        return Err(ConfigError::at(
            file,
            1,
            1,
            "missing `version: 1` at the top level of the file",
        ));
    };
    if let Number::Other(text) = &version.value
        && text.trim() == SUPPORTED_VERSION.to_string()
    {
        return Err(ConfigError::at(
            file,
            version.referenced.line(),
            version.referenced.column(),
            format!("`version` is a number: write `version: {SUPPORTED_VERSION}`, without quotes"),
        ));
    }
    if version
        .value
        .whole_in(SUPPORTED_VERSION, SUPPORTED_VERSION)
        .is_none()
    {
        return Err(ConfigError::at(
            file,
            version.referenced.line(),
            version.referenced.column(),
            format!(
                "unsupported version {}; this keyrot reads version {SUPPORTED_VERSION} files",
                version.value
            ),
        ));
    }
    Ok(())
}

fn yaml_failure(file: &str, error: &serde_saphyr::Error) -> ConfigError {
    invalid(file, vec![yaml_error::diagnostic(error)])
}

/// Whitespace and comments only.
fn is_blank(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with('#'))
}

fn not_utf8(file: &str, bytes: &[u8], error: &std::str::Utf8Error) -> ConfigError {
    let valid = &bytes[..error.valid_up_to()];
    let line = valid.iter().filter(|byte| **byte == b'\n').count() + 1;
    let line_start = valid
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |at| at + 1);
    let column = String::from_utf8_lossy(&valid[line_start..])
        .chars()
        .count()
        + 1;
    let byte = bytes[error.valid_up_to()];
    ConfigError::at(
        file,
        line as u64,
        column as u64,
        format!("this is not a YAML text file: byte 0x{byte:02x} is not UTF-8"),
    )
}

fn read_failure(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => {
            "no such file; create it (`keyrot import cloudflare --all --out FILE` writes one \
             from what exists), or point keyrot at another one with -f FILE"
                .to_owned()
        }
        io::ErrorKind::PermissionDenied => "permission denied while reading the file".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory, not a desired-state file".to_owned(),
        _ => format!("cannot read the file: {error}"),
    }
}
