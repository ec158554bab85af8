//! The checks a plan passes before its first write: the rotation guardrail, and every sink a
//! rotation will deliver to, with the recovery directory behind them.

use std::path::{Path, PathBuf};

use super::ApplyOptions;
use super::error::ApplyError;
use super::sink::{SinkError, check_recovery_dir, check_sink};
use crate::config::{SecretSink, sink_location};
use crate::plan::Plan;

/// The rotation guardrail: a plan with more rotations than allowed is refused before any write.
pub fn refuse_over_limit(plan: &Plan) -> Result<(), ApplyError> {
    if !plan.exceeds_rotation_limit() {
        return Ok(());
    }
    Err(ApplyError::OverLimit {
        rotations: plan.counts().rotations,
        limit: plan.max_rotations_per_apply,
        from: match plan.limit_from_flag {
            true => "--max-rotations",
            false => "settings.max_rotations_per_apply",
        },
    })
}

/// Every sink a rotation will deliver to is checked before the first rotate; one that cannot
/// take a secret refuses the whole run, so no secret is issued into nowhere.
pub fn refuse_unusable_sinks(plan: &Plan, options: &ApplyOptions) -> Result<(), ApplyError> {
    let unusable = unusable_sinks(plan, &options.recovery_dir, &options.protected_files);
    if unusable.is_empty() {
        Ok(())
    } else {
        Err(ApplyError::UnusableSinks(unusable))
    }
}

/// Every sink a plan's rotations will deliver to that cannot take a secret, by resource, and
/// the recovery directory if a secret could not be saved there.
pub fn unusable_sinks(
    plan: &Plan,
    recovery_dir: &Path,
    protected_files: &[(PathBuf, &'static str)],
) -> Vec<(String, SinkError)> {
    let rotating_sinks = || {
        plan.resources
            .iter()
            .filter(|resource| resource.rotations() > 0)
            .filter_map(|resource| Some((resource, resource.target.sink.as_ref()?)))
    };
    let mut unusable: Vec<(String, SinkError)> = rotating_sinks()
        .filter_map(|(resource, sink)| {
            check_sink(sink)
                .and_then(|()| not_protected(sink, recovery_dir, protected_files))
                .err()
                .map(|error| (resource.name.clone(), error))
        })
        .collect();
    if rotating_sinks().next().is_some()
        && let Err(error) = check_recovery_dir(recovery_dir)
    {
        unusable.push(("(recovery)".to_owned(), error));
    }
    unusable
}

/// A file sink may not be a file keyrot itself reads or keeps: the desired-state file, the
/// saved plan being applied, or anything in the state directory (`.keyrot/`).
pub(super) fn not_protected(
    sink: &SecretSink,
    recovery_dir: &Path,
    protected_files: &[(PathBuf, &'static str)],
) -> Result<(), SinkError> {
    let SecretSink::File { path, .. } = sink else {
        return Ok(());
    };
    let location = sink_location(path);
    let refuse = |what: &str| SinkError {
        sink: sink.to_string(),
        reason: format!("it is {what}; a secret must never overwrite it"),
    };
    for (protected, what) in protected_files {
        if location == sink_location(protected) {
            return Err(refuse(what));
        }
    }
    if let Some(state) = recovery_dir.parent()
        && location.starts_with(sink_location(state))
    {
        return Err(refuse("inside keyrot's state directory (.keyrot/)"));
    }
    Ok(())
}
