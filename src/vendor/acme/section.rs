//! `acme:`: the rate limit, defaults, and the keys with their sinks.

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;

use super::VENDOR;
use crate::config::block::block;
use crate::config::entries::Entries;
use crate::config::raw::{Located, RawRotation, RawSink};
use crate::config::schema::{named_map, object_of, rate_limit, rotation_fields};
use crate::config::section::{Section, SectionSchema, ValidatedSection};
use crate::config::validate::{Checker, RotationFields};
use crate::config::{Connection, RateLimit, Resource};

block! {
    /// `acme:`.
    pub(crate) struct FileSection {
        pub rate_limit: Option<Located<String>>,
        pub defaults: Option<Located<RawKey>>,
        pub keys: Option<Entries<RawKey>>,
    }
}

block! {
    /// One key under `acme.keys`, or `acme.defaults`.
    pub(crate) struct RawKey {
        pub key_id: Option<Located<String>>,
        pub max_key_age: Option<Located<String>>,
        pub rotate_by: Option<Located<String>>,
        pub rotation_window: Option<Located<String>>,
        pub min_rotation_gap: Option<Located<String>>,
        pub secret: Option<Located<RawSink>>,
    }
}

impl RawKey {
    fn rotation(&mut self) -> RawRotation {
        RawRotation {
            max_key_age: self.max_key_age.take(),
            rotate_by: self.rotate_by.take(),
            rotation_window: self.rotation_window.take(),
            min_rotation_gap: self.min_rotation_gap.take(),
        }
    }
}

impl Section for FileSection {
    fn validate(self, checker: &mut Checker, base_dir: &Path) -> ValidatedSection {
        let rate_limit = checker.rate_limit(self.rate_limit.as_ref(), RateLimit::UNDOCUMENTED);
        let defaults = match self.defaults {
            Some(mut defaults) => checker.rotation_fields(defaults.value.rotation()),
            None => RotationFields::default(),
        };
        let mut seen = HashMap::new();
        let entries = self.keys.map(|keys| keys.0).unwrap_or_default();
        let resources = entries
            .into_iter()
            .filter_map(|(name, mut raw)| {
                let name_ok = checker.resource_name(&name, "acme.keys");
                let rotation = checker.rotation_fields(raw.value.rotation());
                let sink = checker.required_sink(&name, "key", raw.value.secret.take(), base_dir);
                let id = match raw.value.key_id.take() {
                    Some(id) if seen.insert(id.value.clone(), ()).is_none() => Some(id.value),
                    Some(id) => {
                        checker.report(&id, format!("key_id `{}` is given twice", id.value));
                        None
                    }
                    None => {
                        let message = format!("key `{}` has no `key_id`", name.value);
                        checker.missing_field(&name, "key_id", message);
                        None
                    }
                };
                Some(Resource {
                    name: name_ok.then_some(name.value)?,
                    vendor: &VENDOR,
                    id: id?,
                    rotation: rotation.merged_over(&defaults),
                    sink: Some(Box::new(sink?)),
                    interval_days: None,
                })
            })
            .collect();
        let connection = Connection {
            vendor: &VENDOR,
            rate_limit,
            scope: None,
        };
        ValidatedSection {
            resources,
            connection,
        }
    }

    fn schema() -> SectionSchema {
        let mut key = rotation_fields();
        key["key_id"] = json!({"type": "string"});
        key["secret"] = json!({"$ref": "#/$defs/secret_sink"});
        SectionSchema {
            section: json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "rate_limit": rate_limit("10/s"),
                    "defaults": object_of(rotation_fields(), "Merged under every key."),
                    "keys": named_map("#/$defs/acme_key", "Acme keys by resource name.")
                }
            }),
            definitions: vec![(
                "acme_key",
                json!({"type": "object", "additionalProperties": false,
                       "required": ["key_id", "secret"], "properties": key}),
            )],
        }
    }
}
