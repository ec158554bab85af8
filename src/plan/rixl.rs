//! Plans one RIXL API key: the rotation rules with last rotation = `created_at`, no interval and
//! no automatic rotation; a warning when the key expires within 14 days.

use jiff::{SignedDuration, Timestamp};

use super::live::RixlLive;
use super::lost_secret::LostSecret;
use super::model::{Action, Attribute, AttributeValue, PlanWarning, ResourcePlan};
use super::reason::RotationReason;
use super::rotation::{KeyFacts, RotationDecision, decide};
use super::target::{Target, Vendor, whole_id};
use crate::config::RixlKey;

/// RIXL: one API key, whose rotation issues a new secret.
pub const VENDOR: Vendor = Vendor {
    key: "rixl",
    title: "RIXL",
    section: "api_keys",
    kind: "api_key",
    noun: "api key",
    rotate_label: "rotate api key",
    short_id: whole_id,
    gap_risk: "revokes a secret issued only just now, which not every consumer may have yet",
};

/// Keys expiring within this long are pointed out in the plan.
pub const EXPIRY_WARNING: SignedDuration = SignedDuration::from_hours(14 * 24);

/// The plan for one key given its listed state.
pub(crate) fn plan_key(
    desired: &RixlKey,
    live: &RixlLive,
    now: Timestamp,
    allow_rapid_rotation: bool,
    replace: bool,
    lost: Option<&LostSecret>,
) -> ResourcePlan {
    let key = KeyFacts {
        policy: &desired.rotation,
        last_rotation: live.created_at,
        automatic_interval: None,
        replace,
        gap_risk: VENDOR.gap_risk,
    };
    let (decision, deadline) = decide(key, now, allow_rapid_rotation);
    let decision = match lost {
        Some(lost) => recover(lost, decision),
        None => decision,
    };
    let mut actions = Vec::new();
    let mut deferral = None;
    match decision {
        RotationDecision::Keep => {}
        RotationDecision::Rotate(reasons) => actions.push(Action::Rotate { reasons }),
        RotationDecision::Defer(held_back) => deferral = Some(Box::new(held_back)),
    }
    let before = attributes(live);
    let after = if actions.is_empty() {
        before.clone()
    } else {
        vec![
            attribute("created_at", AttributeValue::KnownAfterApply),
            before[1].clone(),
        ]
    };
    ResourcePlan {
        name: desired.name.clone(),
        target: Target {
            vendor: &VENDOR,
            id: desired.key_id.clone(),
            sink: Some(Box::new(desired.sink.clone())),
        },
        min_rotation_gap: desired.rotation.min_rotation_gap,
        last_rotation: live.created_at,
        interval_days: None,
        before,
        after,
        actions,
        deferral,
        deadline,
        warnings: expiry_warning(live, now).into_iter().collect(),
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

fn attribute(name: &'static str, value: AttributeValue) -> Attribute {
    Attribute {
        name: name.into(),
        value,
    }
}

fn attributes(live: &RixlLive) -> Vec<Attribute> {
    let value = |instant: Option<Timestamp>| match instant {
        Some(at) => AttributeValue::Known(at.to_string()),
        None => AttributeValue::Unknown,
    };
    vec![
        attribute("created_at", value(live.created_at)),
        attribute("expiring_at", value(live.expiring_at)),
    ]
}

fn expiry_warning(live: &RixlLive, now: Timestamp) -> Option<PlanWarning> {
    let expiring_at = live.expiring_at?;
    let remaining = expiring_at.duration_since(now);
    (remaining <= EXPIRY_WARNING).then_some(PlanWarning::KeyExpiresSoon {
        expiring_at,
        remaining,
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{RotationPolicy, SecretSink};

    fn now() -> Timestamp {
        "2026-11-24T12:00:00Z".parse().unwrap()
    }

    fn days(n: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * n)
    }

    fn key(max_key_age: Option<i64>) -> RixlKey {
        RixlKey {
            name: "ci-uploader".to_owned(),
            key_id: "ak7Hq2".to_owned(),
            rotation: RotationPolicy {
                max_key_age: max_key_age.map(days),
                ..RotationPolicy::default()
            },
            sink: SecretSink::File {
                shown: "secrets/ci.key".to_owned(),
                path: PathBuf::from("/tmp/secrets/ci.key"),
            },
        }
    }

    fn live(age_days: i64, expires_in_days: i64) -> RixlLive {
        RixlLive {
            created_at: Some(now() - days(age_days)),
            expiring_at: Some(now() + days(expires_in_days)),
        }
    }

    #[test]
    fn an_old_key_is_rotated_and_its_created_at_renewed() {
        let plan = plan_key(&key(Some(60)), &live(61, 300), now(), false, false, None);
        assert_eq!(plan.rotations(), 1);
        assert_eq!(plan.after[0].value, AttributeValue::KnownAfterApply);
        assert!(plan.warnings.is_empty());
    }

    #[test]
    fn a_young_key_is_kept() {
        let plan = plan_key(&key(Some(60)), &live(10, 300), now(), false, false, None);
        assert!(plan.actions.is_empty());
        assert_eq!(plan.before, plan.after);
    }

    #[test]
    fn no_automatic_rotation_meets_a_deadline() {
        let mut desired = key(None);
        desired.rotation.rotate_by = Some(now() + days(3));
        let plan = plan_key(&desired, &live(30, 300), now(), false, false, None);
        assert_eq!(plan.rotations(), 1);
    }

    #[test]
    fn expiry_within_14_days_is_a_warning_not_an_action() {
        let plan = plan_key(&key(None), &live(10, 14), now(), false, false, None);
        assert!(plan.actions.is_empty());
        assert_eq!(
            plan.warnings[0].to_string(),
            "the key expires on 2026-12-08 12:00 UTC, in 14 days"
        );
        let expired = plan_key(&key(None), &live(10, -2), now(), false, false, None);
        assert_eq!(
            expired.warnings[0].to_string(),
            "the key expired on 2026-11-22 12:00 UTC, 2 days ago"
        );
        assert!(
            plan_key(&key(None), &live(10, 15), now(), false, false, None)
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn a_lost_secret_is_recovered_at_once_whatever_the_gap() {
        let lost = LostSecret {
            resource: "ci-uploader".to_owned(),
            run_id: "a1b2c3".to_owned(),
            at: now() - days(1),
        };
        // Rotated a day ago (inside the 7-day gap) and young: still rotated again.
        let plan = plan_key(
            &key(Some(60)),
            &live(1, 300),
            now(),
            false,
            false,
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
    fn a_deferred_rixl_rotation_says_what_rotating_again_would_break() {
        // Created two days ago, wanted by a one-day max_key_age: the 7-day gap holds it.
        let mut young = key(Some(1));
        young.rotation.max_key_age = Some(days(1));
        let plan = plan_key(&young, &live(2, 300), now(), false, false, None);
        let deferral = plan.deferral.expect("a deferral").to_string();
        assert!(
            deferral.contains("revokes a secret issued only just now"),
            "{deferral}"
        );
        assert!(!deferral.contains("tokens signed with it"), "{deferral}");
    }
}
