//! The pure planner: `(desired, live, now) -> Plan`. No I/O, no clock, no randomness.

mod cloudflare;
mod deadline;
mod live;
mod model;
mod reason;
mod rotation;
mod words;

use jiff::Timestamp;

pub use deadline::{DeadlineStatus, DueDeadline};
pub use live::{CloudflareLive, LiveState};
pub use model::{Action, Attribute, AttributeValue, Plan, PlanCounts, ResourcePlan, Target};
pub use reason::{Deferral, RotationReason};
pub use words::{instant_in_words, span_in_words};

use crate::config::DesiredState;

/// Choices the user makes for one plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Rotate even inside `min_rotation_gap` (`--allow-rapid-rotation`).
    pub allow_rapid_rotation: bool,
    /// Overrides `settings.max_rotations_per_apply` (`apply --max-rotations`).
    pub max_rotations: Option<u32>,
}

/// The planner was given a desired state and a live state that do not belong together.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// A resource of the desired state has no live state.
    #[error("no live state was read for {provider} resource `{name}`")]
    MissingLive {
        /// The provider's name.
        provider: &'static str,
        /// The resource's name.
        name: String,
    },
}

/// Diffs the desired state against the live state at `now`.
pub fn plan(
    desired: &DesiredState,
    live: &LiveState,
    now: Timestamp,
    options: PlanOptions,
) -> Result<Plan, PlanError> {
    let resources = desired
        .cloudflare_accounts
        .iter()
        .map(|account| {
            let live =
                live.cloudflare
                    .get(&account.name)
                    .ok_or_else(|| PlanError::MissingLive {
                        provider: "cloudflare",
                        name: account.name.clone(),
                    })?;
            Ok(cloudflare::plan_account(
                account,
                live,
                now,
                options.allow_rapid_rotation,
            ))
        })
        .collect::<Result<_, _>>()?;
    Ok(Plan {
        now,
        resources,
        max_rotations_per_apply: options
            .max_rotations
            .unwrap_or(desired.settings.max_rotations_per_apply),
    })
}
