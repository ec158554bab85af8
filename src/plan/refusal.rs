//! What a plan cannot hold: the key keyrot itself authenticates with, or a rotation of a key
//! its vendor reports disabled or expired. Either refuses the whole plan.

use super::{Action, KeyStatus, Observation, PlanError, ResourcePlan};

/// A plan cannot hold the key keyrot authenticates with, nor rotate one its vendor reports
/// disabled or expired.
pub(super) fn refuse_to_rotate_unusable(
    planned: &ResourcePlan,
    live: &Observation,
) -> Result<(), PlanError> {
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

    use jiff::{SignedDuration, Timestamp};

    use super::super::{
        KeyState, KeyStatus, LiveState, Observation, Plan, PlanError, PlanOptions, plan,
    };
    use crate::config::{DesiredState, load_bytes};

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
        assert!(
            message.contains("Authenticate with a separate api token"),
            "{message}"
        );
    }
}
