//! Seeds the simulated RIXL from a desired-state file: every key exists, some past their
//! `max_key_age` and some about to expire, so a first plan has work to show.

use jiff::{SignedDuration, Timestamp};

use super::SandboxKey;
use crate::config::DesiredState;
use crate::sandbox::random_token;
use crate::vendor::rixl::{RixlApi, VENDOR};

fn days(count: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * count)
}

/// The organization of seeded RIXL keys when the file uses the platform routes.
const SANDBOX_ORG: &str = "ORsandbox01";

/// One simulated RIXL key per key of `desired`: every other key is 11 days past its
/// `max_key_age` (or 200 days old without one), the rest 3 days old; every third key expires
/// within 10 days, so the plan warns about it.
pub fn seed_rixl_keys(desired: &DesiredState, now: Timestamp) -> Vec<SandboxKey> {
    let org_id = match RixlApi::of(desired.connection(&VENDOR)) {
        RixlApi::V1 { org_id } => org_id,
        RixlApi::Platform => SANDBOX_ORG.to_owned(),
    };
    desired
        .resources_of(&VENDOR)
        .enumerate()
        .map(|(index, key)| {
            let age_days = match (index % 2, key.rotation.max_key_age) {
                (0, Some(max_key_age)) => max_key_age.as_hours() / 24 + 11,
                (0, None) => 200,
                _ => 3,
            };
            let created_at = now - days(age_days);
            let expiring_at = if index % 3 == 2 {
                now + days(10)
            } else {
                created_at + days(365)
            };
            SandboxKey {
                id: key.id.clone(),
                name: key.name.clone(),
                org_id: org_id.clone(),
                project_id: "PRsandbox01".to_owned(),
                project_name: "sandbox".to_owned(),
                created_at,
                expiring_at: Some(expiring_at),
                last_used: None,
                secret: format!("rxl_{}", random_token(18)),
            }
        })
        .collect()
}
