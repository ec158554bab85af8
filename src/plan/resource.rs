//! Plans one resource of any vendor: the vendor's interval (for vendors that rotate by
//! themselves), then the rotation rules every vendor shares, a lost secret's recovery, and a
//! warning for a key about to expire. What differs between vendors is data on their [`Vendor`].

use jiff::{SignedDuration, Timestamp};

use super::live::Observation;
use super::lost_secret::LostSecret;
use super::model::{Action, Attribute, AttributeValue, PlanWarning, ResourcePlan};
use super::reason::RotationReason;
use super::rotation::{KeyFacts, RotationDecision, decide};
use super::target::Target;
use crate::config::{Resource, RotationPolicy};
use crate::vendor::Vendor;

/// What the user asked of this one resource's plan.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Asked {
    /// `--allow-rapid-rotation`.
    pub allow_rapid_rotation: bool,
    /// `--replace` names it.
    pub replace: bool,
}

/// The plan for one resource given its live state, and the journal's record of its lost
/// secret, if any.
pub(crate) fn plan_resource(
    desired: &Resource,
    live: &Observation,
    now: Timestamp,
    asked: Asked,
    lost: Option<&LostSecret>,
) -> ResourcePlan {
    let vendor = desired.vendor;
    let mut actions = Vec::new();
    if let (Some(to), Some(from)) = (desired.interval_days, live.interval_days())
        && f64::from(to) != from
    {
        actions.push(Action::UpdateInterval { from, to });
    }
    let interval_after_plan = desired
        .interval_days
        .map(f64::from)
        .or(live.interval_days());
    let key = KeyFacts {
        policy: &desired.rotation,
        last_rotation: live.last_rotation,
        automatic_interval: interval_after_plan.and_then(days_to_duration),
        replace: asked.replace,
        gap_risk: vendor.gap_risk,
        last_change: vendor
            .changed_attribute
            .and_then(|attribute| Some((live.changed_at()?, attribute))),
    };
    let (decision, deadline) = decide(key, now, asked.allow_rapid_rotation);
    let decision = match lost {
        Some(lost) => recover(lost, decision),
        None => decision,
    };
    let mut deferral = None;
    let rotates = matches!(decision, RotationDecision::Rotate(_));
    match decision {
        RotationDecision::Keep => {}
        RotationDecision::Rotate(reasons) => actions.push(Action::Rotate { reasons }),
        RotationDecision::Defer(held_back) => deferral = Some(Box::new(held_back)),
    }
    let before = attributes(vendor, live);
    ResourcePlan {
        name: desired.name.clone(),
        target: Target {
            vendor,
            id: desired.id.clone(),
            sink: desired.sink.clone(),
        },
        min_rotation_gap: desired.rotation.min_rotation_gap,
        last_rotation: live.last_rotation,
        interval_days: live.interval_days(),
        changed_at: live.changed_at().map(Box::new),
        after: attributes_after(vendor, &before, &actions),
        before,
        actions,
        deferral,
        deadline,
        warnings: expiry_warning(desired, live, now, rotates)
            .into_iter()
            .collect(),
    }
}

/// A key whose secret was lost is rotated again whatever its age: the safety gap protects a
/// previous secret still in use, and nobody has the current one.
fn recover(lost: &LostSecret, decision: RotationDecision) -> RotationDecision {
    let mut reasons = vec![RotationReason::LostSecret {
        run_id: lost.run_id.clone(),
        at: lost.at,
    }];
    match decision {
        RotationDecision::Rotate(wanted) => reasons.extend(wanted),
        RotationDecision::Defer(deferral) => reasons.extend(deferral.wanted),
        RotationDecision::Keep => {}
    }
    RotationDecision::Rotate(reasons)
}

/// A number of days as a duration; `None` for values no interval can have.
fn days_to_duration(days: f64) -> Option<SignedDuration> {
    let seconds = days * 86_400.0;
    (seconds.is_finite() && seconds > 0.0 && seconds < 1e12)
        .then(|| SignedDuration::from_secs(seconds as i64))
}

/// The live attributes in the vendor's words: its interval, its last rotation, its expiry.
fn attributes(vendor: &Vendor, live: &Observation) -> Vec<Attribute> {
    let instant = |at: Option<Timestamp>| match at {
        Some(at) => AttributeValue::Known(at.to_string()),
        None => AttributeValue::Unknown,
    };
    let interval = vendor.interval_attribute.map(|name| Attribute {
        name: name.into(),
        value: match live.interval_days() {
            Some(days) => AttributeValue::Known(days.to_string()),
            None => AttributeValue::Unknown,
        },
    });
    let last_rotation = Some(Attribute {
        name: vendor.last_rotation_attribute.into(),
        value: instant(live.last_rotation),
    });
    let expiry = vendor.expiry.as_ref().map(|expiry| Attribute {
        name: expiry.attribute.into(),
        value: match live.expires_at {
            Some(at) => AttributeValue::Known(at.to_string()),
            None => AttributeValue::Never,
        },
    });
    // Exactly as many as there are: a plan holds two lists of them per resource.
    let present = [interval, last_rotation, expiry];
    let mut attributes = Vec::with_capacity(present.iter().flatten().count());
    attributes.extend(present.into_iter().flatten());
    attributes
}

/// The attributes once the actions are done: the new interval, a last rotation known only
/// after apply.
fn attributes_after(vendor: &Vendor, before: &[Attribute], actions: &[Action]) -> Vec<Attribute> {
    let mut after = before.to_vec();
    for action in actions {
        let (name, value) = match action {
            Action::UpdateInterval { to, .. } => (
                vendor.interval_attribute.unwrap_or_default(),
                AttributeValue::Known(to.to_string()),
            ),
            Action::Rotate { .. } => (
                vendor.last_rotation_attribute,
                AttributeValue::KnownAfterApply,
            ),
        };
        if let Some(attribute) = after.iter_mut().find(|attribute| attribute.name == name) {
            attribute.value = value;
        }
    }
    after
}

fn expiry_warning(
    desired: &Resource,
    live: &Observation,
    now: Timestamp,
    rotates: bool,
) -> Option<PlanWarning> {
    let warn_within = desired.vendor.expiry.as_ref()?.warn_within;
    let expiring_at = live.expires_at?;
    let remaining = expiring_at.duration_since(now);
    if remaining <= warn_within {
        return Some(PlanWarning::KeyExpiresSoon {
            expiring_at,
            remaining,
        });
    }
    let next_rotation = next_rotation(&desired.rotation, live.last_rotation)?;
    (!rotates && expiring_at < next_rotation).then_some(PlanWarning::KeyExpiresBeforeRotation {
        expiring_at,
        next_rotation,
    })
}

/// When the rules next want the key rotated: at `max_key_age`, or when a deadline's window
/// opens (unless the last rotation already counts towards it); `None` when neither applies.
fn next_rotation(policy: &RotationPolicy, last: Option<Timestamp>) -> Option<Timestamp> {
    let last = last?;
    let by_age = policy
        .max_key_age
        .and_then(|age| last.checked_add(age).ok());
    let by_deadline = policy
        .rotate_by
        .and_then(|deadline| deadline.checked_sub(policy.rotation_window).ok())
        .filter(|opens| last < *opens);
    by_age.into_iter().chain(by_deadline).min()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{RotationPolicy, SecretSink};
    use crate::plan::{DeadlineStatus, Schedule};
    use crate::vendor::{cloudflare, rixl};

    fn now() -> Timestamp {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    fn days(n: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * n)
    }

    fn plan(desired: &Resource, live: &Observation) -> ResourcePlan {
        plan_resource(desired, live, now(), Asked::default(), None)
    }

    fn account(interval: Option<u16>, max_key_age: Option<i64>) -> Resource {
        Resource {
            name: "production".to_owned(),
            vendor: &cloudflare::VENDOR,
            id: "023e105f4ecef8ad9ca31a8372d0c353".to_owned(),
            rotation: RotationPolicy {
                max_key_age: max_key_age.map(days),
                ..RotationPolicy::default()
            },
            sink: None,
            interval_days: interval,
        }
    }

    fn account_live(interval: f64, age_days: i64) -> Observation {
        Observation {
            last_rotation: Some(now() - days(age_days)),
            expires_at: None,
            schedule: Some(Schedule {
                interval_days: interval,
                days_until_next: None,
            }),
            ..Observation::default()
        }
    }

    fn key(max_key_age: Option<i64>) -> Resource {
        Resource {
            name: "ci-uploader".to_owned(),
            vendor: &rixl::VENDOR,
            id: "ak7Hq2".to_owned(),
            rotation: RotationPolicy {
                max_key_age: max_key_age.map(days),
                ..RotationPolicy::default()
            },
            sink: Some(Box::new(SecretSink::File {
                shown: "secrets/ci.key".to_owned(),
                path: PathBuf::from("/tmp/secrets/ci.key"),
            })),
            interval_days: None,
        }
    }

    fn key_live(age_days: i64, expires_in_days: i64) -> Observation {
        Observation {
            last_rotation: Some(now() - days(age_days)),
            expires_at: Some(now() + days(expires_in_days)),
            schedule: None,
            ..Observation::default()
        }
    }

    #[test]
    fn matching_state_plans_nothing() {
        let plan = plan(&account(Some(90), Some(120)), &account_live(90.0, 10));
        assert!(plan.actions.is_empty());
        assert_eq!(plan.before, plan.after);
    }

    #[test]
    fn a_different_interval_is_updated() {
        let plan = plan(&account(Some(30), None), &account_live(90.0, 10));
        assert_eq!(
            plan.actions,
            vec![Action::UpdateInterval { from: 90.0, to: 30 }]
        );
        assert_eq!(plan.after[0].value, AttributeValue::Known("30".to_owned()));
    }

    #[test]
    fn an_unmanaged_interval_is_left_alone() {
        let plan = plan(&account(None, None), &account_live(47.0, 10));
        assert!(plan.actions.is_empty());
    }

    #[test]
    fn the_update_comes_before_the_rotate() {
        let plan = plan(&account(Some(30), Some(120)), &account_live(90.0, 131));
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
    fn the_interval_update_moves_the_vendors_scheduled_rotation() {
        let mut desired = account(Some(30), None);
        desired.rotation.rotate_by = Some(now() + days(5));
        let live = account_live(90.0, 28);
        let updated = plan(&desired, &live);
        assert_eq!(
            updated.actions,
            vec![Action::UpdateInterval { from: 90.0, to: 30 }]
        );
        assert!(matches!(
            updated.deadline,
            Some(DeadlineStatus::MetByScheduledRotation { .. })
        ));

        desired.interval_days = None;
        let unmanaged = plan(&desired, &live);
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
        let plan = plan(&desired, &account_live(90.0, 2));
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

    #[test]
    fn attributes_are_named_as_the_vendor_names_them() {
        let names = |plan: &ResourcePlan| -> Vec<String> {
            plan.before
                .iter()
                .map(|attribute| attribute.name.to_string())
                .collect()
        };
        let account = plan(&account(None, None), &account_live(90.0, 10));
        assert_eq!(
            names(&account),
            ["key_rotation_interval_days", "last_key_rotation_at"]
        );
        let key = plan(&key(None), &key_live(10, 300));
        assert_eq!(names(&key), ["created_at", "expiring_at"]);
    }

    #[test]
    fn an_old_key_is_rotated_and_its_created_at_renewed() {
        let plan = plan(&key(Some(60)), &key_live(61, 300));
        assert_eq!(plan.rotations(), 1);
        assert_eq!(plan.after[0].value, AttributeValue::KnownAfterApply);
        assert_eq!(plan.after[1], plan.before[1]);
        assert!(plan.warnings.is_empty());
        assert!(plan.target.issues_secrets());
    }

    #[test]
    fn a_young_key_is_kept() {
        let plan = plan(&key(Some(60)), &key_live(10, 300));
        assert!(plan.actions.is_empty());
        assert_eq!(plan.before, plan.after);
    }

    #[test]
    fn no_automatic_rotation_meets_a_deadline() {
        let mut desired = key(None);
        desired.rotation.rotate_by = Some(now() + days(3));
        let plan = plan(&desired, &key_live(30, 300));
        assert_eq!(plan.rotations(), 1);
    }

    #[test]
    fn expiry_within_the_vendors_warning_is_a_warning_not_an_action() {
        let soon = plan(&key(None), &key_live(10, 14));
        assert!(soon.actions.is_empty());
        assert_eq!(
            soon.warnings[0].to_string(),
            "the key expires on 2026-12-08 12:00 UTC, in 14 days"
        );
        let expired = plan(&key(None), &key_live(10, -2));
        assert_eq!(
            expired.warnings[0].to_string(),
            "the key expired on 2026-11-22 12:00 UTC, 2 days ago"
        );
        assert!(plan(&key(None), &key_live(10, 15)).warnings.is_empty());
    }

    #[test]
    fn a_vendor_without_expiry_never_warns_of_it() {
        let mut live = account_live(90.0, 10);
        live.expires_at = Some(now() + days(1));
        assert!(plan(&account(None, None), &live).warnings.is_empty());
    }

    #[test]
    fn a_lost_secret_is_recovered_at_once_whatever_the_gap() {
        let lost = LostSecret {
            resource: "ci-uploader".to_owned(),
            run_id: "a1b2c3".to_owned(),
            at: now() - days(1),
        };
        // Rotated a day ago (inside the 7-day gap) and young: still rotated again.
        let plan = plan_resource(
            &key(Some(60)),
            &key_live(1, 300),
            now(),
            Asked::default(),
            Some(&lost),
        );
        assert_eq!(plan.rotations(), 1);
        assert!(plan.deferral.is_none());
        let Action::Rotate { reasons } = &plan.actions[0] else {
            panic!("a rotate");
        };
        assert!(reasons[0].recovers_lost_secret());
        assert!(reasons[0].to_string().contains("run a1b2c3"));
    }

    #[test]
    fn a_key_expiring_before_its_next_rotation_is_warned_about_unless_rotated_now() {
        // 30 days old under max_key_age 60d: its next rotation is in 30 days, and it expires in
        // 20, outside RIXL's 14-day warning: only the next rotation makes that news.
        let before = plan(&key(Some(60)), &key_live(30, 20));
        let expected = PlanWarning::KeyExpiresBeforeRotation {
            expiring_at: now() + days(20),
            next_rotation: now() + days(30),
        };
        assert_eq!(before.warnings, [expected]);
        assert!(!before.is_drifted(), "a warning alone is not drift");
        // Expiring after the next rotation: nothing to say.
        assert!(plan(&key(Some(60)), &key_live(30, 40)).warnings.is_empty());
        // Rotated now: the rotation is the next one.
        let due = plan(&key(Some(60)), &key_live(70, 20));
        assert_eq!(due.rotations(), 1);
        assert!(due.warnings.is_empty());
    }

    #[test]
    fn an_expired_key_is_drift_even_when_nothing_is_due() {
        let expired = plan(&key(Some(60)), &key_live(10, -1));
        assert!(expired.actions.is_empty());
        assert!(expired.warnings[0].is_expired());
        assert!(expired.is_drifted());
    }

    #[test]
    fn a_deferral_says_what_rotating_again_would_break_for_its_vendor() {
        // Created two days ago, wanted by a one-day max_key_age: the 7-day gap holds it.
        let young = plan(&key(Some(1)), &key_live(2, 300));
        let deferral = young.deferral.expect("a deferral").to_string();
        assert!(
            deferral.contains("revokes a secret issued only just now"),
            "{deferral}"
        );
        assert!(!deferral.contains("tokens signed with it"), "{deferral}");
    }
}
