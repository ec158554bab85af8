//! Checks the file as written and turns it into the desired state, merging defaults under each
//! account. Every problem is collected with its location; nothing is dropped silently.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use super::duration::parse_duration;
use super::error::{ConfigError, Diagnostic};
use super::instant::parse_instant;
use super::model::{
    AccountId, CloudflareAccount, DEFAULT_MAX_ROTATIONS_PER_APPLY, DEFAULT_MIN_ROTATION_GAP,
    DEFAULT_ROTATION_WINDOW, DesiredState, RotationPolicy, Settings,
};
use super::number::Number;
use super::rate_limit::{RateLimit, parse_rate_limit};
use super::raw::{Located, RawAccount, RawCloudflare, RawFile, RawSettings};

/// Validates a parsed file; `file` names it in diagnostics.
pub(crate) fn validate(file: &str, raw: RawFile) -> Result<DesiredState, ConfigError> {
    let mut checker = Checker::default();
    let settings = checker.settings(raw.settings);
    let cloudflare_rate_limit = raw
        .cloudflare
        .as_ref()
        .and_then(|cloudflare| cloudflare.rate_limit.as_ref())
        .and_then(|text| checker.rate_limit(text))
        .unwrap_or(RateLimit::CLOUDFLARE_DEFAULT);
    let cloudflare_accounts = checker.cloudflare(raw.cloudflare);
    if checker.diagnostics.is_empty() {
        return Ok(DesiredState {
            source: file.to_owned(),
            settings,
            cloudflare_accounts,
            cloudflare_rate_limit,
        });
    }
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|diagnostic| (diagnostic.line, diagnostic.column));
    Err(ConfigError::Invalid {
        file: file.to_owned(),
        diagnostics,
    })
}

/// The per-account settings that `defaults` may also set, each already parsed.
#[derive(Default)]
struct AccountSettings {
    key_rotation_interval_days: Option<u16>,
    max_key_age: Option<SignedDuration>,
    rotate_by: Option<Timestamp>,
    rotation_window: Option<SignedDuration>,
    min_rotation_gap: Option<SignedDuration>,
}

impl AccountSettings {
    /// These settings, with `defaults` filling what they leave unset.
    fn merged_over(self, defaults: &AccountSettings) -> (Option<u16>, RotationPolicy) {
        let policy = RotationPolicy {
            max_key_age: self.max_key_age.or(defaults.max_key_age),
            rotate_by: self.rotate_by.or(defaults.rotate_by),
            rotation_window: self
                .rotation_window
                .or(defaults.rotation_window)
                .unwrap_or(DEFAULT_ROTATION_WINDOW),
            min_rotation_gap: self
                .min_rotation_gap
                .or(defaults.min_rotation_gap)
                .unwrap_or(DEFAULT_MIN_ROTATION_GAP),
        };
        let interval = self
            .key_rotation_interval_days
            .or(defaults.key_rotation_interval_days);
        (interval, policy)
    }
}

#[derive(Default)]
struct Checker {
    diagnostics: Vec<Diagnostic>,
}

impl Checker {
    fn report<T>(&mut self, located: &Located<T>, message: String) {
        self.diagnostics.push(Diagnostic {
            line: located.referenced.line(),
            column: located.referenced.column(),
            message,
        });
    }

    fn settings(&mut self, raw: Option<RawSettings>) -> Settings {
        let max = raw.and_then(|settings| settings.max_rotations_per_apply);
        let max_rotations_per_apply = max
            .and_then(|value| {
                self.whole_number(&value, "max_rotations_per_apply", 1, u64::from(u32::MAX))
            })
            .map_or(DEFAULT_MAX_ROTATIONS_PER_APPLY, |value| value as u32);
        Settings {
            max_rotations_per_apply,
        }
    }

    fn cloudflare(&mut self, raw: Option<RawCloudflare>) -> Vec<CloudflareAccount> {
        let Some(raw) = raw else { return Vec::new() };
        let defaults = match raw.defaults {
            Some(defaults) => self.defaults(defaults),
            None => AccountSettings::default(),
        };
        let mut seen_ids: HashMap<AccountId, String> = HashMap::new();
        let entries = raw.accounts.map(|accounts| accounts.0).unwrap_or_default();
        entries
            .into_iter()
            .filter_map(|(name, account)| self.account(name, account, &defaults, &mut seen_ids))
            .collect()
    }

    fn defaults(&mut self, defaults: Located<RawAccount>) -> AccountSettings {
        if let Some(account_id) = &defaults.value.account_id {
            self.report(
                account_id,
                "`account_id` cannot be a default: each account names its own".to_owned(),
            );
        }
        self.account_settings(defaults.value)
    }

    fn account(
        &mut self,
        name: Located<String>,
        raw: Located<RawAccount>,
        defaults: &AccountSettings,
        seen_ids: &mut HashMap<AccountId, String>,
    ) -> Option<CloudflareAccount> {
        let name_ok = self.resource_name(&name);
        let account_id = match &raw.value.account_id {
            Some(id) => self.account_id(id, &name.value, seen_ids),
            None => {
                let message = format!("account `{}` has no `account_id`", name.value);
                self.report(&name, message);
                None
            }
        };
        let settings = self.account_settings(raw.value);
        let (key_rotation_interval_days, rotation) = settings.merged_over(defaults);
        Some(CloudflareAccount {
            name: name_ok.then_some(name.value)?,
            account_id: account_id?,
            key_rotation_interval_days,
            rotation,
        })
    }

    /// A well-formed account ID that no earlier account in the file already manages.
    fn account_id(
        &mut self,
        id: &Located<String>,
        name: &str,
        seen_ids: &mut HashMap<AccountId, String>,
    ) -> Option<AccountId> {
        let account_id = AccountId::parse(&id.value)
            .map_err(|message| self.report(id, message))
            .ok()?;
        if let Some(first) = seen_ids.get(&account_id) {
            let message = format!(
                "account `{name}` has the same account_id as `{first}`; each account may be \
                 managed by one entry only"
            );
            self.report(id, message);
            return None;
        }
        seen_ids.insert(account_id.clone(), name.to_owned());
        Some(account_id)
    }

    fn account_settings(&mut self, raw: RawAccount) -> AccountSettings {
        AccountSettings {
            key_rotation_interval_days: raw.key_rotation_interval_days.and_then(|days| {
                self.whole_number(&days, "key_rotation_interval_days", 21, 365)
                    .map(|days| days as u16)
            }),
            max_key_age: raw
                .max_key_age
                .and_then(|age| self.positive_duration(&age, "max_key_age")),
            rotate_by: raw.rotate_by.and_then(|text| self.instant(&text)),
            rotation_window: raw.rotation_window.and_then(|text| self.duration(&text)),
            min_rotation_gap: raw.min_rotation_gap.and_then(|text| self.duration(&text)),
        }
    }

    fn resource_name(&mut self, name: &Located<String>) -> bool {
        let text = &name.value;
        let mut chars = text.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok =
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !(first_ok && rest_ok) {
            self.report(
                name,
                format!(
                    "resource name `{text}` must start with a lowercase letter or digit and \
                     contain only lowercase letters, digits, `_` and `-`"
                ),
            );
        }
        first_ok && rest_ok
    }

    fn whole_number(
        &mut self,
        value: &Located<Number>,
        field: &str,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        let whole = value.value.whole_in(min, max);
        if whole.is_none() {
            let range = if max == u64::from(u32::MAX) {
                format!("a whole number of at least {min}")
            } else {
                format!("a whole number from {min} to {max}")
            };
            self.report(
                value,
                format!("`{field}` must be {range}, found {}", value.value),
            );
        }
        whole
    }

    fn duration(&mut self, text: &Located<String>) -> Option<SignedDuration> {
        parse_duration(&text.value)
            .map_err(|message| self.report(text, message))
            .ok()
    }

    fn positive_duration(&mut self, text: &Located<String>, field: &str) -> Option<SignedDuration> {
        let duration = self.duration(text)?;
        if duration.is_zero() {
            self.report(text, format!("`{field}` must be longer than zero"));
            return None;
        }
        Some(duration)
    }

    fn rate_limit(&mut self, text: &Located<String>) -> Option<RateLimit> {
        parse_rate_limit(&text.value)
            .map_err(|message| self.report(text, message))
            .ok()
    }

    fn instant(&mut self, text: &Located<String>) -> Option<Timestamp> {
        parse_instant(&text.value)
            .map_err(|message| self.report(text, message))
            .ok()
    }
}
