//! The pure planner: `(desired, live, now) -> Plan`. No I/O, no clock, no randomness.

mod cloudflare;
mod deadline;
mod live;
mod lost_secret;
mod model;
mod projection;
mod reason;
mod rixl;
mod rotation;
mod target;
mod words;

use std::collections::BTreeMap;

use jiff::Timestamp;

pub use deadline::{DeadlineStatus, DueDeadline};
pub use live::{CloudflareLive, LiveState, RixlLive};
pub use lost_secret::{AwaitingDelivery, LostSecret};
pub use model::{
    Action, Attribute, AttributeValue, ClockWarning, Partial, Plan, PlanCounts, PlanWarning,
    ResourcePlan, UpcomingDeadline,
};
pub use projection::project_scheduled_rotations;
pub use reason::{Deferral, RotationReason};
pub use rixl::EXPIRY_WARNING;
pub use target::{Target, VENDORS, Vendor};
/// The vendors' descriptions, by name.
pub mod vendors {
    pub use super::cloudflare::VENDOR as CLOUDFLARE;
    pub use super::rixl::VENDOR as RIXL;
}
pub use words::{instant_in_words, span_in_words};

use crate::config::DesiredState;

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
    let rapid = options.allow_rapid_rotation;
    let mut resources = Vec::with_capacity(desired.resource_count());
    for account in &desired.cloudflare_accounts {
        let state = live_of(&live.cloudflare, "cloudflare", &account.name)?;
        let replace = options.replace.contains(&account.name);
        resources.push(cloudflare::plan_account(
            account, state, now, rapid, replace,
        ));
    }
    for key in &desired.rixl.keys {
        let state = live_of(&live.rixl, "rixl", &key.name)?;
        let lost = live
            .lost_secrets
            .iter()
            .find(|lost| lost.resource == key.name);
        let replace = options.replace.contains(&key.name);
        resources.push(rixl::plan_key(key, state, now, rapid, replace, lost));
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

fn live_of<'a, T>(
    states: &'a BTreeMap<String, T>,
    provider: &'static str,
    name: &str,
) -> Result<&'a T, PlanError> {
    states.get(name).ok_or_else(|| PlanError::MissingLive {
        provider,
        name: name.to_owned(),
    })
}
