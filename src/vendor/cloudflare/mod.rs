//! Cloudflare Access: one account's key configuration, rotated by Cloudflare itself on an
//! interval keyrot sets, and by keyrot when a rule says so.

mod account_id;
mod client;
mod credentials;
pub mod facts;
mod import;
mod provider;
pub mod sandbox;
mod section;
mod wire;

pub use account_id::{AccountId, AccountIdError, looks_like_a_token_value};
pub(crate) use client::read_response;
pub use client::{AccountRef, AccountSummary, CloudflareClient, DEFAULT_BASE_URL};
pub use credentials::CloudflareCredentials;
pub use provider::configured;
use sandbox::SimulatedCloudflare;
pub(crate) use section::FileSection;

use super::Vendor;
use super::registry::Registration;

/// What keyrot takes from this folder.
pub const REGISTRATION: Registration = Registration {
    vendor: &VENDOR,
    provider: configured,
    import: import::IMPORTER,
    sandbox: SimulatedCloudflare::seeded,
};

/// Cloudflare Access: one account's key configuration.
pub const VENDOR: Vendor = Vendor {
    key: "cloudflare",
    title: "Cloudflare",
    section: "accounts",
    kind: "access_key_configuration",
    noun: "account",
    counted_as: "Cloudflare account",
    rotate_label: "rotate access keys",
    short_id: abbreviated_account_id,
    gap_risk: "drops the previous key while tokens signed with it are still valid",
    last_rotation_attribute: "last_key_rotation_at",
    interval_attribute: Some("key_rotation_interval_days"),
    expiry: None,
    changed_attribute: None,
    shared_budget: Some(facts::BUDGET),
};

/// An account ID shortened as in `023e…c353`; anything else as it is.
fn abbreviated_account_id(id: &str) -> String {
    AccountId::parse(id).map_or_else(|_| id.to_owned(), |id| id.abbreviated())
}
