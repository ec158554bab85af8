//! What a resource plan acts on: a vendor's resource, described by data so that nothing outside
//! the vendor's own modules matches on which vendor it is.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::SecretSink;
use crate::vendor::Vendor;

/// The API object a resource plan acts on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Whose API it lives in.
    #[serde(serialize_with = "vendor_key", deserialize_with = "vendor_by_key")]
    pub vendor: &'static Vendor,
    /// The identifier the API addresses it by (an account ID, a key ID).
    pub id: String,
    /// Where a rotation's new secret is delivered, for resources whose rotation issues one.
    pub sink: Option<Box<SecretSink>>,
}

impl Target {
    /// The address documents and `--target` use: `cloudflare.accounts.production`.
    pub fn address(&self, name: &str) -> String {
        format!("{}.{}.{name}", self.vendor.key, self.vendor.section)
    }

    /// The header naming the resource: `# cloudflare account "production" (023e…c353)`.
    pub fn header(&self, name: &str) -> String {
        format!(
            "# {} {} \"{name}\" ({})",
            self.vendor.title.to_lowercase(),
            self.vendor.noun,
            (self.vendor.short_id)(&self.id)
        )
    }

    /// How messages name the resource, identifier in full: `rixl api key "ci" (ak7Hq2)`.
    pub fn label(&self, name: &str) -> String {
        format!(
            "{} {} \"{name}\" ({})",
            self.vendor.title.to_lowercase(),
            self.vendor.noun,
            self.id
        )
    }

    /// True when a rotation issues a secret that must reach a sink.
    pub fn issues_secrets(&self) -> bool {
        self.sink.is_some()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} {} {}", self.vendor.title, self.vendor.noun, self.id)
    }
}

fn vendor_key<S: Serializer>(vendor: &&'static Vendor, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(vendor.key)
}

fn vendor_by_key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static Vendor, D::Error> {
    let key = String::deserialize(deserializer)?;
    Vendor::by_key(&key).ok_or_else(|| serde::de::Error::custom(format!("unknown vendor `{key}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_round_trips_through_json_by_vendor_key() {
        let target = Target {
            vendor: &crate::vendor::rixl::VENDOR,
            id: "ak7Hq2".to_owned(),
            sink: None,
        };
        let json = serde_json::to_string(&target).unwrap();
        assert!(json.contains("\"vendor\":\"rixl\""), "{json}");
        let back: Target = serde_json::from_str(&json).unwrap();
        assert_eq!(back, target);
        let unknown = json.replace("rixl", "acme");
        assert!(serde_json::from_str::<Target>(&unknown).is_err());
    }
}
