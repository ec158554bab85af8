//! The checks a plan passes before its first write: the rotation guardrail, and every sink a
//! rotation will deliver to, with the recovery directory behind them.

use std::path::Path;

use super::error::ApplyError;
use super::sink::{SinkError, check_recovery_dir, check_sink};
use crate::plan::Plan;

/// The rotation guardrail: a plan with more rotations than allowed is refused before any write.
pub fn refuse_over_limit(plan: &Plan) -> Result<(), ApplyError> {
    if !plan.exceeds_rotation_limit() {
        return Ok(());
    }
    Err(ApplyError::OverLimit {
        rotations: plan.counts().rotations,
        limit: plan.max_rotations_per_apply,
    })
}

/// Every sink a rotation will deliver to is checked before the first rotate; one that cannot
/// take a secret refuses the whole run, so no secret is issued into nowhere.
pub fn refuse_unusable_sinks(plan: &Plan, recovery_dir: &Path) -> Result<(), ApplyError> {
    let unusable = unusable_sinks(plan, recovery_dir);
    if unusable.is_empty() {
        Ok(())
    } else {
        Err(ApplyError::UnusableSinks(unusable))
    }
}

/// Every sink a plan's rotations will deliver to that cannot take a secret, by resource, and
/// the recovery directory if a secret could not be saved there.
pub fn unusable_sinks(plan: &Plan, recovery_dir: &Path) -> Vec<(String, SinkError)> {
    let rotating_sinks = || {
        plan.resources
            .iter()
            .filter(|resource| resource.rotations() > 0)
            .filter_map(|resource| Some((resource, resource.target.sink.as_ref()?)))
    };
    let mut unusable: Vec<(String, SinkError)> = rotating_sinks()
        .filter_map(|(resource, sink)| {
            check_sink(sink)
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
