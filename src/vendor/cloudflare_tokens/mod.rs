//! Cloudflare API tokens: the credential pipelines, Terraform and deploy scripts hold. Rolling
//! one returns its new value exactly once, and the old value stops working at once: what
//! RIXL's rotations are, with the journal as the only record of when keyrot last rolled it.

mod client;
mod import;
mod provider;
pub mod sandbox;
mod section;
mod token_ref;
mod wire;

use jiff::SignedDuration;

pub use client::{ListedToken, TokensClient};
pub use provider::configured;
use sandbox::SimulatedTokens;
pub(crate) use section::FileSection;
pub use token_ref::{Owner, TokenRef};

use super::registry::Registration;
use super::{Expiry, Vendor};

/// What keyrot takes from this folder.
pub const REGISTRATION: Registration = Registration {
    vendor: &VENDOR,
    provider: configured,
    import: import::IMPORTER,
    sandbox: SimulatedTokens::seeded,
};

/// A Cloudflare API token, the user's or an account's.
pub const VENDOR: Vendor = Vendor {
    key: "cloudflare_tokens",
    title: "Cloudflare",
    section: "tokens",
    kind: "api_token",
    noun: "api token",
    counted_as: "Cloudflare API token",
    rotate_label: "roll token",
    short_id: token_ref::abbreviated,
    gap_risk: "kills a value issued only just now, which not every consumer may have yet",
    last_rotation_attribute: "last_rolled",
    interval_attribute: None,
    expiry: Some(Expiry {
        attribute: "expires_on",
        warn_within: EXPIRY_WARNING,
    }),
    changed_attribute: Some("modified_on"),
    shared_budget: Some(crate::vendor::cloudflare::facts::BUDGET),
};

/// Tokens expiring within this long are pointed out in the plan.
pub const EXPIRY_WARNING: SignedDuration = SignedDuration::from_hours(30 * 24);
