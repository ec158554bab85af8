//! The simulated vendors' state: accounts, the credentials they accept, and every request seen.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

use super::clock::Clock;
use super::faults::{FaultInjector, Faults};
use super::in_flight::InFlight;

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

/// The credentials the sandbox accepts. Printed by `keyrot sandbox` so a user can paste them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxCredentials {
    /// Accepted by the Cloudflare API as `Authorization: Bearer`.
    pub api_token: String,
    /// Accepted by the Cloudflare API as `X-Auth-Email` together with `api_key`.
    pub email: String,
    /// Accepted by the Cloudflare API as `X-Auth-Key` together with `email`.
    pub api_key: String,
    /// Accepted by the RIXL API as `Authorization: Bearer`.
    pub rixl_token: String,
    /// Exchanged by the RIXL API for an access token.
    pub rixl_api_key: String,
}

impl SandboxCredentials {
    /// Fresh random credentials.
    pub fn generate() -> Self {
        Self {
            api_token: random_token(20),
            email: "sandbox@keyrot.invalid".to_owned(),
            api_key: random_token(16),
            rixl_token: random_token(20),
            rixl_api_key: format!("rxl_{}", random_token(12)),
        }
    }
}

/// One simulated RIXL API key, secret included (the sandbox is the only holder besides keyrot's
/// sink).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxKey {
    /// The key ID.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// The organization it belongs to.
    pub org_id: String,
    /// Its project.
    pub project_id: String,
    /// Its project's name.
    pub project_name: String,
    /// When it (and its current secret) was created.
    pub created_at: Timestamp,
    /// When it expires, if it does.
    pub expiring_at: Option<Timestamp>,
    /// When it was last used.
    pub last_used: Option<Timestamp>,
    /// Its current secret.
    pub secret: String,
}

/// Random lowercase hexadecimal, `bytes` bytes of it.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    // Should the OS refuse randomness, the zeroed buffer still makes usable sandbox credentials.
    let _ = getrandom::fill(&mut buffer);
    buffer.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// One request the sandbox received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
}

/// Counts of what the sandbox saw, for tests and benchmarks to assert on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SandboxCounters {
    /// Requests received, by HTTP method.
    pub by_method: BTreeMap<String, usize>,
    /// Rotations performed, by account ID.
    pub rotations: BTreeMap<String, usize>,
    /// 429 answers sent (injected or for the rate limit).
    pub throttled: usize,
    /// The most requests answered at once.
    pub most_in_flight: usize,
}

/// Everything the running sandbox holds.
pub(crate) struct SandboxState {
    pub clock: Clock,
    pub credentials: SandboxCredentials,
    pub faults: FaultInjector,
    accounts: Mutex<HashMap<String, SandboxAccount>>,
    rixl_keys: Mutex<Vec<SandboxKey>>,
    rixl_tokens: Mutex<Vec<String>>,
    access_disabled: Mutex<Vec<String>>,
    requests: Mutex<Vec<RecordedRequest>>,
    counters: Mutex<SandboxCounters>,
    pub in_flight: InFlight,
}

impl SandboxState {
    pub fn new(
        clock: Clock,
        credentials: SandboxCredentials,
        accounts: Vec<SandboxAccount>,
        rixl_keys: Vec<SandboxKey>,
        faults: Faults,
    ) -> Self {
        let accounts = accounts
            .into_iter()
            .map(|account| (account.account_id.clone(), account))
            .collect();
        Self {
            clock,
            credentials,
            faults: FaultInjector::new(faults),
            accounts: Mutex::new(accounts),
            rixl_keys: Mutex::new(rixl_keys),
            rixl_tokens: Mutex::new(Vec::new()),
            access_disabled: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            counters: Mutex::new(SandboxCounters::default()),
            in_flight: InFlight::new(),
        }
    }

    pub fn record(&self, method: &str, path: &str) {
        lock(&self.requests).push(RecordedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
        });
        *lock(&self.counters)
            .by_method
            .entry(method.to_owned())
            .or_default() += 1;
    }

    pub fn count_rotation(&self, account_id: &str) {
        *lock(&self.counters)
            .rotations
            .entry(account_id.to_owned())
            .or_default() += 1;
    }

    pub fn count_throttled(&self) {
        lock(&self.counters).throttled += 1;
    }

    pub fn counters(&self) -> SandboxCounters {
        SandboxCounters {
            most_in_flight: self.in_flight.most(),
            ..lock(&self.counters).clone()
        }
    }

    /// The RIXL keys of `org_id` (all of them when `None`), in creation order.
    pub fn rixl_keys(&self, org_id: Option<&str>) -> Vec<SandboxKey> {
        lock(&self.rixl_keys)
            .iter()
            .filter(|key| org_id.is_none_or(|org| key.org_id == org))
            .cloned()
            .collect()
    }

    /// Rotates a key: a fresh secret, `created_at` renewed, the same lifetime from now.
    pub fn rotate_rixl_key(
        &self,
        org_id: Option<&str>,
        key_id: &str,
        now: Timestamp,
    ) -> Option<SandboxKey> {
        let mut keys = lock(&self.rixl_keys);
        let key = keys
            .iter_mut()
            .find(|key| key.id == key_id && org_id.is_none_or(|org| key.org_id == org))?;
        let lifetime = key.expiring_at.map(|at| at.duration_since(key.created_at));
        key.created_at = now;
        key.expiring_at = lifetime.and_then(|lifetime| now.checked_add(lifetime).ok());
        key.secret = format!("rxl_{}", random_token(18));
        Some(key.clone())
    }

    /// Issues an access token for the RIXL token exchange.
    pub fn issue_rixl_token(&self) -> String {
        let token = random_token(24);
        lock(&self.rixl_tokens).push(token.clone());
        token
    }

    /// The configured RIXL token or one issued by the exchange.
    pub fn accepts_rixl_token(&self, token: &str) -> bool {
        token == self.credentials.rixl_token || lock(&self.rixl_tokens).iter().any(|t| t == token)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
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

    /// Makes the account answer Access key calls with code 12109 (not enabled).
    pub fn disable_access(&self, account_id: &str) {
        lock(&self.access_disabled).push(account_id.to_owned());
    }

    /// Whether the account's Access key configuration is not enabled.
    pub fn access_disabled(&self, account_id: &str) -> bool {
        lock(&self.access_disabled)
            .iter()
            .any(|id| id == account_id)
    }

    /// Every account ID, sorted, so pages are stable.
    /// Every account's ID and the name it was seeded with, by ID.
    pub fn account_names(&self) -> Vec<(String, Option<String>)> {
        let mut accounts: Vec<(String, Option<String>)> = lock(&self.accounts)
            .values()
            .map(|account| (account.account_id.clone(), account.name.clone()))
            .collect();
        accounts.sort();
        accounts
    }

    pub fn account(&self, account_id: &str) -> Option<SandboxAccount> {
        self.with_account(account_id, |account, _| account.clone())
    }
}

/// A poisoned lock only means another request panicked; the data is still consistent enough
/// for a simulator, so keep serving.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
