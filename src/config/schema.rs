//! The JSON Schema of the desired-state file (version 1), for editors. A test keeps it in step
//! with the loader: every object's properties are exactly the fields the loader knows.

use serde_json::{Value, json};

use super::model::{DEFAULT_MAX_ROTATIONS_PER_APPLY, RESOURCE_NAME_PATTERN};
use crate::vendor::cloudflare::facts;

const DURATION: &str = "^([0-9]+(s|m|h|d|w)|[Pp][0-9WwDdTtHhMmSs.]+)$";
const INSTANT: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$";
const RATE_LIMIT: &str = "^[0-9]+/([0-9]*(s|m|h|d|w)|[Pp][0-9WwDdTtHhMmSs.]+)$";

/// The schema, draft 2020-12.
pub fn desired_state_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "keyrot desired state, version 1",
        "type": "object",
        "additionalProperties": false,
        "required": ["version"],
        "properties": {
            "version": {"const": 1, "description": "The file format version; this keyrot reads 1."},
            "settings": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "max_rotations_per_apply": {
                        "type": "integer", "minimum": 1,
                        "default": DEFAULT_MAX_ROTATIONS_PER_APPLY,
                        "description": "apply refuses a plan with more rotations (exit 3) unless run with --max-rotations."
                    },
                    "max_clock_skew": {
                        "type": "string", "pattern": DURATION, "default": "5m",
                        "description": "At most 1h. How far the API's clock (the Date of its answers) may be from this machine's, or jump within a run, before keyrot refuses every rotation that depends on the time (age, deadline, gap) and plan and drift report it."
                    },
                    "backend": {
                        "enum": ["local", "postgres"], "default": "local",
                        "description": "Where the lock and the journal live: local (.keyrot/ beside this file, for one machine) or postgres (the database KEYROT_DATABASE_URL names, for CI runners, CronJobs and people applying from several places)."
                    }
                }
            },
            "cloudflare": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "rate_limit": rate_limit("1200/5m"),
                    "defaults": object_of(cloudflare_fields(false), "Merged under every account; an account's own value wins."),
                    "accounts": named_map("#/$defs/cloudflare_account", "Cloudflare accounts by resource name.")
                }
            },
            "rixl": {
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
            }
        },
        "$defs": {
            "cloudflare_account": {
                "type": "object",
                "additionalProperties": false,
                "required": ["account_id"],
                "properties": cloudflare_fields(true)
            },
            "rixl_key": {
                "type": "object",
                "additionalProperties": false,
                "required": ["key_id", "secret"],
                "properties": rixl_key_fields()
            },
            "secret_sink": {
                "type": "object",
                "additionalProperties": false,
                "description": "Where a rotation's new secret goes: exactly one of file or command.",
                "oneOf": [{"required": ["file"]}, {"required": ["command"]}],
                "properties": {
                    "file": {"type": "string", "minLength": 1,
                             "description": "A file, relative to this file's directory, written atomically with mode 0600."},
                    "command": {"type": "array", "minItems": 1, "items": {"type": "string"},
                                "description": "A program and its arguments; the secret arrives on its stdin only."},
                    "timeout": {"type": "string", "pattern": DURATION, "default": "60s",
                                "description": "With command: how long it may run before it and its process group are killed and the secret is saved to a recovery file."},
                    "env": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                            "description": "With command: the variables of keyrot's environment it sees besides PATH, HOME, USER, LOGNAME, SHELL, LANG, LC_*, TZ and TMPDIR (e.g. [GH_TOKEN]). keyrot's own credentials only when named here."}
                }
            }
        }
    })
}

fn object_of(properties: Value, description: &str) -> Value {
    json!({"type": "object", "additionalProperties": false, "description": description,
           "properties": properties})
}

fn named_map(reference: &str, description: &str) -> Value {
    json!({
        "type": "object",
        "description": description,
        "propertyNames": {"pattern": RESOURCE_NAME_PATTERN},
        "additionalProperties": {"$ref": reference}
    })
}

fn rate_limit(default: &str) -> Value {
    json!({"type": "string", "pattern": RATE_LIMIT, "default": default,
           "description": "N/DURATION: never more than N requests in any sliding window of DURATION (m is minutes)."})
}

fn rotation_fields() -> Value {
    json!({
        "max_key_age": {"type": "string", "pattern": DURATION,
                        "description": "Rotate a key at least this old (30s, 15m, 12h, 90d, 2w or P90D; no months or years)."},
        "rotate_by": {"type": "string", "pattern": INSTANT,
                      "description": "The key must have been rotated by this instant (RFC 3339 with an offset, or a date for 00:00 UTC)."},
        "rotation_window": {"type": "string", "pattern": DURATION, "default": "7d",
                            "description": "A rotation this long before rotate_by counts towards it."},
        "min_rotation_gap": {"type": "string", "pattern": DURATION, "default": "7d",
                             "description": "Never rotate again sooner than this after the last rotation."}
    })
}

fn cloudflare_fields(with_account_id: bool) -> Value {
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

fn rixl_key_fields() -> Value {
    let mut fields = rotation_fields();
    fields["key_id"] = json!({"type": "string", "pattern": "^[0-9A-Za-z]+$",
                              "description": "RIXL's key ID."});
    fields["secret"] = json!({"$ref": "#/$defs/secret_sink"});
    fields
}
