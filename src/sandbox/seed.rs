//! Seeds the sandbox from a desired-state file: every account exists, and some differ from the
//! file in their interval or their key's age, so a first plan has work to show.

use jiff::{SignedDuration, Timestamp};

use super::state::{SandboxAccount, SandboxKey, random_token};
use crate::config::{DesiredState, Resource};
use crate::vendor::rixl::RixlApi;
use crate::vendor::{cloudflare, rixl};

/// The interval an account gets when the file leaves it unmanaged.
const UNMANAGED_INTERVAL_DAYS: u32 = 90;

/// One simulated account per account of `desired`, in a deterministic mix of states: every
/// third account has a different interval, every third an over-age key (when the file sets
/// `max_key_age`), the rest match the file.
pub fn seed_accounts(desired: &DesiredState, now: Timestamp) -> Vec<SandboxAccount> {
    desired
        .resources_of(&cloudflare::VENDOR)
        .enumerate()
        .map(|(index, account)| match index % 3 {
            0 => drifted_interval(account, now),
            1 => over_age(account, now).unwrap_or_else(|| drifted_interval(account, now)),
            _ => in_sync(account, now),
        })
        .collect()
}

fn desired_interval(account: &Resource) -> u32 {
    account
        .interval_days
        .map_or(UNMANAGED_INTERVAL_DAYS, u32::from)
}

fn days(count: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * count)
}

fn drifted_interval(account: &Resource, now: Timestamp) -> SandboxAccount {
    let desired = desired_interval(account);
    SandboxAccount {
        account_id: account.id.clone(),
        key_rotation_interval_days: if desired == 90 { 30 } else { 90 },
        last_key_rotation_at: now - days(10),
        name: Some(account.name.clone()),
    }
}

/// A key 11 days past `max_key_age`, with an interval long enough that Cloudflare would not
/// have rotated it by itself meanwhile.
fn over_age(account: &Resource, now: Timestamp) -> Option<SandboxAccount> {
    let max_key_age = account.rotation.max_key_age?;
    let age_days = max_key_age.as_hours() / 24 + 11;
    let interval = desired_interval(account).max(age_days as u32 + 1);
    (interval <= 365).then(|| SandboxAccount {
        account_id: account.id.clone(),
        key_rotation_interval_days: interval,
        last_key_rotation_at: now - days(age_days),
        name: Some(account.name.clone()),
    })
}

fn in_sync(account: &Resource, now: Timestamp) -> SandboxAccount {
    SandboxAccount {
        account_id: account.id.clone(),
        key_rotation_interval_days: desired_interval(account),
        last_key_rotation_at: now - days(3),
        name: Some(account.name.clone()),
    }
}

/// The organization of seeded RIXL keys when the file uses the platform routes.
const SANDBOX_ORG: &str = "ORsandbox01";

/// One simulated RIXL key per key of `desired`: every other key is 11 days past its
/// `max_key_age` (or 200 days old without one), the rest 3 days old; every third key expires
/// within 10 days, so the plan warns about it.
pub fn seed_rixl_keys(desired: &DesiredState, now: Timestamp) -> Vec<SandboxKey> {
    let org_id = match RixlApi::of(desired.connection(&rixl::VENDOR)) {
        RixlApi::V1 { org_id } => org_id,
        RixlApi::Platform => SANDBOX_ORG.to_owned(),
    };
    desired
        .resources_of(&rixl::VENDOR)
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
