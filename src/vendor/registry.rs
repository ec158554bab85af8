//! Every vendor's parts, each taken from the vendor's own folder: the one place that lists
//! what a vendor plugs into keyrot. A new vendor adds its entry here and its description to
//! [`VENDORS`](super::VENDORS); a test keeps the two lists in step.

use super::{Vendor, cloudflare, rixl};
use crate::provider::ConfigureProvider;

/// What keyrot takes from one vendor's folder. Every field must be given, so the compiler
/// names whatever a new vendor has not filled in.
pub struct Registration {
    /// Its description: names, attributes, how plans show it.
    pub vendor: &'static Vendor,
    /// Its API client for a run.
    pub provider: ConfigureProvider,
}

/// Every vendor, in the order of [`VENDORS`](super::VENDORS).
pub const REGISTERED: [&Registration; 2] = [&cloudflare::REGISTRATION, &rixl::REGISTRATION];

/// How each vendor configures its API client, for `Providers::from_env`.
pub fn configure_providers() -> Vec<ConfigureProvider> {
    REGISTERED
        .iter()
        .map(|registration| registration.provider)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendor::VENDORS;

    #[test]
    fn every_described_vendor_is_registered_in_the_same_order() {
        let registered: Vec<&str> = REGISTERED.iter().map(|entry| entry.vendor.key).collect();
        let described: Vec<&str> = VENDORS.iter().map(|vendor| vendor.key).collect();
        assert_eq!(registered, described);
    }
}
