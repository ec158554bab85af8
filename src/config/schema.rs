//! The JSON Schema of the desired-state file (version 1), for editors. A test keeps it in step
//! with the loader: every object's properties are exactly the fields the loader knows.

use serde_json::{Value, json};

use super::model::{DEFAULT_MAX_ROTATIONS_PER_APPLY, RESOURCE_NAME_PATTERN};
use super::section::Sections;
use crate::vendor::registry::FileSections;

const DURATION: &str = "^([0-9]+(s|m|h|d|w)|[Pp][0-9WwDdTtHhMmSs.]+)$";
const INSTANT: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$";
const RATE_LIMIT: &str = "^[0-9]+/([0-9]*(s|m|h|d|w)|[Pp][0-9WwDdTtHhMmSs.]+)$";

/// The schema, draft 2020-12, of a file with every registered vendor's section.
pub fn desired_state_schema() -> Value {
    schema_of::<FileSections>()
}

/// The schema of a file whose vendors' sections are `S`: the file's own fields, then each
/// section and the definitions it refers to, in the vendor list's order.
pub(crate) fn schema_of<S: Sections>() -> Value {
    let mut schema = file_schema();
    schema["$defs"] = json!({});
    for (key, section) in S::schemas() {
        schema["properties"][key] = section.section;
        for (name, definition) in section.definitions {
            schema["$defs"][name] = definition;
        }
    }
    schema["$defs"]["secret_sink"] = secret_sink();
    schema
}

/// The file's own fields.
fn file_schema() -> Value {
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
                    "alert_webhook_env": {
                        "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                        "description": "The environment variable holding the URL keyrot serve posts a JSON event to for each rotation, failure, lost or recovered secret, guardrail refusal and new drift (docs/alerts.md). The URL is a secret of its own: it never lives in this file."
                    },
                    "backend": {
                        "enum": ["local", "postgres"], "default": "local",
                        "description": "Where the lock and the journal live: local (.keyrot/ beside this file, for one machine) or postgres (the database KEYROT_DATABASE_URL names, for CI runners, CronJobs and people applying from several places)."
                    }
                }
            }
        }
    })
}

/// Where a rotation's new secret goes, for every section whose resources have one.
fn secret_sink() -> Value {
    json!({
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
    })
}

/// A block of `properties`, for a section's schema.
pub(crate) fn object_of(properties: Value, description: &str) -> Value {
    json!({"type": "object", "additionalProperties": false, "description": description,
           "properties": properties})
}

/// A mapping of resource names to `reference`, for a section's schema.
pub(crate) fn named_map(reference: &str, description: &str) -> Value {
    json!({
        "type": "object",
        "description": description,
        "propertyNames": {"pattern": RESOURCE_NAME_PATTERN},
        "additionalProperties": {"$ref": reference}
    })
}

/// A section's `rate_limit` with its `default`.
pub(crate) fn rate_limit(default: &str) -> Value {
    json!({"type": "string", "pattern": RATE_LIMIT, "default": default,
           "description": "N/DURATION: never more than N requests in any sliding window of DURATION (m is minutes)."})
}

/// The rotation fields every resource has, for a section's schema.
pub(crate) fn rotation_fields() -> Value {
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
