//! `cloudflare:`: the rate limit, defaults, and the accounts.

use std::collections::HashMap;

use super::Checker;
use super::rotation::RotationFields;
use crate::config::model::Resource;
use crate::config::number::Number;
use crate::config::rate_limit::RateLimit;
use crate::config::raw::{Located, RawAccount, RawCloudflare};
use crate::vendor::cloudflare::{AccountId, VENDOR, facts};

/// The defaults block, parsed.
#[derive(Default)]
struct AccountDefaults {
    key_rotation_interval_days: Option<u16>,
    rotation: RotationFields,
}

impl Checker {
    pub(super) fn cloudflare(&mut self, raw: Option<RawCloudflare>) -> (Vec<Resource>, RateLimit) {
        let Some(raw) = raw else {
            return (Vec::new(), RateLimit::CLOUDFLARE_DEFAULT);
        };
        let rate_limit = self.rate_limit(raw.rate_limit.as_ref(), RateLimit::CLOUDFLARE_DEFAULT);
        let defaults = match raw.defaults {
            Some(defaults) => self.account_defaults(defaults),
            None => AccountDefaults::default(),
        };
        let mut seen_ids: HashMap<AccountId, String> = HashMap::new();
        let entries = raw.accounts.map(|accounts| accounts.0).unwrap_or_default();
        // A new vector, not `collect`: that would reuse the entries' allocation, several times
        // larger than the accounts, and keep it for as long as keyrot runs.
        let mut accounts = Vec::with_capacity(entries.len());
        accounts.extend(
            entries.into_iter().filter_map(|(name, account)| {
                self.account(name, account, &defaults, &mut seen_ids)
            }),
        );
        (accounts, rate_limit)
    }

    fn account_defaults(&mut self, defaults: Located<RawAccount>) -> AccountDefaults {
        let (account_id, interval, rotation) = defaults.value.split();
        if let Some(account_id) = &account_id {
            self.report(
                account_id,
                "`account_id` cannot be a default: each account names its own".to_owned(),
            );
        }
        AccountDefaults {
            key_rotation_interval_days: interval.and_then(|days| self.interval(&days)),
            rotation: self.rotation_fields(rotation),
        }
    }

    fn account(
        &mut self,
        name: Located<String>,
        raw: Located<RawAccount>,
        defaults: &AccountDefaults,
        seen_ids: &mut HashMap<AccountId, String>,
    ) -> Option<Resource> {
        let name_ok = self.resource_name(&name, "cloudflare.accounts");
        let (account_id, interval, rotation) = raw.value.split();
        let account_id = match &account_id {
            Some(id) => self.account_id(id, &name.value, seen_ids),
            None => {
                let message = format!("account `{}` has no `account_id`", name.value);
                self.report(&name, message);
                None
            }
        };
        let interval = interval.and_then(|days| self.interval(&days));
        let rotation = self
            .rotation_fields(rotation)
            .merged_over(&defaults.rotation);
        Some(Resource {
            name: name_ok.then_some(name.value)?,
            vendor: &VENDOR,
            id: account_id?.to_string(),
            rotation,
            sink: None,
            interval_days: interval.or(defaults.key_rotation_interval_days),
        })
    }

    fn interval(&mut self, days: &Located<Number>) -> Option<u16> {
        let (min, max) = (facts::MIN_INTERVAL_DAYS, facts::MAX_INTERVAL_DAYS);
        self.whole_number(days, "key_rotation_interval_days", min.into(), max.into())
            .map(|days| days as u16)
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
}
