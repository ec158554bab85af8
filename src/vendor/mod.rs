//! The vendors keyrot manages, each described by data in its own folder: nothing outside a
//! vendor's folder matches on which vendor a resource belongs to.

#[cfg(test)]
mod acme;
pub mod cloudflare;
pub mod cloudflare_tokens;
pub mod import;
pub mod registry;
pub mod rixl;

pub use registry::VENDORS;

use jiff::SignedDuration;

/// A vendor's facts as plans, documents and messages show them, and the shape of its resources'
/// live state. Each vendor's folder defines its one value; [`VENDORS`] lists them all.
#[derive(Debug)]
pub struct Vendor {
    /// The key in the desired-state file and in documents: `cloudflare`.
    pub key: &'static str,
    /// The vendor's name in sentences: `Cloudflare`.
    pub title: &'static str,
    /// The file's section of this vendor's resources, as addresses use it: `accounts`.
    pub section: &'static str,
    /// What one resource is, in documents: `access_key_configuration`.
    pub kind: &'static str,
    /// What one resource is, in headers: `account`.
    pub noun: &'static str,
    /// What one resource is, in counts: `Cloudflare account`.
    pub counted_as: &'static str,
    /// What a rotation does, in action lines: `rotate access keys`.
    pub rotate_label: &'static str,
    /// How a header shortens the resource's identifier.
    pub short_id: fn(&str) -> String,
    /// What a second rotation within the safety gap would break, for the deferral's reason.
    pub gap_risk: &'static str,
    /// The attribute the API reports the last rotation in: `last_key_rotation_at`.
    pub last_rotation_attribute: &'static str,
    /// For vendors that rotate keys by themselves on an interval keyrot can set: the
    /// attribute holding it, in days (`key_rotation_interval_days`).
    pub interval_attribute: Option<&'static str>,
    /// For vendors whose keys expire: the attribute holding the expiry, and how long before
    /// it the plan warns.
    pub expiry: Option<Expiry>,
    /// For vendors whose API does not show when a key was last rotated (a Cloudflare API
    /// token keeps its `issued_on` when rolled): the attribute that moves on any change to the
    /// key (`modified_on`). Such a key's age counts from the later of its
    /// `last_rotation_attribute` and keyrot's journal of its own rotations; a change since the
    /// plan holds a rotation back; and a rotation whose answer was lost went through when
    /// this attribute moved past the plan's.
    pub changed_attribute: Option<&'static str>,
    /// The request budget the vendor's API counts its requests against together with other
    /// vendors' (`cloudflare`: Access keys and API tokens spend one user's 1200 per 5 minutes);
    /// `None`: its own.
    pub shared_budget: Option<&'static str>,
}

/// Where a vendor reports a key's expiry, and how soon before it a plan warns.
#[derive(Debug)]
pub struct Expiry {
    /// The attribute: `expiring_at`.
    pub attribute: &'static str,
    /// A key expiring within this long is pointed out in the plan.
    pub warn_within: SignedDuration,
}

impl Vendor {
    /// The vendor whose key is `key`.
    pub fn by_key(key: &str) -> Option<&'static Vendor> {
        VENDORS.iter().copied().find(|vendor| vendor.key == key)
    }

    /// The name of the interval the vendor rotates keys by itself on, as it spells it
    /// (`key_rotation_interval_days`); `interval_days` for a vendor that has none.
    pub fn interval_name(&self) -> &'static str {
        self.interval_attribute.unwrap_or("interval_days")
    }

    /// The start of every address of this vendor's resources: `cloudflare.accounts.`.
    pub fn address_prefix(&self) -> String {
        format!("{}.{}.", self.key, self.section)
    }
}

impl PartialEq for Vendor {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Vendor {}

/// The identifier as it is: for vendors whose identifiers are short.
pub fn whole_id(id: &str) -> String {
    id.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendor_is_found_by_its_key_and_keys_are_unique() {
        for &vendor in VENDORS {
            assert_eq!(Vendor::by_key(vendor.key), Some(vendor));
        }
        let mut keys: Vec<&str> = VENDORS.iter().map(|vendor| vendor.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), VENDORS.len());
        assert_eq!(Vendor::by_key("nope"), None);
    }
}
