//! The desired-state file as written: serde types that keep every value's source location.
//! A field these types do not know is only noted here; `unknown_fields` finds where it is, so
//! that a typo does not hide the file's other problems.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::block::block;
use super::entries::Entries;
use super::number::Number;

/// A value with the line and column it was read from.
pub(crate) type Located<T> = Spanned<T>;

/// Reads only `version`, so that a file of another version that does not read as version 1
/// gets a version error rather than errors about fields it does not know.
#[derive(Deserialize)]
pub(crate) struct VersionProbe {
    pub version: Option<Located<Number>>,
}

block! {
    /// The whole file, version 1.
    pub(crate) struct RawFile {
        /// Checked before anything else is judged (by `VersionProbe` when the file does not read
        /// as this type).
        pub version: Option<Located<Number>>,
        pub settings: Option<RawSettings>,
        pub cloudflare: Option<RawCloudflare>,
        pub rixl: Option<RawRixl>,
    }
}

block! {
    /// `settings:`: run-wide guardrails.
    pub(crate) struct RawSettings {
        pub max_rotations_per_apply: Option<Located<Number>>,
        pub backend: Option<Located<String>>,
        pub max_clock_skew: Option<Located<String>>,
    }
}

block! {
    /// `cloudflare:`: defaults merged under every account, and the accounts by name.
    pub(crate) struct RawCloudflare {
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
    pub fn split(
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

/// The rotation fields every resource kind has, as written.
pub(crate) struct RawRotation {
    pub max_key_age: Option<Located<String>>,
    pub rotate_by: Option<Located<String>>,
    pub rotation_window: Option<Located<String>>,
    pub min_rotation_gap: Option<Located<String>>,
}

block! {
    /// `rixl:`: which API family, the budget, defaults, and the keys by name.
    pub(crate) struct RawRixl {
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
    pub fn split(
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

block! {
    /// `secret:`: where a new secret goes; exactly one of the two.
    pub(crate) struct RawSink {
        pub file: Option<Located<String>>,
        pub command: Option<Located<Vec<String>>>,
        pub timeout: Option<Located<String>>,
        pub env: Option<Located<Vec<String>>>,
    }
}
