//! The rotation rules shared by every provider: key age and the safety gap.

use jiff::{SignedDuration, Timestamp};

use super::reason::{Deferral, RotationReason};
use crate::config::RotationPolicy;

/// What the rules decide for one resource's key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RotationDecision {
    /// Nothing to do.
    Keep,
    /// Rotate now.
    Rotate(RotationReason),
    /// A rotation is wanted but the last one was too recent.
    Defer(Deferral),
}

/// Decides whether a key must be rotated at `now`, given when it was last rotated.
/// A `last_rotation` after `now` (the API's clock runs ahead) counts as just rotated.
pub(crate) fn decide(
    policy: &RotationPolicy,
    last_rotation: Option<Timestamp>,
    now: Timestamp,
    allow_rapid_rotation: bool,
) -> RotationDecision {
    let last_rotation = last_rotation.map(|last| last.min(now));
    let Some(wanted) = wanted_by_age(policy, last_rotation, now) else {
        return RotationDecision::Keep;
    };
    match last_rotation {
        Some(last)
            if !allow_rapid_rotation && now.duration_since(last) < policy.min_rotation_gap =>
        {
            RotationDecision::Defer(Deferral {
                wanted,
                since_last_rotation: now.duration_since(last),
                min_rotation_gap: policy.min_rotation_gap,
                allowed_from: last.saturating_add(policy.min_rotation_gap).unwrap_or(last),
            })
        }
        _ => RotationDecision::Rotate(wanted),
    }
}

/// The age rule: `now - last >= max_key_age`, or the last rotation is unknown.
fn wanted_by_age(
    policy: &RotationPolicy,
    last_rotation: Option<Timestamp>,
    now: Timestamp,
) -> Option<RotationReason> {
    let max_key_age = policy.max_key_age?;
    let Some(last) = last_rotation else {
        return Some(RotationReason::LastRotationUnknown { max_key_age });
    };
    let age: SignedDuration = now.duration_since(last);
    (age >= max_key_age).then_some(RotationReason::KeyAge { age, max_key_age })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * n)
    }

    fn now() -> Timestamp {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    fn policy(max_key_age: Option<i64>) -> RotationPolicy {
        RotationPolicy {
            max_key_age: max_key_age.map(days),
            ..RotationPolicy::default()
        }
    }

    fn ago(n: i64) -> Option<Timestamp> {
        Some(now() - days(n))
    }

    #[test]
    fn no_max_key_age_never_rotates() {
        assert_eq!(
            decide(&policy(None), ago(1000), now(), false),
            RotationDecision::Keep
        );
        assert_eq!(
            decide(&policy(None), None, now(), false),
            RotationDecision::Keep
        );
    }

    #[test]
    fn a_key_exactly_max_key_age_old_is_rotated() {
        let decision = decide(&policy(Some(120)), ago(120), now(), false);
        let expected = RotationReason::KeyAge {
            age: days(120),
            max_key_age: days(120),
        };
        assert_eq!(decision, RotationDecision::Rotate(expected));
    }

    #[test]
    fn a_key_just_younger_than_max_key_age_is_kept() {
        let last = Some(now() - days(120) + SignedDuration::from_secs(1));
        assert_eq!(
            decide(&policy(Some(120)), last, now(), false),
            RotationDecision::Keep
        );
    }

    #[test]
    fn an_unknown_last_rotation_is_rotated_without_a_gap() {
        let decision = decide(&policy(Some(120)), None, now(), false);
        let expected = RotationReason::LastRotationUnknown {
            max_key_age: days(120),
        };
        assert_eq!(decision, RotationDecision::Rotate(expected));
    }

    #[test]
    fn a_last_rotation_in_the_future_counts_as_just_rotated() {
        let future = Some(now() + days(3));
        assert_eq!(
            decide(&policy(Some(1)), future, now(), false),
            RotationDecision::Keep
        );
    }

    #[test]
    fn a_rotation_inside_the_gap_is_deferred_until_the_gap_ends() {
        let tight = RotationPolicy {
            max_key_age: Some(days(1)),
            ..RotationPolicy::default()
        };
        let RotationDecision::Defer(deferral) = decide(&tight, ago(2), now(), false) else {
            panic!("expected a deferral");
        };
        assert_eq!(deferral.allowed_from, now() + days(5));
        assert_eq!(deferral.since_last_rotation, days(2));
    }

    #[test]
    fn the_gap_boundary_itself_allows_the_rotation() {
        let tight = RotationPolicy {
            max_key_age: Some(days(1)),
            ..RotationPolicy::default()
        };
        assert!(matches!(
            decide(&tight, ago(7), now(), false),
            RotationDecision::Rotate(_)
        ));
        let just_inside = Some(now() - days(7) + SignedDuration::from_secs(1));
        assert!(matches!(
            decide(&tight, just_inside, now(), false),
            RotationDecision::Defer(_)
        ));
    }

    #[test]
    fn allow_rapid_rotation_lifts_the_gap() {
        let tight = RotationPolicy {
            max_key_age: Some(days(1)),
            ..RotationPolicy::default()
        };
        assert!(matches!(
            decide(&tight, ago(2), now(), true),
            RotationDecision::Rotate(_)
        ));
    }
}
