//! The pure planner: `(desired, live, now) -> Plan`. No I/O, no clock, no randomness.

mod deadline;
mod live;
mod lost_secret;
mod model;
mod next_change;
mod projection;
mod reason;
mod refusal;
mod resource;
mod rotation;
mod target;
mod words;

use jiff::Timestamp;

pub use deadline::{DeadlineStatus, DueDeadline};
pub use live::{KeyState, KeyStatus, LiveState, Observation, Schedule};
pub use lost_secret::{AwaitingDelivery, LostSecret};
pub use model::{
    Action, Attribute, AttributeValue, ClockWarning, Partial, Plan, PlanCounts, PlanWarning,
    ResourcePlan, UpcomingDeadline,
};
pub use next_change::next_change;
pub use projection::project_scheduled_rotations;
pub use reason::{Deferral, GapStart, RotationReason};
pub use rotation::gap_start;
pub use target::Target;
pub use words::{instant_in_words, span_in_words};

use crate::config::DesiredState;
use refusal::refuse_to_rotate_unusable;
use resource::{Asked, plan_resource};

/// Choices the user makes for one plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Rotate even inside `min_rotation_gap` (`--allow-rapid-rotation`).
    pub allow_rapid_rotation: bool,
    /// Overrides `settings.max_rotations_per_apply` (`apply --max-rotations`).
    pub max_rotations: Option<u32>,
    /// Resources to rotate whatever their age and deadlines (`--replace`), by name.
    pub replace: Vec<String>,
}

/// The planner was given a desired state and a live state that do not belong together, or a
/// key it must rotate cannot be rotated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// A resource of the desired state has no live state.
    #[error("no live state was read for {vendor} resource `{name}`")]
    MissingLive {
        /// The vendor's key.
        vendor: &'static str,
        /// The resource's name.
        name: String,
    },
    /// The file names the key keyrot authenticates with: rotating it would cut keyrot off
    /// mid-run, so it cannot be managed with itself.
    #[error(
        "{address}: this {noun} is the one keyrot authenticates with, and rotating it would cut \
         keyrot off mid-run: keyrot rotates nothing while the file names it. Authenticate with \
         a separate {noun} that may rotate it, or take it out of the file"
    )]
    AuthenticatesKeyrot {
        /// The resource's address.
        address: String,
        /// What it is: `api token`.
        noun: &'static str,
    },
    /// A key the plan would rotate is disabled or expired: its vendor cannot rotate it into a
    /// working one, so nothing is rotated.
    #[error(
        "{address}: the {noun} is {status} and due for rotation ({why}), and a {status} {noun} \
         cannot be rotated into a working one: keyrot rotates nothing while it is. Enable or \
         replace it at {title}, or take it out of the file"
    )]
    CannotRotate {
        /// The resource's address: `cloudflare_tokens.tokens.ci-deploy`.
        address: String,
        /// What it is: `api token`.
        noun: &'static str,
        /// Its vendor, in sentences.
        title: &'static str,
        /// `disabled`, `expired`.
        status: &'static str,
        /// Why it is due, in words.
        why: String,
    },
}

/// Diffs the desired state against the live state at `now`.
pub fn plan(
    desired: &DesiredState,
    live: &LiveState,
    now: Timestamp,
    options: PlanOptions,
) -> Result<Plan, PlanError> {
    let mut resources = Vec::with_capacity(desired.resource_count());
    for resource in &desired.resources {
        let observation =
            live.resources
                .get(&resource.name)
                .ok_or_else(|| PlanError::MissingLive {
                    vendor: resource.vendor.key,
                    name: resource.name.clone(),
                })?;
        let asked = Asked {
            allow_rapid_rotation: options.allow_rapid_rotation,
            replace: options.replace.contains(&resource.name),
        };
        let lost = live
            .lost_secrets
            .iter()
            .find(|lost| lost.resource == resource.name);
        let planned = plan_resource(resource, observation, now, asked, lost);
        refuse_to_rotate_unusable(&planned, observation)?;
        resources.push(planned);
    }
    Ok(Plan {
        now,
        resources,
        max_rotations_per_apply: options
            .max_rotations
            .unwrap_or(desired.settings.max_rotations_per_apply),
        clock_trouble: None,
        partial: None,
        limit_from_flag: options.max_rotations.is_some(),
        awaiting_delivery: live
            .awaiting_delivery
            .iter()
            .filter(|waiting| {
                desired
                    .resource_names()
                    .contains(&waiting.resource.as_str())
            })
            .cloned()
            .collect(),
    })
}
