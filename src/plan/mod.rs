//! The pure planner: `(desired, live, now) -> Plan`. No I/O, no clock, no randomness.

mod deadline;
mod live;
mod lost_secret;
mod model;
mod next_change;
mod projection;
mod reason;
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
pub use target::Target;
pub use words::{instant_in_words, span_in_words};

use crate::config::DesiredState;
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
        "{address}: this {noun} is the one keyrot authenticates with, and rolling it would cut \
         keyrot off mid-run: keyrot rotates nothing while the file names it. Manage it with a \
         separate managing {noun} \
         (for Cloudflare, one with the \"API Tokens Write\" permission), or take it out of the file"
    )]
    AuthenticatesKeyrot {
        /// The resource's address.
        address: String,
        /// What it is: `token`.
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
        /// What it is: `token`.
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

/// A plan cannot hold the key keyrot authenticates with, nor rotate one its vendor reports
/// disabled or expired.
fn refuse_to_rotate_unusable(planned: &ResourcePlan, live: &Observation) -> Result<(), PlanError> {
    let vendor = planned.target.vendor;
    if live.authenticates_keyrot() {
        return Err(PlanError::AuthenticatesKeyrot {
            address: format!("{}{}", vendor.address_prefix(), planned.name),
            noun: vendor.noun,
        });
    }
    let status = match live.status() {
        Some(status @ (KeyStatus::Disabled | KeyStatus::Expired)) => status,
        Some(KeyStatus::Active) | None => return Ok(()),
    };
    let reasons = planned.actions.iter().find_map(|action| match action {
        Action::Rotate { reasons } => Some(reasons),
        Action::UpdateInterval { .. } => None,
    });
    let Some(reasons) = reasons else {
        return Ok(());
    };
    let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
    Err(PlanError::CannotRotate {
        address: format!("{}{}", vendor.address_prefix(), planned.name),
        noun: vendor.noun,
        title: vendor.title,
        status: status.word(),
        why: why.join("; "),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use jiff::SignedDuration;

    use super::*;
    use crate::config::load_bytes;

    fn now() -> Timestamp {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    /// One Cloudflare API token, `ci`, under max_key_age 90d.
    fn desired() -> DesiredState {
        let file = "version: 1\ncloudflare_tokens:\n  tokens:\n    ci:\n      token_id: \
                    ed17574386854bf78a67040be0a770b0\n      max_key_age: 90d\n      secret: \
                    {file: ci.token}\n";
        load_bytes("keyrot.yaml", file.as_bytes(), Path::new("/tmp")).unwrap()
    }

    /// `ci` as live, `age_days` old.
    fn live(age_days: i64, change: impl FnOnce(&mut KeyState)) -> LiveState {
        let mut key = KeyState {
            status: Some(KeyStatus::Active),
            ..KeyState::default()
        };
        change(&mut key);
        let observation = Observation {
            last_rotation: Some(now() - SignedDuration::from_hours(24 * age_days)),
            key: Some(Box::new(key)),
            ..Observation::default()
        };
        LiveState {
            resources: [("ci".to_owned(), observation)].into(),
            ..LiveState::default()
        }
    }

    fn planned(live: &LiveState) -> Result<Plan, PlanError> {
        plan(&desired(), live, now(), PlanOptions::default())
    }

    #[test]
    fn a_disabled_or_expired_key_is_refused_only_when_it_is_due() {
        for status in [KeyStatus::Disabled, KeyStatus::Expired] {
            let due = planned(&live(100, |live| live.status = Some(status)));
            let Err(PlanError::CannotRotate { address, why, .. }) = due else {
                panic!("{status:?} and due was planned: {due:?}");
            };
            assert_eq!(address, "cloudflare_tokens.tokens.ci");
            assert!(why.contains("max_key_age 90d"), "{why}");
            assert!(planned(&live(10, |live| live.status = Some(status))).is_ok());
        }
        assert!(planned(&live(100, |_| {})).is_ok());
    }

    #[test]
    fn the_key_keyrot_authenticates_with_is_refused_due_or_not() {
        let own = planned(&live(10, |live| live.authenticates_keyrot = true));
        assert!(
            matches!(own, Err(PlanError::AuthenticatesKeyrot { .. })),
            "{own:?}"
        );
        let message = own.unwrap_err().to_string();
        assert!(message.contains("API Tokens Write"), "{message}");
    }
}
