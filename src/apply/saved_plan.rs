//! Saved plans: what `plan --out` writes and `apply PLANFILE` reads. A saved plan records, as
//! data, the plan's resources and actions with their observed and desired values, the options
//! and the instant it was made with, the live state it observed, and the desired-state file's
//! digest; it holds no secret and no credential. Whether it is still valid is decided by
//! comparing data, never rendered text, so rewording a reason invalidates no saved plan.

use crate::atomic_file::{AtomicWriteError, write_atomically};
use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ApplyError;
use crate::config::DesiredState;
use crate::plan::{LiveState, Plan, PlanOptions, plan};

/// The saved-plan format this keyrot writes and reads: 3 records every resource's live state in
/// one map, whatever its vendor (2 kept one map per vendor).
pub const SAVED_PLAN_VERSION: u32 = 3;
const KIND: &str = "keyrot-saved-plan";
/// Which keyrot writes saved plans, recorded in each.
const WRITER: &str = concat!("keyrot ", env!("CARGO_PKG_VERSION"));

/// A plan saved for a later `apply`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// [`SAVED_PLAN_VERSION`].
    pub format_version: u32,
    /// Always `keyrot-saved-plan`, so other JSON is not mistaken for a plan.
    pub kind: String,
    /// The keyrot that wrote it: `keyrot 0.2.0`.
    pub written_by: String,
    /// The desired-state file the plan was made from.
    pub desired_state: SavedSource,
    /// The instant the time rules were evaluated at.
    pub now: Timestamp,
    /// The options the plan was made with.
    pub options: SavedOptions,
    /// The live state every resource had when the plan was made.
    pub observed: LiveState,
    /// The plan: every resource with its actions, reasons, and observed and desired values.
    pub plan: Plan,
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
    /// `--replace` names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<String>,
}

/// Why a plan could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanWriteError {
    /// The plan did not encode as JSON.
    #[error("cannot encode the plan: {0}")]
    Encode(#[source] serde_json::Error),
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
}

/// A saved plan that matches its desired-state file and is what this keyrot computes from what
/// it recorded; the engine still checks the live state of what it touches.
#[derive(Debug)]
pub struct VerifiedPlan {
    /// The saved plan's file, for messages.
    pub path: PathBuf,
    /// The plan, recomputed from what it recorded.
    pub plan: Plan,
    /// The live state it was made from.
    pub observed: LiveState,
    /// Whether apply may send rotations within the gap: only when the plan was made with
    /// `--allow-rapid-rotation` and that changed the plan, so a flag edited into a saved file
    /// whose plan it does not change grants nothing.
    pub allow_rapid_rotation: bool,
}

impl SavedPlan {
    /// A saved plan of `plan`, made from `desired` and `observed`.
    pub fn new(
        desired: &DesiredState,
        options: SavedOptions,
        observed: LiveState,
        plan: Plan,
    ) -> Self {
        Self {
            format_version: SAVED_PLAN_VERSION,
            kind: KIND.to_owned(),
            written_by: WRITER.to_owned(),
            desired_state: SavedSource {
                file: desired.source.clone(),
                sha256: desired.digest.clone(),
            },
            now: plan.now,
            options,
            observed,
            plan,
        }
    }

    /// Reads a saved plan, refusing other files and other format versions.
    pub fn read(path: &Path) -> Result<Self, ApplyError> {
        let shown = path.display();
        let refuse = |message: String| ApplyError::SavedPlan(format!("{shown}: {message}"));
        let bytes = fs::read(path).map_err(|error| refuse(format!("cannot read: {error}")))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|error| refuse(format!("not a saved plan (not JSON: {error})")))?;
        if value.get("kind").and_then(Value::as_str) != Some(KIND) {
            return Err(refuse(
                "not a saved plan; write one with `keyrot plan --out FILE`".to_owned(),
            ));
        }
        let version = value.get("format_version").and_then(Value::as_u64);
        if version != Some(u64::from(SAVED_PLAN_VERSION)) {
            return Err(refuse(other_version(&value, version)));
        }
        serde_json::from_value(value)
            .map_err(|error| refuse(format!("a damaged saved plan: {error}")))
    }

    /// Writes the plan to `path` atomically: a temporary file beside it, then a rename.
    pub fn write(&self, path: &Path) -> Result<(), SavedPlanWriteError> {
        let text = serde_json::to_string_pretty(self).map_err(SavedPlanWriteError::Encode)?;
        Ok(write_atomically(path, text.as_bytes())?)
    }

    /// Checks the plan against `desired` (the file it was made from, limited to its targets):
    /// the file must be unchanged, and the plan must be what this keyrot computes from the
    /// state and instant it recorded. `max_rotations` overrides the guardrail's limit.
    pub fn verify(
        self,
        path: &Path,
        desired: &DesiredState,
        max_rotations: Option<u32>,
    ) -> Result<VerifiedPlan, ApplyError> {
        if desired.digest != self.desired_state.sha256 {
            let reason = if desired.source == self.desired_state.file {
                format!("{} changed since the plan was made", desired.source)
            } else {
                format!(
                    "the plan was made from {}, and {} is not that file as it was then",
                    self.desired_state.file, desired.source
                )
            };
            return Err(ApplyError::Stale {
                plan_file: path.to_owned(),
                reasons: vec![reason],
            });
        }
        let options = |allow_rapid_rotation| PlanOptions {
            allow_rapid_rotation,
            max_rotations,
            replace: self.options.replace.clone(),
        };
        let rapid = self.options.allow_rapid_rotation;
        let recomputed = plan(desired, &self.observed, self.now, options(rapid))?;
        if !same_data(&recomputed, &self.plan) {
            return Err(ApplyError::NotReproducible {
                plan_file: path.to_owned(),
            });
        }
        let allow_rapid_rotation = rapid
            && !same_data(
                &plan(desired, &self.observed, self.now, options(false))?,
                &recomputed,
            );
        Ok(VerifiedPlan {
            path: path.to_owned(),
            plan: recomputed,
            observed: self.observed,
            allow_rapid_rotation,
        })
    }
}

/// True when two plans record the same resources, actions, reasons and values, compared as
/// the saved file records them (a file sink by the path the desired-state file gives, which
/// resolves wherever the plan is applied).
fn same_data(recomputed: &Plan, saved: &Plan) -> bool {
    let recorded = |plan: &Plan| serde_json::to_value(&plan.resources).ok();
    recorded(recomputed).is_some_and(|value| Some(value) == recorded(saved))
}

/// Why a saved plan of another format version is refused, naming the keyrot that wrote it.
fn other_version(value: &Value, version: Option<u64>) -> String {
    let writer = match value.get("written_by").and_then(Value::as_str) {
        Some(writer) => writer.to_owned(),
        // Format 1 did not record its writer; only keyrot 0.1 wrote it.
        None if version == Some(1) => "keyrot 0.1".to_owned(),
        None => "an unknown keyrot".to_owned(),
    };
    let version = version.map_or_else(|| "(none)".to_owned(), |v| v.to_string());
    format!(
        "this saved plan is in format {version} (written by {writer}); {WRITER} applies saved \
         plans of format {SAVED_PLAN_VERSION} only. Run `keyrot plan --out` again with this keyrot"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(document: Value) -> String {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("plan.json");
        fs::write(&path, document.to_string()).unwrap();
        match SavedPlan::read(&path) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("read a saved plan of another format: {document}"),
        }
    }

    #[test]
    fn another_format_is_refused_naming_the_keyrot_that_wrote_it() {
        let format_1 = serde_json::json!({"kind": KIND, "format_version": 1});
        assert!(
            refused(format_1).contains("is in format 1 (written by keyrot 0.1)"),
            "format 1 was written by keyrot 0.1 only"
        );
        let format_2 =
            serde_json::json!({"kind": KIND, "format_version": 2, "written_by": "keyrot 0.2.0"});
        let message = refused(format_2);
        assert!(
            message.contains("is in format 2 (written by keyrot 0.2.0)"),
            "format 2 recorded each vendor's live state apart: {message}"
        );
        let newer =
            serde_json::json!({"kind": KIND, "format_version": 4, "written_by": "keyrot 9.9.0"});
        let message = refused(newer);
        assert!(
            message.contains("is in format 4 (written by keyrot 9.9.0)"),
            "{message}"
        );
        assert!(message.contains(&format!(
            "applies saved plans of format {SAVED_PLAN_VERSION} only"
        )));
        let unknown = serde_json::json!({"kind": KIND, "format_version": 7});
        assert!(refused(unknown).contains("(written by an unknown keyrot)"));
    }
}
