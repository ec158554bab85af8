//! When a resource's plan can next change by the clock alone, with its live state and its
//! entry in the file as they are: the key reaching `max_key_age`, the vendor's own scheduled
//! rotation, a deadline's window opening or the deadline passing, the end of a gap that holds
//! a rotation back, an expiry warning starting or the key expiring. `keyrot serve` reads the
//! resource again by then.

use jiff::{SignedDuration, Timestamp};

use super::model::{AttributeValue, ResourcePlan};
use crate::config::Resource;

/// The earliest instant after `now` at which planning `desired` again could decide otherwise
/// than `planned` (made at `now`) did, if nothing but the clock moves; `None` when no instant
/// would.
pub fn next_change(
    desired: &Resource,
    planned: &ResourcePlan,
    now: Timestamp,
) -> Option<Timestamp> {
    let policy = &desired.rotation;
    let after = |at: Option<Timestamp>, span: Option<SignedDuration>| {
        at.zip(span)
            .and_then(|(at, span)| at.checked_add(span).ok())
    };
    let last = planned.last_rotation;
    let scheduled_every = planned
        .interval_days
        .filter(|days| days.is_finite() && *days > 0.0 && *days < 1e6)
        .map(|days| SignedDuration::from_secs((days * 86_400.0) as i64));
    let window_opens = policy
        .rotate_by
        .and_then(|by| by.checked_sub(policy.rotation_window).ok());
    let expires_at = expires_at(desired, planned);
    let warning_starts = desired
        .vendor
        .expiry
        .as_ref()
        .and_then(|expiry| after(expires_at, Some(-expiry.warn_within)));
    let gap_ends = planned
        .deferral
        .as_ref()
        .map(|deferral| deferral.allowed_from);
    [
        after(last, policy.max_key_age),
        after(last, scheduled_every),
        window_opens,
        policy.rotate_by,
        gap_ends,
        warning_starts,
        expires_at,
    ]
    .into_iter()
    .flatten()
    .filter(|at| *at > now)
    .min()
}

/// When the key expires, as the live read reported it.
fn expires_at(desired: &Resource, planned: &ResourcePlan) -> Option<Timestamp> {
    let attribute = desired.vendor.expiry.as_ref()?.attribute;
    planned
        .before
        .iter()
        .find(|known| known.name == attribute)
        .and_then(|known| match &known.value {
            AttributeValue::Known(text) => text.parse().ok(),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RotationPolicy;
    use crate::plan::live::{Observation, Schedule};
    use crate::plan::resource::{Asked, plan_resource};
    use crate::vendor::{cloudflare, rixl};

    fn now() -> Timestamp {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    fn days(n: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * n)
    }

    fn resource(vendor: &'static crate::vendor::Vendor, rotation: RotationPolicy) -> Resource {
        Resource {
            name: "r".to_owned(),
            vendor,
            id: "id".to_owned(),
            rotation,
            sink: None,
            interval_days: None,
        }
    }

    fn next(desired: &Resource, live: &Observation) -> Option<Timestamp> {
        let planned = plan_resource(desired, live, now(), Asked::default(), None);
        next_change(desired, &planned, now())
    }

    fn rotated_days_ago(age: i64) -> Observation {
        Observation {
            last_rotation: Some(now() - days(age)),
            expires_at: None,
            schedule: None,
            ..Observation::default()
        }
    }

    #[test]
    fn the_vendors_own_rotation_comes_before_the_key_reaches_its_max_age() {
        let desired = resource(
            &cloudflare::VENDOR,
            RotationPolicy {
                max_key_age: Some(days(120)),
                ..RotationPolicy::default()
            },
        );
        let live = Observation {
            schedule: Some(Schedule {
                interval_days: 90.0,
                days_until_next: None,
            }),
            ..rotated_days_ago(10)
        };
        assert_eq!(next(&desired, &live), Some(now() + days(80)));
        let without_schedule = rotated_days_ago(10);
        assert_eq!(next(&desired, &without_schedule), Some(now() + days(110)));
    }

    #[test]
    fn a_deadline_changes_the_plan_when_its_window_opens_and_again_when_it_passes() {
        let desired = resource(
            &rixl::VENDOR,
            RotationPolicy {
                rotate_by: Some(now() + days(100)),
                rotation_window: days(7),
                ..RotationPolicy::default()
            },
        );
        assert_eq!(
            next(&desired, &rotated_days_ago(10)),
            Some(now() + days(93))
        );
    }

    #[test]
    fn an_expiring_key_changes_the_plan_when_the_warning_starts_and_when_it_expires() {
        let desired = resource(&rixl::VENDOR, RotationPolicy::default());
        let warn_within = rixl::VENDOR.expiry.as_ref().unwrap().warn_within;
        let expires_in = |span: SignedDuration| Observation {
            expires_at: Some(now() + span),
            ..rotated_days_ago(10)
        };
        let far = warn_within + days(50);
        assert_eq!(next(&desired, &expires_in(far)), Some(now() + days(50)));
        assert_eq!(next(&desired, &expires_in(days(1))), Some(now() + days(1)));
    }

    #[test]
    fn a_key_nothing_but_a_person_changes_has_no_next_change() {
        let desired = resource(&rixl::VENDOR, RotationPolicy::default());
        assert_eq!(next(&desired, &rotated_days_ago(10)), None);
    }

    #[test]
    fn a_rotation_held_back_by_the_gap_changes_when_the_gap_ends() {
        let desired = resource(
            &rixl::VENDOR,
            RotationPolicy {
                max_key_age: Some(days(1)),
                min_rotation_gap: days(7),
                ..RotationPolicy::default()
            },
        );
        let planned = plan_resource(
            &desired,
            &rotated_days_ago(2),
            now(),
            Asked::default(),
            None,
        );
        assert!(planned.deferral.is_some(), "{planned:?}");
        assert_eq!(
            next_change(&desired, &planned, now()),
            Some(now() + days(5))
        );
    }
}
