//! RIXL's API keys: list, rotate (a new secret, once), token exchange.

mod client;
mod credentials;
mod provider;
mod wire;

pub use client::{DEFAULT_BASE_URL, KeyRef, ListedKey, RixlClient, RotatedKey};
pub use credentials::RixlCredentials;
pub use provider::configured;
