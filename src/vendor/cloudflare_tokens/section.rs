//! `cloudflare_tokens:`: the rate limit, defaults, and the API tokens (user-owned, or owned by
//! an account) with their sinks, as written and validated, and their part of the JSON Schema.

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;

use super::VENDOR;
use super::token_ref::{Owner, TokenRef};
use crate::config::block::block;
use crate::config::entries::Entries;
use crate::config::raw::{Located, RawRotation, RawSink};
use crate::config::schema::{named_map, object_of, rate_limit, rotation_fields};
use crate::config::section::{Section, SectionSchema, ValidatedSection};
use crate::config::validate::{Checker, RotationFields};
use crate::config::{Connection, Resource};
use crate::vendor::cloudflare::{AccountId, facts, looks_like_a_token_value};

block! {
    /// `cloudflare_tokens:`: the budget, defaults, and the tokens by name.
    pub(crate) struct FileSection {
        pub rate_limit: Option<Located<String>>,
        pub defaults: Option<Located<RawToken>>,
        pub tokens: Option<Entries<RawToken>>,
    }
}

block! {
    /// One token under `cloudflare_tokens.tokens`, or the `defaults` block (which may hold
    /// neither a `token_id`, an `account_id` nor a `secret`).
    pub(crate) struct RawToken {
        pub token_id: Option<Located<String>>,
        pub account_id: Option<Located<String>>,
        pub max_key_age: Option<Located<String>>,
        pub rotate_by: Option<Located<String>>,
        pub rotation_window: Option<Located<String>>,
        pub min_rotation_gap: Option<Located<String>>,
        pub secret: Option<Located<RawSink>>,
    }
}

/// A token's own fields: its ID, its account (for an account-owned token) and its sink.
struct OwnFields {
    token_id: Option<Located<String>>,
    account_id: Option<Located<String>>,
    secret: Option<Located<RawSink>>,
}

impl RawToken {
    /// The token's own fields, and its rotation fields.
    fn split(self) -> (OwnFields, RawRotation) {
        let rotation = RawRotation {
            max_key_age: self.max_key_age,
            rotate_by: self.rotate_by,
            rotation_window: self.rotation_window,
            min_rotation_gap: self.min_rotation_gap,
        };
        let own = OwnFields {
            token_id: self.token_id,
            account_id: self.account_id,
            secret: self.secret,
        };
        (own, rotation)
    }
}

impl Section for FileSection {
    fn validate(self, checker: &mut Checker, base_dir: &Path) -> ValidatedSection {
        let rate_limit = checker.rate_limit(self.rate_limit.as_ref(), facts::RATE_LIMIT);
        let mut tokens = Tokens {
            checker,
            base_dir,
            seen: HashMap::new(),
        };
        let defaults = match self.defaults {
            Some(defaults) => tokens.defaults(defaults),
            None => RotationFields::default(),
        };
        let entries = self.tokens.map(|tokens| tokens.0).unwrap_or_default();
        // A new vector, not `collect`, which would keep the larger entries' allocation.
        let mut resources = Vec::with_capacity(entries.len());
        resources.extend(
            entries
                .into_iter()
                .filter_map(|(name, token)| tokens.token(name, token, &defaults)),
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
                    "defaults": object_of(rotation_fields(), "Merged under every token; a token's own value wins."),
                    "tokens": named_map("#/$defs/cloudflare_token", "Cloudflare API tokens by resource name.")
                }
            }),
            definitions: vec![(
                "cloudflare_token",
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["token_id", "secret"],
                    "properties": token_fields()
                }),
            )],
        }
    }
}

fn token_fields() -> serde_json::Value {
    let mut fields = rotation_fields();
    fields["token_id"] = json!({"type": "string", "pattern": "^[0-9a-f]{32}$",
                                "description": "The token's ID (not its value)."});
    fields["account_id"] = json!({"type": "string", "pattern": "^[0-9a-f]{32}$",
                                  "description": "For a token owned by an account: the account's ID. Without it, the token is one of the user's."});
    fields["secret"] = json!({"$ref": "#/$defs/secret_sink"});
    fields
}

/// The tokens being validated, and the tokens seen so far, by owner and ID.
struct Tokens<'a> {
    checker: &'a mut Checker,
    base_dir: &'a Path,
    seen: HashMap<String, String>,
}

impl Tokens<'_> {
    fn defaults(&mut self, defaults: Located<RawToken>) -> RotationFields {
        let (own, rotation) = defaults.value.split();
        let not_a_default =
            |field: &str, why: &str| format!("`{field}` cannot be a default: each token {why}");
        if let Some(token_id) = &own.token_id {
            let message = not_a_default("token_id", "names its own");
            self.checker.report(token_id, message);
        }
        if let Some(account_id) = &own.account_id {
            let message = not_a_default("account_id", "names its own owner");
            self.checker.report(account_id, message);
        }
        if let Some(secret) = &own.secret {
            let message = not_a_default("secret", "has its own sink");
            self.checker.report(secret, message);
        }
        self.checker.rotation_fields(rotation)
    }

    fn token(
        &mut self,
        name: Located<String>,
        raw: Located<RawToken>,
        defaults: &RotationFields,
    ) -> Option<Resource> {
        let name_ok = self
            .checker
            .resource_name(&name, "cloudflare_tokens.tokens");
        let (own, rotation) = raw.value.split();
        let owner = match &own.account_id {
            Some(id) => self.account_id(id).map(Owner::Account),
            None => Some(Owner::User),
        };
        let token_id = match &own.token_id {
            Some(id) => self.token_id(id),
            None => {
                let message = format!("token `{}` has no `token_id`", name.value);
                self.checker.missing_field(&name, "token_id", message);
                None
            }
        };
        let sink = self
            .checker
            .required_sink(&name, "token", own.secret, self.base_dir);
        let rotation = self.checker.rotation_fields(rotation).merged_over(defaults);
        let token = TokenRef {
            name: &name.value,
            owner: owner?,
            token_id: token_id?,
        };
        let id = self.first_entry_for(&token, own.token_id.as_ref())?;
        Some(Resource {
            name: name_ok.then_some(name.value)?,
            vendor: &VENDOR,
            id,
            rotation,
            sink: Some(Box::new(sink?)),
            interval_days: None,
        })
    }

    fn account_id(&mut self, id: &Located<String>) -> Option<AccountId> {
        AccountId::parse(&id.value)
            .map_err(|error| self.checker.report(id, error.to_string()))
            .ok()
    }

    /// A token's ID. A token's value pasted in the wrong place is never quoted.
    fn token_id(&mut self, id: &Located<String>) -> Option<String> {
        let error = match AccountId::parse(&id.value) {
            Ok(id) => return Some(id.to_string()),
            Err(error) => error,
        };
        let message = match looks_like_a_token_value(&id.value) {
            true => "token_id holds what looks like a token's value (it is not shown), not its \
                     ID: roll that token now, since its value is in this file, and write its \
                     ID (32 hexadecimal characters, in the dashboard or `keyrot import \
                     cloudflare-tokens`)"
                .to_owned(),
            false => format!(
                "token_id `{}` is not a Cloudflare API token ID: expected 32 lowercase \
                 hexadecimal characters (found {})",
                error.text, error.found
            ),
        };
        self.checker.report(id, message);
        None
    }

    /// The resource ID of `token`, unless an earlier entry already manages the same token.
    fn first_entry_for(
        &mut self,
        token: &TokenRef<'_>,
        at: Option<&Located<String>>,
    ) -> Option<String> {
        let id = token.resource_id();
        if let Some(first) = self.seen.get(&id) {
            let message = format!(
                "token `{}` names the same token as `{first}`; each token may be managed by one \
                 entry only",
                token.name
            );
            if let Some(at) = at {
                self.checker.report(at, message);
            }
            return None;
        }
        self.seen.insert(id.clone(), token.name.to_owned());
        Some(id)
    }
}
