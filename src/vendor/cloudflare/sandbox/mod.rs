//! The simulated Cloudflare Access API, written from Cloudflare's documents: accounts whose
//! keys Cloudflare rotates by itself on their interval, both authentication schemes, and the
//! documented error codes.

mod routes;
mod seed;

use std::any::Any;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};

use crate::config::DesiredState;
use crate::sandbox::{SandboxState, Simulated, lock, random_token};

pub(crate) use routes::failure;
pub use seed::seed_accounts;

/// One simulated account's Access key configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxAccount {
    /// The account identifier.
    pub account_id: String,
    /// Days between automatic rotations.
    pub key_rotation_interval_days: u32,
    /// The last rotation, manual or automatic.
    pub last_key_rotation_at: Timestamp,
    /// The name `GET /accounts` lists; `None`: named after its ID.
    pub name: Option<String>,
}

impl SandboxAccount {
    /// Applies the automatic rotations Cloudflare would have made by `now`: the key rotates
    /// every interval after the last rotation.
    fn catch_up(&mut self, now: Timestamp) {
        let interval = SignedDuration::from_hours(24 * i64::from(self.key_rotation_interval_days));
        let elapsed = now.duration_since(self.last_key_rotation_at);
        if elapsed >= interval {
            let periods = elapsed.as_secs() / interval.as_secs();
            let advance = SignedDuration::from_secs(periods * interval.as_secs());
            self.last_key_rotation_at = self
                .last_key_rotation_at
                .saturating_add(advance)
                .unwrap_or(now);
        }
    }

    /// Sets the interval. A key the new interval makes overdue is rotated at once, as
    /// Cloudflare's scheduler would on its next run (the sandbox's assumption: Cloudflare does
    /// not document it).
    pub fn set_interval(&mut self, days: u32, now: Timestamp) {
        self.key_rotation_interval_days = days;
        let interval = SignedDuration::from_hours(24 * i64::from(days));
        if now.duration_since(self.last_key_rotation_at) >= interval {
            self.last_key_rotation_at = now;
        }
    }

    /// Whole days until the next automatic rotation.
    pub fn days_until_next_rotation(&self, now: Timestamp) -> i64 {
        let interval_secs = 86_400 * i64::from(self.key_rotation_interval_days);
        let elapsed = now.duration_since(self.last_key_rotation_at).as_secs();
        (interval_secs - elapsed).max(0) / 86_400
    }
}

/// The credentials the simulated Cloudflare accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxCloudflareCredentials {
    /// Accepted as `Authorization: Bearer`.
    pub api_token: String,
    /// Accepted as `X-Auth-Email` together with `api_key`.
    pub email: String,
    /// Accepted as `X-Auth-Key` together with `email`.
    pub api_key: String,
}

impl SandboxCloudflareCredentials {
    /// Fresh random credentials.
    pub fn generate() -> Self {
        Self {
            api_token: random_token(20),
            email: "sandbox@keyrot.invalid".to_owned(),
            api_key: random_token(16),
        }
    }
}

/// The simulated Cloudflare: its accounts and the credentials it accepts.
pub struct SimulatedCloudflare {
    /// The credentials it accepts.
    pub credentials: SandboxCloudflareCredentials,
    clock: crate::sandbox::Clock,
    accounts: Mutex<HashMap<String, SandboxAccount>>,
    access_disabled: Mutex<Vec<String>>,
}

impl SimulatedCloudflare {
    /// Cloudflare holding `accounts`, accepting `credentials`, its time from `clock`.
    pub fn new(
        clock: crate::sandbox::Clock,
        credentials: SandboxCloudflareCredentials,
        accounts: Vec<SandboxAccount>,
    ) -> Self {
        let accounts = accounts
            .into_iter()
            .map(|account| (account.account_id.clone(), account))
            .collect();
        Self {
            credentials,
            clock,
            accounts: Mutex::new(accounts),
            access_disabled: Mutex::new(Vec::new()),
        }
    }

    /// Cloudflare seeded from `seed` (every account it names, some drifted) with fresh
    /// credentials; none without a seed.
    pub fn seeded(seed: Option<&DesiredState>, clock: crate::sandbox::Clock) -> Box<dyn Simulated> {
        let now = clock.now();
        let accounts = seed.map_or_else(Vec::new, |desired| seed_accounts(desired, now));
        Box::new(Self::new(
            clock,
            SandboxCloudflareCredentials::generate(),
            accounts,
        ))
    }

    /// Runs `change` on the account, brought up to date with automatic rotations first.
    pub fn with_account<T>(
        &self,
        account_id: &str,
        change: impl FnOnce(&mut SandboxAccount, Timestamp) -> T,
    ) -> Option<T> {
        let now = self.clock.now();
        let mut accounts = lock(&self.accounts);
        let account = accounts.get_mut(account_id)?;
        account.catch_up(now);
        Some(change(account, now))
    }

    /// An account's current state, automatic rotations included.
    pub fn account(&self, account_id: &str) -> Option<SandboxAccount> {
        self.with_account(account_id, |account, _| account.clone())
    }

    /// Makes an account answer Access key calls with code 12109 (not enabled).
    pub fn disable_access(&self, account_id: &str) {
        lock(&self.access_disabled).push(account_id.to_owned());
    }

    /// Whether the account's Access key configuration is not enabled.
    fn access_disabled(&self, account_id: &str) -> bool {
        lock(&self.access_disabled)
            .iter()
            .any(|id| id == account_id)
    }

    /// Changes an account as someone outside keyrot would (a console, a script): sets its
    /// interval, which Cloudflare may answer with a rotation.
    pub fn set_interval_outside_keyrot(&self, account_id: &str, days: u32) {
        self.with_account(account_id, |account, now| account.set_interval(days, now));
    }

    /// Every account's ID and the name it was seeded with, by ID, so pages are stable.
    fn account_names(&self) -> Vec<(String, Option<String>)> {
        let mut accounts: Vec<(String, Option<String>)> = lock(&self.accounts)
            .values()
            .map(|account| (account.account_id.clone(), account.name.clone()))
            .collect();
        accounts.sort();
        accounts
    }
}

/// Where the simulated API is rooted, as `CLOUDFLARE_BASE_URL` names Cloudflare's.
const ROOT: &str = "/client/v4";

impl Simulated for SimulatedCloudflare {
    fn routes(&self) -> Router<Arc<SandboxState>> {
        routes::routes()
    }

    fn serves(&self, path: &str) -> bool {
        path.starts_with(ROOT)
    }

    /// Cloudflare's host answers any path with its envelope, so a base URL without
    /// `/client/v4` gets "No route for the URI" as it would from Cloudflare.
    fn rotates(&self, method: &Method, path: &str) -> bool {
        method == Method::POST && path.ends_with("/rotate")
    }

    fn answers_unclaimed_paths(&self) -> bool {
        true
    }

    fn failure(&self, status: StatusCode, code: i64, message: &str) -> Response {
        routes::failure(status, code, message)
    }

    fn no_route(&self) -> Response {
        routes::no_route_response()
    }

    fn environment(&self, address: SocketAddr) -> Vec<(&'static str, String)> {
        vec![
            ("CLOUDFLARE_BASE_URL", format!("http://{address}{ROOT}")),
            ("CLOUDFLARE_API_TOKEN", self.credentials.api_token.clone()),
        ]
    }

    fn alternatives(&self) -> Vec<String> {
        vec![
            "# the sandbox also accepts this X-Auth-Email / X-Auth-Key pair instead of the token:"
                .to_owned(),
            format!("# export CLOUDFLARE_EMAIL={}", self.credentials.email),
            format!("# export CLOUDFLARE_API_KEY={}", self.credentials.api_key),
        ]
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn automatic_rotations_catch_up_whole_intervals() {
        let mut account = SandboxAccount {
            account_id: "a".into(),
            key_rotation_interval_days: 30,
            last_key_rotation_at: at("2026-01-01T00:00:00Z"),
            name: None,
        };
        account.catch_up(at("2026-03-05T00:00:00Z"));
        assert_eq!(account.last_key_rotation_at, at("2026-03-02T00:00:00Z"));
        assert_eq!(
            account.days_until_next_rotation(at("2026-03-05T00:00:00Z")),
            27
        );
    }

    #[test]
    fn no_rotation_before_the_interval_ends() {
        let mut account = SandboxAccount {
            account_id: "a".into(),
            key_rotation_interval_days: 30,
            last_key_rotation_at: at("2026-01-01T00:00:00Z"),
            name: None,
        };
        account.catch_up(at("2026-01-30T23:59:59Z"));
        assert_eq!(account.last_key_rotation_at, at("2026-01-01T00:00:00Z"));
    }
}
