//! The desired-state file `keyrot import` writes: the live state as desired state, with
//! comments saying what to add next.

use std::fmt::Write;

use jiff::Timestamp;

use crate::config::SINK_PLACEHOLDER;
use crate::plan::instant_in_words;
use crate::text::Printable;
use crate::vendor::cloudflare::facts::{MAX_INTERVAL_DAYS, MIN_INTERVAL_DAYS};

/// One Cloudflare account to write.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedAccount {
    /// Its resource name.
    pub name: String,
    /// Its account ID.
    pub account_id: String,
    /// Its live interval, when it is one keyrot can manage (a whole number of days, 21..365).
    pub key_rotation_interval_days: Option<u16>,
}

/// An account that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedAccount {
    /// Its display name and ID.
    pub label: String,
    /// Why it was left out.
    pub reason: String,
}

/// One RIXL key to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedKey {
    /// Its resource name.
    pub name: String,
    /// Its key ID.
    pub key_id: String,
}

/// The file for imported Cloudflare accounts; `command` is how it was made.
pub fn cloudflare_import_yaml(
    accounts: &[ImportedAccount],
    skipped: &[SkippedAccount],
    command: &str,
    at: Timestamp,
) -> String {
    let mut out = header("Cloudflare", command, at);
    out.push_str(
        "# The first `keyrot plan` shows no changes: every interval is as it is live, and no\n\
         # rotation rule is set. To have keyrot rotate keys, add rules to `defaults` (every\n\
         # account) or to one account, for example:\n\
         #   defaults:\n\
         #     max_key_age: 120d\n\
         #     rotate_by: 2030-01-01\n\
         #     rotation_window: 7d\n\
         version: 1\ncloudflare:\n  accounts:\n",
    );
    if accounts.is_empty() {
        out.truncate(out.len() - "  accounts:\n".len());
        out.push_str("  accounts: {}\n");
    }
    for account in accounts {
        let _ = writeln!(out, "    {}:", account.name);
        let _ = writeln!(out, "      account_id: {}", account.account_id);
        match account.key_rotation_interval_days {
            Some(days) => {
                let _ = writeln!(out, "      key_rotation_interval_days: {days}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "      # key_rotation_interval_days is left unmanaged: its live value is not a\n      \
                     # whole number of days from {MIN_INTERVAL_DAYS} to {MAX_INTERVAL_DAYS}"
                );
            }
        }
    }
    for account in skipped {
        let _ = writeln!(
            out,
            "    # not imported: {}: {}",
            Printable(&account.label),
            Printable(&account.reason)
        );
    }
    out
}

/// The file for imported RIXL keys, with the sink placeholder validation refuses until edited.
pub fn rixl_import_yaml(
    keys: &[ImportedKey],
    api_lines: &str,
    command: &str,
    at: Timestamp,
) -> String {
    let mut out = header("RIXL", command, at);
    let _ = write!(
        out,
        "# Before the first plan, set every key's `secret` to where its new secret must go when\n\
         # it is rotated (`file: PATH` or `command: [program, args...]`); `keyrot validate`\n\
         # refuses `{SINK_PLACEHOLDER}` until then. Add max_key_age, rotate_by and\n\
         # rotation_window (to `defaults` or to one key) to have keyrot rotate keys.\n\
         version: 1\nrixl:\n{api_lines}  api_keys:\n"
    );
    if keys.is_empty() {
        out.truncate(out.len() - "  api_keys:\n".len());
        out.push_str("  api_keys: {}\n");
    }
    for key in keys {
        let _ = write!(
            out,
            "    {}:\n      key_id: {}\n      secret:\n        file: {SINK_PLACEHOLDER}\n",
            key.name, key.key_id
        );
    }
    out
}

fn header(vendor: &str, command: &str, at: Timestamp) -> String {
    format!(
        "# keyrot desired state, imported from {vendor} by `{command}` at {}.\n\
         # For editor completion and checks, see `keyrot schema` in the README.\n",
        instant_in_words(at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accounts_name_cannot_break_out_of_its_comment() {
        let skipped = [SkippedAccount {
            label: "\"x\n    evil:\n      account_id: 00000000000000000000000000000009\" (id)"
                .to_owned(),
            reason: "Access keys are not enabled (12109)".to_owned(),
        }];
        let at: Timestamp = "2026-11-24T12:00:00Z".parse().unwrap();
        let yaml = cloudflare_import_yaml(&[], &skipped, "keyrot import cloudflare --all", at);
        assert!(
            !yaml
                .lines()
                .any(|line| line.trim_start().starts_with("evil")),
            "{yaml}"
        );
        assert!(
            yaml.contains("# not imported: \"x\\u{a}    evil:"),
            "{yaml}"
        );
    }
}
