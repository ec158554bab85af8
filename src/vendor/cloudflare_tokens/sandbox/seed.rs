//! Seeds the simulated API tokens from a desired-state file: every token exists, every other
//! one past its `max_key_age`, so a first plan has work to show.

use jiff::{SignedDuration, Timestamp};

use super::SandboxToken;
use crate::config::DesiredState;
use crate::sandbox::random_token;
use crate::vendor::cloudflare_tokens::VENDOR;

fn days(count: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * count)
}

/// One simulated token per token of `desired`: every other one 11 days past its
/// `max_key_age` (or 200 days old without one), the rest 3 days old; none expires.
pub fn seed_tokens(desired: &DesiredState, now: Timestamp) -> Vec<SandboxToken> {
    desired
        .resources_of(&VENDOR)
        .enumerate()
        .map(|(index, token)| {
            let age_days = match (index % 2, token.rotation.max_key_age) {
                (0, Some(max_key_age)) => max_key_age.as_hours() / 24 + 11,
                (0, None) => 200,
                _ => 3,
            };
            let (account_id, token_id) = match token.id.split_once('/') {
                Some((account_id, token_id)) => (Some(account_id.to_owned()), token_id),
                None => (None, token.id.as_str()),
            };
            let issued_on = now - days(age_days);
            SandboxToken {
                id: token_id.to_owned(),
                name: token.name.clone(),
                account_id,
                status: "active".to_owned(),
                issued_on,
                modified_on: issued_on,
                expires_on: None,
                value: Some(format!("cfut_{}", random_token(40))),
            }
        })
        .collect()
}
