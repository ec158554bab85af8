//! `rixl:`: the route family, the rate limit, defaults, and the API keys with their sinks, as
//! written and validated, and their part of the JSON Schema.

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;

use super::VENDOR;
use super::api::RixlApi;
use crate::config::block::block;
use crate::config::entries::Entries;
use crate::config::raw::{Located, RawRotation, RawSink};
use crate::config::schema::{named_map, object_of, rate_limit, rotation_fields};
use crate::config::section::{Section, SectionSchema, ValidatedSection};
use crate::config::validate::{Checker, RotationFields};
use crate::config::{Connection, Resource};

block! {
    /// `rixl:`: which API family, the budget, defaults, and the keys by name.
    pub(crate) struct FileSection {
        pub api: Option<Located<String>>,
        pub org_id: Option<Located<String>>,
        pub rate_limit: Option<Located<String>>,
        pub defaults: Option<Located<RawRixlKey>>,
        pub api_keys: Option<Entries<RawRixlKey>>,
    }
}

block! {
    /// One key under `rixl.api_keys`, or the `rixl.defaults` block (which may hold neither a
    /// `key_id` nor a `secret`).
    pub(crate) struct RawRixlKey {
        pub key_id: Option<Located<String>>,
        pub max_key_age: Option<Located<String>>,
        pub rotate_by: Option<Located<String>>,
        pub rotation_window: Option<Located<String>>,
        pub min_rotation_gap: Option<Located<String>>,
        pub secret: Option<Located<RawSink>>,
    }
}

impl RawRixlKey {
    /// The key's own fields, and its rotation fields.
    fn split(
        self,
    ) -> (
        Option<Located<String>>,
        Option<Located<RawSink>>,
        RawRotation,
    ) {
        let rotation = RawRotation {
            max_key_age: self.max_key_age,
            rotate_by: self.rotate_by,
            rotation_window: self.rotation_window,
            min_rotation_gap: self.min_rotation_gap,
        };
        (self.key_id, self.secret, rotation)
    }
}

impl Section for FileSection {
    fn validate(self, checker: &mut Checker, base_dir: &Path) -> ValidatedSection {
        let api = rixl_api(checker, self.api.as_ref(), self.org_id.as_ref());
        let rate_limit = checker.rate_limit(self.rate_limit.as_ref(), super::RATE_LIMIT);
        let mut keys = Keys {
            checker,
            base_dir,
            seen_ids: HashMap::new(),
        };
        let defaults = match self.defaults {
            Some(defaults) => keys.defaults(defaults),
            None => RotationFields::default(),
        };
        let entries = self.api_keys.map(|keys| keys.0).unwrap_or_default();
        // A new vector, not `collect`, which would keep the larger entries' allocation.
        let mut resources = Vec::with_capacity(entries.len());
        resources.extend(
            entries
                .into_iter()
                .filter_map(|(name, key)| keys.key(name, key, &defaults)),
        );
        ValidatedSection {
            resources,
            connection: Connection {
                vendor: &VENDOR,
                rate_limit,
                scope: api.scope(),
            },
        }
    }

    fn schema() -> SectionSchema {
        SectionSchema {
            section: json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "api": {"enum": ["platform", "v1"], "default": "platform",
                            "description": "platform: /platform/api-keys; v1: /organizations/{org_id}/api-keys/v1."},
                    "org_id": {"type": "string", "pattern": "^[0-9A-Za-z]+$",
                               "description": "The organization, required with api: v1."},
                    "rate_limit": rate_limit("10/s"),
                    "defaults": object_of(rotation_fields(), "Merged under every key; a key's own value wins."),
                    "api_keys": named_map("#/$defs/rixl_key", "RIXL API keys by resource name.")
                }
            }),
            definitions: vec![(
                "rixl_key",
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["key_id", "secret"],
                    "properties": key_fields()
                }),
            )],
        }
    }
}

fn key_fields() -> serde_json::Value {
    let mut fields = rotation_fields();
    fields["key_id"] = json!({"type": "string", "pattern": "^[0-9A-Za-z]+$",
                              "description": "RIXL's key ID."});
    fields["secret"] = json!({"$ref": "#/$defs/secret_sink"});
    fields
}

/// `api` and `org_id`: which route family, and for v1 which organization.
fn rixl_api(
    checker: &mut Checker,
    api: Option<&Located<String>>,
    org_id: Option<&Located<String>>,
) -> RixlApi {
    let family = api.map_or("platform", |api| api.value.as_str());
    match (family, org_id) {
        ("platform", None) => RixlApi::Platform,
        ("platform", Some(org_id)) => {
            let message = "`org_id` is used only with `api: v1`; the platform routes take \
                           the organization from the token"
                .to_owned();
            checker.report(org_id, message);
            RixlApi::Platform
        }
        ("v1", Some(org_id)) if is_identifier(org_id.value.trim()) => RixlApi::V1 {
            org_id: org_id.value.trim().to_owned(),
        },
        ("v1", Some(org_id)) => {
            let message = format!(
                "org_id `{}` is not a RIXL organization ID: expected letters and digits only",
                org_id.value
            );
            checker.report(org_id, message);
            RixlApi::Platform
        }
        ("v1", _) => {
            if let Some(api) = api {
                checker.report(api, "`api: v1` needs `rixl.org_id`".to_owned());
            }
            RixlApi::Platform
        }
        (other, _) => {
            if let Some(api) = api {
                let message = format!("unknown RIXL api `{other}`; expected `platform` or `v1`");
                checker.report(api, message);
            }
            RixlApi::Platform
        }
    }
}

/// The keys being validated, and the key IDs seen so far.
struct Keys<'a> {
    checker: &'a mut Checker,
    base_dir: &'a Path,
    seen_ids: HashMap<String, String>,
}

impl Keys<'_> {
    fn defaults(&mut self, defaults: Located<RawRixlKey>) -> RotationFields {
        let (key_id, secret, rotation) = defaults.value.split();
        if let Some(key_id) = &key_id {
            let message = "`key_id` cannot be a default: each key names its own".to_owned();
            self.checker.report(key_id, message);
        }
        if let Some(secret) = &secret {
            let message = "`secret` cannot be a default: each key has its own sink".to_owned();
            self.checker.report(secret, message);
        }
        self.checker.rotation_fields(rotation)
    }

    fn key(
        &mut self,
        name: Located<String>,
        raw: Located<RawRixlKey>,
        defaults: &RotationFields,
    ) -> Option<Resource> {
        let name_ok = self.checker.resource_name(&name, "rixl.api_keys");
        let (key_id, secret, rotation) = raw.value.split();
        let key_id = match &key_id {
            Some(id) => self.key_id(id, &name.value),
            None => {
                let message = format!("API key `{}` has no `key_id`", name.value);
                self.checker.missing_field(&name, "key_id", message);
                None
            }
        };
        let sink = self
            .checker
            .required_sink(&name, "API key", secret, self.base_dir);
        let rotation = self.checker.rotation_fields(rotation).merged_over(defaults);
        Some(Resource {
            name: name_ok.then_some(name.value)?,
            vendor: &VENDOR,
            id: key_id?,
            rotation,
            sink: Some(Box::new(sink?)),
            interval_days: None,
        })
    }

    fn key_id(&mut self, id: &Located<String>, name: &str) -> Option<String> {
        let text = id.value.trim();
        if !is_identifier(text) {
            // A key's secret (`rxl_…`) pasted in the wrong place is never quoted.
            let message = match text.starts_with("rxl_") || text.chars().count() >= 40 {
                true => "key_id holds what looks like a key's secret (it is not shown), not its \
                         ID: rotate that key now, since its secret is in this file, and write \
                         its ID"
                    .to_owned(),
                false => format!(
                    "key_id `{text}` is not a RIXL key ID: expected letters and digits only"
                ),
            };
            self.checker.report(id, message);
            return None;
        }
        if let Some(first) = self.seen_ids.get(text) {
            let message = format!(
                "API key `{name}` has the same key_id as `{first}`; each key may be managed by \
                 one entry only"
            );
            self.checker.report(id, message);
            return None;
        }
        self.seen_ids.insert(text.to_owned(), name.to_owned());
        Some(text.to_owned())
    }
}

/// RIXL's IDs: letters and digits only (the v1 document's `^[0-9A-Za-z]+$`).
fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric())
}
