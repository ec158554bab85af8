//! Seeds the simulated Cloudflare from a desired-state file: every account exists, and some
//! differ from the file in their interval or their key's age, so a first plan has work to show.

use jiff::{SignedDuration, Timestamp};

use super::SandboxAccount;
use crate::config::{DesiredState, Resource};
use crate::vendor::cloudflare::VENDOR;

/// The interval an account gets when the file leaves it unmanaged.
const UNMANAGED_INTERVAL_DAYS: u32 = 90;

/// One simulated account per account of `desired`, in a deterministic mix of states: every
/// third account has a different interval, every third an over-age key (when the file sets
/// `max_key_age`), the rest match the file.
pub fn seed_accounts(desired: &DesiredState, now: Timestamp) -> Vec<SandboxAccount> {
    desired
        .resources_of(&VENDOR)
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
