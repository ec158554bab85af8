//! Every vendor's parts, each taken from the vendor's own folder: the one place that lists
//! what a vendor plugs into keyrot. A new vendor is one name in [`registered!`]'s list (and its
//! `mod` line in `vendor/mod.rs`); the compiler then asks for each part its folder must give.

use std::path::Path;

use super::import::Importer;
use super::{Vendor, cloudflare, cloudflare_tokens, rixl};
use crate::config::DesiredState;
use crate::config::block::block;
use crate::config::section::{Section, SectionSchema, Sections, ValidatedSection};
use crate::config::validate::Checker;
use crate::provider::ConfigureProvider;
use crate::sandbox::{Clock, Simulated};

/// What keyrot takes from one vendor's folder besides its file section (`FileSection`, which
/// implements [`Section`]). Every field must be given, so the compiler names whatever a new
/// vendor has not filled in.
pub struct Registration {
    /// Its description: names, attributes, how plans show it.
    pub vendor: &'static Vendor,
    /// Its API client for a run.
    pub provider: ConfigureProvider,
    /// Its `keyrot import` subcommand.
    pub import: Importer,
    /// Its simulated API for the sandbox, seeded from a desired state (every resource it names
    /// exists, some of them due) or empty, with fresh credentials.
    pub sandbox: fn(seed: Option<&DesiredState>, clock: Clock) -> Box<dyn Simulated>,
}

/// Declares the vendor list: each name is a folder under `vendor/` that defines
/// `REGISTRATION` and `FileSection`, and its section of the file is named as the folder.
macro_rules! registered {
    ($($vendor:ident),* $(,)?) => {
        /// Every vendor, in the order plans list them.
        pub const REGISTERED: &[&Registration] = &[$(&$vendor::REGISTRATION),*];

        /// Every vendor's description, in the order plans list them.
        pub const VENDORS: &[&Vendor] = &[$($vendor::REGISTRATION.vendor),*];

        block! {
            /// Every vendor's section of the desired-state file, each named as its vendor.
            pub(crate) struct FileSections {
                $( pub $vendor: Option<$vendor::FileSection>, )*
            }
        }

        impl Sections for FileSections {
            fn validate(self, checker: &mut Checker, base_dir: &Path) -> Vec<ValidatedSection> {
                let mut sections = Vec::new();
                $( if let Some(section) = self.$vendor {
                    sections.push(section.validate(checker, base_dir));
                } )*
                sections
            }

            fn schemas() -> Vec<(&'static str, SectionSchema)> {
                vec![$(
                    (stringify!($vendor), <$vendor::FileSection as Section>::schema()),
                )*]
            }
        }
    };
}

registered!(cloudflare, rixl, cloudflare_tokens);

#[cfg(test)]
pub(crate) use registered;

/// Every vendor's simulated API, seeded from `seed`, for a sandbox.
pub fn simulated_vendors(seed: Option<&DesiredState>, clock: Clock) -> Vec<Box<dyn Simulated>> {
    REGISTERED
        .iter()
        .map(|registration| (registration.sandbox)(seed, clock))
        .collect()
}

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
    use crate::config::block::Block;

    #[test]
    fn each_vendors_section_is_named_as_its_vendor() {
        let keys: Vec<&str> = VENDORS.iter().map(|vendor| vendor.key).collect();
        assert_eq!(FileSections::FIELDS, keys);
    }
}
