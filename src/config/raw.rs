//! The desired-state file as written: serde types that keep every value's source location.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::entries::Entries;
use super::number::Number;

/// A value with the line and column it was read from.
pub(crate) type Located<T> = Spanned<T>;

/// Reads only `version`, so that a file of another version gets a version error first.
#[derive(Deserialize)]
pub(crate) struct VersionProbe {
    pub version: Option<Located<Number>>,
}

/// The whole file, version 1.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    /// Checked by [`VersionProbe`] before this type is read.
    #[serde(rename = "version")]
    _version: serde::de::IgnoredAny,
    pub settings: Option<RawSettings>,
    pub cloudflare: Option<RawCloudflare>,
}

/// `settings:`: run-wide guardrails.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSettings {
    pub max_rotations_per_apply: Option<Located<Number>>,
}

/// `cloudflare:`: defaults merged under every account, and the accounts by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCloudflare {
    pub rate_limit: Option<Located<String>>,
    pub defaults: Option<Located<RawAccount>>,
    pub accounts: Option<Entries<RawAccount>>,
}

/// One account under `cloudflare.accounts`, or the `cloudflare.defaults` block (which may not
/// hold an `account_id`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccount {
    pub account_id: Option<Located<String>>,
    pub key_rotation_interval_days: Option<Located<Number>>,
    pub max_key_age: Option<Located<String>>,
    pub rotate_by: Option<Located<String>>,
    pub rotation_window: Option<Located<String>>,
    pub min_rotation_gap: Option<Located<String>>,
}
