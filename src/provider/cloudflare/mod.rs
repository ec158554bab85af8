//! Cloudflare's Access key configuration API.

mod client;
mod credentials;
mod provider;
mod wire;

pub use client::{AccountRef, AccountSummary, CloudflareClient, DEFAULT_BASE_URL};
pub use credentials::CloudflareCredentials;
pub use provider::configured;
