//! `cloudflare:`: the rate limit, defaults, and the accounts, as written and validated, and
//! their part of the JSON Schema.

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;

use super::{AccountId, VENDOR, facts};
use crate::config::block::block;
use crate::config::entries::Entries;
use crate::config::number::Number;
use crate::config::raw::{Located, RawRotation};
use crate::config::schema::{named_map, object_of, rate_limit, rotation_fields};
use crate::config::section::{Section, SectionSchema, ValidatedSection};
use crate::config::validate::{Checker, RotationFields};
use crate::config::{Connection, Resource};

block! {
    /// `cloudflare:`: defaults merged under every account, and the accounts by name.
    pub(crate) struct FileSection {
        pub rate_limit: Option<Located<String>>,
        pub defaults: Option<Located<RawAccount>>,
        pub accounts: Option<Entries<RawAccount>>,
    }
}

block! {
    /// One account under `cloudflare.accounts`, or the `cloudflare.defaults` block (which may not
    /// hold an `account_id`).
    pub(crate) struct RawAccount {
        pub account_id: Option<Located<String>>,
        pub key_rotation_interval_days: Option<Located<Number>>,
        pub max_key_age: Option<Located<String>>,
        pub rotate_by: Option<Located<String>>,
        pub rotation_window: Option<Located<String>>,
        pub min_rotation_gap: Option<Located<String>>,
    }
}

impl RawAccount {
    /// The account's own fields, and its rotation fields.
    fn split(
        self,
    ) -> (
        Option<Located<String>>,
        Option<Located<Number>>,
        RawRotation,
    ) {
        let rotation = RawRotation {
            max_key_age: self.max_key_age,
            rotate_by: self.rotate_by,
            rotation_window: self.rotation_window,
            min_rotation_gap: self.min_rotation_gap,
        };
        (self.account_id, self.key_rotation_interval_days, rotation)
    }
}

impl Section for FileSection {
    fn validate(self, checker: &mut Checker, _base_dir: &Path) -> ValidatedSection {
        let rate_limit = checker.rate_limit(self.rate_limit.as_ref(), facts::RATE_LIMIT);
        let mut accounts = Accounts {
            checker,
            seen_ids: HashMap::new(),
        };
        let defaults = match self.defaults {
            Some(defaults) => accounts.defaults(defaults),
            None => AccountDefaults::default(),
        };
        let entries = self.accounts.map(|accounts| accounts.0).unwrap_or_default();
        // A new vector, not `collect`: that would reuse the entries' allocation, several times
        // larger than the accounts, and keep it for as long as keyrot runs.
        let mut resources = Vec::with_capacity(entries.len());
        resources.extend(
            entries
                .into_iter()
                .filter_map(|(name, account)| accounts.account(name, account, &defaults)),
        );
        ValidatedSection {
            resources,
            connection: Connection {
                vendor: &VENDOR,
                rate_limit,
                scope: None,
            },
        }
    }

    fn schema() -> SectionSchema {
        SectionSchema {
            section: json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "rate_limit": rate_limit("1200/5m"),
                    "defaults": object_of(account_fields(false), "Merged under every account; an account's own value wins."),
                    "accounts": named_map("#/$defs/cloudflare_account", "Cloudflare accounts by resource name.")
                }
            }),
            definitions: vec![(
                "cloudflare_account",
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["account_id"],
                    "properties": account_fields(true)
                }),
            )],
        }
    }
}

fn account_fields(with_account_id: bool) -> serde_json::Value {
    let mut fields = rotation_fields();
    fields["key_rotation_interval_days"] = json!({
        "type": "integer", "minimum": facts::MIN_INTERVAL_DAYS, "maximum": facts::MAX_INTERVAL_DAYS,
        "description": "How often Cloudflare rotates the key by itself; unset leaves it as it is."
    });
    if with_account_id {
        fields["account_id"] = json!({"type": "string", "pattern": "^[0-9a-f]{32}$",
                                      "description": "The Cloudflare account ID."});
    }
    fields
}

/// The defaults block, parsed.
#[derive(Default)]
struct AccountDefaults {
    key_rotation_interval_days: Option<u16>,
    rotation: RotationFields,
}

/// The accounts being validated, and the account IDs seen so far.
struct Accounts<'a> {
    checker: &'a mut Checker,
    seen_ids: HashMap<AccountId, String>,
}

impl Accounts<'_> {
    fn defaults(&mut self, defaults: Located<RawAccount>) -> AccountDefaults {
        let (account_id, interval, rotation) = defaults.value.split();
        if let Some(account_id) = &account_id {
            self.checker.report(
                account_id,
                "`account_id` cannot be a default: each account names its own".to_owned(),
            );
        }
        AccountDefaults {
            key_rotation_interval_days: interval.and_then(|days| self.interval(&days)),
            rotation: self.checker.rotation_fields(rotation),
        }
    }

    fn account(
        &mut self,
        name: Located<String>,
        raw: Located<RawAccount>,
        defaults: &AccountDefaults,
    ) -> Option<Resource> {
        let name_ok = self.checker.resource_name(&name, "cloudflare.accounts");
        let (account_id, interval, rotation) = raw.value.split();
        let account_id = match &account_id {
            Some(id) => self.account_id(id, &name.value),
            None => {
                let message = format!("account `{}` has no `account_id`", name.value);
                self.checker.missing_field(&name, "account_id", message);
                None
            }
        };
        let interval = interval.and_then(|days| self.interval(&days));
        let rotation = self
            .checker
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
        self.checker
            .whole_number(days, "key_rotation_interval_days", min.into(), max.into())
            .map(|days| days as u16)
    }

    /// A well-formed account ID that no earlier account in the file already manages.
    fn account_id(&mut self, id: &Located<String>, name: &str) -> Option<AccountId> {
        let account_id = AccountId::parse(&id.value)
            .map_err(|error| self.checker.report(id, error.to_string()))
            .ok()?;
        if let Some(first) = self.seen_ids.get(&account_id) {
            let message = format!(
                "account `{name}` has the same account_id as `{first}`; each account may be \
                 managed by one entry only"
            );
            self.checker.report(id, message);
            return None;
        }
        self.seen_ids.insert(account_id.clone(), name.to_owned());
        Some(account_id)
    }
}
