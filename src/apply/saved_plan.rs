//! Saved plans: what `plan --out` writes and `apply PLANFILE` reads. A saved plan records the
//! desired-state file's digest, the instant and options it was planned with, the live state it
//! observed, and the plan itself; it holds no secret and no credential.

use std::fs;
use std::io::Write;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::DesiredState;
use crate::plan::LiveState;

/// The saved-plan format this keyrot writes and reads.
pub const SAVED_PLAN_VERSION: u32 = 1;
const KIND: &str = "keyrot-saved-plan";

/// A plan saved for a later `apply`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`SAVED_PLAN_VERSION`].
    pub format_version: u32,
    /// Always `keyrot-saved-plan`, so other JSON is not mistaken for a plan.
    pub kind: String,
    /// The desired-state file the plan was made from.
    pub desired_state: SavedSource,
    /// The instant the time rules were evaluated at.
    pub now: Timestamp,
    /// The options the plan was made with.
    pub options: SavedOptions,
    /// The live state every resource had when the plan was made.
    pub observed: LiveState,
    /// The plan as `plan --format json` shows it.
    pub plan: Value,
}

/// The desired-state file of a saved plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSource {
    /// The file as given to `plan`.
    pub file: String,
    /// SHA-256 of its bytes then.
    pub sha256: String,
}

/// The choices a saved plan was made with; apply uses the same.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOptions {
    /// `--allow-rapid-rotation`.
    pub allow_rapid_rotation: bool,
    /// `--target` names; empty for every resource.
    pub targets: Vec<String>,
}

impl SavedPlan {
    /// A saved plan of `plan_document`, made from `desired` and `observed`.
    pub fn new(
        desired: &DesiredState,
        now: Timestamp,
        options: SavedOptions,
        observed: LiveState,
        plan_document: Value,
    ) -> Self {
        Self {
            format_version: SAVED_PLAN_VERSION,
            kind: KIND.to_owned(),
            desired_state: SavedSource {
                file: desired.source.clone(),
                sha256: desired.digest.clone(),
            },
            now,
            options,
            observed,
            plan: plan_document,
        }
    }

    /// Reads a saved plan, refusing other files and other format versions.
    pub fn read(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let bytes = fs::read(path).map_err(|error| format!("{shown}: cannot read: {error}"))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|error| format!("{shown}: not a saved plan (not JSON: {error})"))?;
        if value.get("kind").and_then(Value::as_str) != Some(KIND) {
            return Err(format!(
                "{shown}: not a saved plan; write one with `keyrot plan --out FILE`"
            ));
        }
        let version = value.get("format_version").and_then(Value::as_u64);
        if version != Some(u64::from(SAVED_PLAN_VERSION)) {
            return Err(format!(
                "{shown}: saved-plan format version {} is not the {SAVED_PLAN_VERSION} this keyrot \
                 reads; plan again with this keyrot",
                version.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
            ));
        }
        serde_json::from_value(value)
            .map_err(|error| format!("{shown}: a damaged saved plan: {error}"))
    }

    /// Writes the plan to `path` atomically: a temporary file beside it, then a rename.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let shown = path.display();
        let text = serde_json::to_string_pretty(self)
            .map_err(|error| format!("{shown}: cannot encode the plan: {error}"))?;
        write_atomically(path, text.as_bytes()).map_err(|error| format!("{shown}: {error}"))
    }

    /// Why the desired-state file no longer matches the plan, if it does not.
    pub fn file_changed(&self, desired: &DesiredState) -> Option<String> {
        (desired.digest != self.desired_state.sha256)
            .then(|| format!("{} changed since the plan was made", desired.source))
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// readers see the old content or the new, never half of it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let directory = match path.parent() {
        Some(directory) if !directory.as_os_str().is_empty() => directory,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".keyrot-")
        .tempfile_in(directory)
        .map_err(|error| format!("cannot create a temporary file: {error}"))?;
    temporary
        .write_all(bytes)
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(|error| format!("cannot write: {error}"))?;
    temporary
        .persist(path)
        .map_err(|error| format!("cannot move into place: {}", error.error))?;
    Ok(())
}
