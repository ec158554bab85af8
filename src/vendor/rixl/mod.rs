//! RIXL: API keys whose rotation issues a new secret, returned exactly once.

mod api;
mod client;
mod credentials;
mod import;
mod provider;
pub mod sandbox;
mod section;
mod wire;

use jiff::SignedDuration;

pub use api::RixlApi;
pub use client::{DEFAULT_BASE_URL, KeyRef, ListedKey, RixlClient, RotatedKey};
pub use credentials::RixlCredentials;
pub use provider::configured;
use sandbox::SimulatedRixl;
pub(crate) use section::FileSection;

use super::registry::Registration;
use super::{Expiry, Vendor, whole_id};

/// What keyrot takes from this folder.
pub const REGISTRATION: Registration = Registration {
    vendor: &VENDOR,
    provider: configured,
    import: import::IMPORTER,
    sandbox: SimulatedRixl::seeded,
};

/// RIXL: one API key, whose rotation issues a new secret.
pub const VENDOR: Vendor = Vendor {
    key: "rixl",
    title: "RIXL",
    section: "api_keys",
    kind: "api_key",
    noun: "api key",
    counted_as: "RIXL API key",
    rotate_label: "rotate api key",
    short_id: whole_id,
    gap_risk: "revokes a secret issued only just now, which not every consumer may have yet",
    last_rotation_attribute: "created_at",
    interval_attribute: None,
    expiry: Some(Expiry {
        attribute: "expiring_at",
        warn_within: EXPIRY_WARNING,
    }),
    changed_attribute: None,
    shared_budget: None,
};

/// RIXL documents no number ("limits vary by plan").
pub const RATE_LIMIT: crate::config::RateLimit = crate::config::RateLimit::UNDOCUMENTED;

/// Keys expiring within this long are pointed out in the plan.
pub const EXPIRY_WARNING: SignedDuration = SignedDuration::from_hours(14 * 24);
