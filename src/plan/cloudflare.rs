//! Plans one Cloudflare account: the interval rule, then the rotation rules.

use jiff::{SignedDuration, Timestamp};

use super::live::CloudflareLive;
use super::model::{Action, Attribute, AttributeValue, ResourcePlan};
use super::rotation::{KeyFacts, RotationDecision, decide};
use super::target::{Target, Vendor};
use crate::config::{AccountId, CloudflareAccount};

/// Cloudflare Access: one account's key configuration.
pub const VENDOR: Vendor = Vendor {
    key: "cloudflare",
    title: "Cloudflare",
    section: "accounts",
    kind: "access_key_configuration",
    noun: "account",
    rotate_label: "rotate access keys",
    short_id: abbreviated_account_id,
    gap_risk: "drops the previous key while tokens signed with it are still valid",
};

/// An account ID shortened as in `023e…c353`; anything else as it is.
fn abbreviated_account_id(id: &str) -> String {
    AccountId::parse(id).map_or_else(|_| id.to_owned(), |id| id.abbreviated())
}

const INTERVAL: &str = "key_rotation_interval_days";
const LAST_ROTATION: &str = "last_key_rotation_at";

/// The plan for one account given its live configuration.
pub(crate) fn plan_account(
    desired: &CloudflareAccount,
    live: &CloudflareLive,
    now: Timestamp,
    allow_rapid_rotation: bool,
    replace: bool,
) -> ResourcePlan {
    let mut actions = Vec::new();
    if let Some(to) = desired.key_rotation_interval_days
        && f64::from(to) != live.key_rotation_interval_days
    {
        actions.push(Action::UpdateInterval {
            from: live.key_rotation_interval_days,
            to,
        });
    }
    let interval_after_plan = desired
        .key_rotation_interval_days
        .map_or(live.key_rotation_interval_days, f64::from);
    let key = KeyFacts {
        policy: &desired.rotation,
        last_rotation: live.last_key_rotation_at,
        automatic_interval: days_to_duration(interval_after_plan),
        replace,
        gap_risk: VENDOR.gap_risk,
    };
    let (decision, deadline) = decide(key, now, allow_rapid_rotation);
    let mut deferral = None;
    match decision {
        RotationDecision::Keep => {}
        RotationDecision::Rotate(reasons) => actions.push(Action::Rotate { reasons }),
        RotationDecision::Defer(held_back) => deferral = Some(Box::new(held_back)),
    }
    ResourcePlan {
        name: desired.name.clone(),
        target: Target {
            vendor: &VENDOR,
            id: desired.account_id.to_string(),
            sink: None,
        },
        min_rotation_gap: desired.rotation.min_rotation_gap,
        last_rotation: live.last_key_rotation_at,
        interval_days: Some(live.key_rotation_interval_days),
        before: attributes(live),
        after: attributes_after(live, &actions),
        actions,
        deferral,
        deadline,
        warnings: Vec::new(),
    }
}

/// A number of days as a duration; `None` for values no interval can have.
fn days_to_duration(days: f64) -> Option<SignedDuration> {
    let seconds = days * 86_400.0;
    (seconds.is_finite() && seconds > 0.0 && seconds < 1e12)
        .then(|| SignedDuration::from_secs(seconds as i64))
}

fn attributes(live: &CloudflareLive) -> Vec<Attribute> {
    let last_rotation = match live.last_key_rotation_at {
        Some(at) => AttributeValue::Known(at.to_string()),
        None => AttributeValue::Unknown,
    };
    vec![
        Attribute {
            name: INTERVAL.into(),
            value: AttributeValue::Known(live.key_rotation_interval_days.to_string()),
        },
        Attribute {
            name: LAST_ROTATION.into(),
            value: last_rotation,
        },
    ]
}

fn attributes_after(live: &CloudflareLive, actions: &[Action]) -> Vec<Attribute> {
    let mut after = attributes(live);
    for action in actions {
        let (name, value) = match action {
            Action::UpdateInterval { to, .. } => (INTERVAL, AttributeValue::Known(to.to_string())),
            Action::Rotate { .. } => (LAST_ROTATION, AttributeValue::KnownAfterApply),
        };
        if let Some(attribute) = after.iter_mut().find(|attribute| attribute.name == name) {
            attribute.value = value;
        }
    }
    after
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AccountId, RotationPolicy};
    use crate::plan::{DeadlineStatus, RotationReason};

    fn now() -> Timestamp {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    fn days(n: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * n)
    }

    fn account(interval: Option<u16>, max_key_age: Option<i64>) -> CloudflareAccount {
        CloudflareAccount {
            name: "production".to_owned(),
            account_id: AccountId::parse("023e105f4ecef8ad9ca31a8372d0c353").unwrap(),
            key_rotation_interval_days: interval,
            rotation: RotationPolicy {
                max_key_age: max_key_age.map(days),
                ..RotationPolicy::default()
            },
        }
    }

    fn live(interval: f64, age_days: i64) -> CloudflareLive {
        CloudflareLive {
            key_rotation_interval_days: interval,
            last_key_rotation_at: Some(now() - days(age_days)),
            days_until_next_rotation: None,
        }
    }

    #[test]
    fn matching_state_plans_nothing() {
        let plan = plan_account(
            &account(Some(90), Some(120)),
            &live(90.0, 10),
            now(),
            false,
            false,
        );
        assert!(plan.actions.is_empty());
        assert_eq!(plan.before, plan.after);
    }

    #[test]
    fn a_different_interval_is_updated() {
        let plan = plan_account(
            &account(Some(30), None),
            &live(90.0, 10),
            now(),
            false,
            false,
        );
        assert_eq!(
            plan.actions,
            vec![Action::UpdateInterval { from: 90.0, to: 30 }]
        );
        assert_eq!(plan.after[0].value, AttributeValue::Known("30".to_owned()));
    }

    #[test]
    fn an_unmanaged_interval_is_left_alone() {
        let plan = plan_account(&account(None, None), &live(47.0, 10), now(), false, false);
        assert!(plan.actions.is_empty());
    }

    #[test]
    fn the_update_comes_before_the_rotate() {
        let plan = plan_account(
            &account(Some(30), Some(120)),
            &live(90.0, 131),
            now(),
            false,
            false,
        );
        let reason = RotationReason::KeyAge {
            age: days(131),
            max_key_age: days(120),
        };
        assert_eq!(
            plan.actions,
            vec![
                Action::UpdateInterval { from: 90.0, to: 30 },
                Action::Rotate {
                    reasons: vec![reason]
                }
            ]
        );
        assert_eq!(plan.after[1].value, AttributeValue::KnownAfterApply);
    }

    #[test]
    fn the_interval_update_moves_cloudflares_scheduled_rotation() {
        let mut desired = account(Some(30), None);
        desired.rotation.rotate_by = Some(now() + days(5));
        let live = live(90.0, 28);
        let plan = plan_account(&desired, &live, now(), false, false);
        assert_eq!(
            plan.actions,
            vec![Action::UpdateInterval { from: 90.0, to: 30 }]
        );
        assert!(matches!(
            plan.deadline,
            Some(DeadlineStatus::MetByScheduledRotation { .. })
        ));

        desired.key_rotation_interval_days = None;
        let unmanaged = plan_account(&desired, &live, now(), false, false);
        assert_eq!(
            unmanaged.rotations(),
            1,
            "live 90 days lands after the deadline"
        );
    }

    #[test]
    fn a_deferred_rotation_is_not_an_action() {
        let mut desired = account(Some(90), Some(1));
        desired.rotation.min_rotation_gap = days(7);
        let plan = plan_account(&desired, &live(90.0, 2), now(), false, false);
        assert!(plan.actions.is_empty());
        assert!(plan.deferral.is_some());
    }

    #[test]
    fn only_a_positive_finite_interval_schedules_rotations() {
        assert_eq!(days_to_duration(1.0), Some(SignedDuration::from_hours(24)));
        for impossible in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9] {
            assert_eq!(days_to_duration(impossible), None, "{impossible}");
        }
    }
}
