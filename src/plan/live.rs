//! The live state the planner compares against, as providers read it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::lost_secret::{AwaitingDelivery, LostSecret};
use crate::config::DesiredState;
use crate::vendor::Vendor;

/// Everything read from the APIs for one run, keyed by resource name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveState {
    /// Every resource read, by resource name, whatever its vendor.
    pub resources: BTreeMap<String, Observation>,
    /// Keys whose current secret was lost, as the journal records them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost_secrets: Vec<LostSecret>,
    /// New secrets waiting in recovery files for their sinks, as the journal records them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awaiting_delivery: Vec<AwaitingDelivery>,
}

/// One resource as its vendor's API reports it (never with a secret), in the terms every
/// vendor shares.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// When the key was last rotated (or, for keys a rotation replaces, created).
    pub last_rotation: Option<Timestamp>,
    /// When the key stops working, for vendors whose keys expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// The vendor's own rotation schedule, for vendors that rotate keys by themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// What only some vendors report; boxed, since a plan holds one observation per resource
    /// and most have none of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Box<KeyState>>,
}

/// What some vendors report of a key beside its rotation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyState {
    /// Whether the key works, for vendors that say (a Cloudflare API token's `status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<KeyStatus>,
    /// When the API last recorded any change to the key, for vendors whose last rotation it
    /// does not show (a Cloudflare API token's `modified_on`, see [`Vendor::changed_attribute`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<Timestamp>,
    /// True for the key keyrot itself authenticates with: rotating it would cut keyrot off
    /// mid-run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub authenticates_keyrot: bool,
}

/// Whether a key works, as its vendor reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// It works.
    Active,
    /// Someone turned it off.
    Disabled,
    /// Its expiry passed.
    Expired,
}

impl KeyStatus {
    /// The vendor's word for it.
    pub fn word(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
        }
    }
}

/// A vendor's own rotation schedule for one key, as its API reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Days between the vendor's own rotations.
    pub interval_days: f64,
    /// Days until its next own rotation, if the API said.
    pub days_until_next: Option<f64>,
}

impl LiveState {
    /// The part of `desired` whose live state this holds: what can be planned when some reads
    /// failed. The resources left out are the ones not read.
    pub fn read_part_of(&self, mut desired: DesiredState) -> DesiredState {
        desired
            .resources
            .retain(|resource| self.resources.contains_key(&resource.name));
        desired
    }

    /// Adds every resource of `other`, which reads other resources.
    pub fn merge(&mut self, other: LiveState) {
        self.resources.extend(other.resources);
        self.lost_secrets.extend(other.lost_secrets);
        self.awaiting_delivery.extend(other.awaiting_delivery);
    }

    /// What changed, resource by resource, between this state and `fresh` (a new read of some
    /// of the same resources), in words naming each attribute as `vendor_of` the resource
    /// spells it; empty when nothing did. The days until a vendor's next own rotation, which
    /// change as days pass, are not compared.
    pub fn differences(
        &self,
        fresh: &LiveState,
        vendor_of: impl Fn(&str) -> Option<&'static Vendor>,
    ) -> Vec<String> {
        let mut differences = Vec::new();
        for (name, now) in &fresh.resources {
            match (self.resources.get(name), vendor_of(name)) {
                (Some(then), _) if then.same_as(now) => {}
                (Some(then), Some(vendor)) => differences.push(change(name, vendor, then, now)),
                _ => differences.push(format!("{name}: was not read before")),
            }
        }
        differences.sort();
        differences
    }
}

/// What changed in a resource, naming only the attributes that did.
fn change(name: &str, vendor: &Vendor, then: &Observation, now: &Observation) -> String {
    let mut changes = Vec::new();
    if let (Some(attribute), Some(was), Some(is)) = (
        vendor.interval_attribute,
        then.interval_days(),
        now.interval_days(),
    ) && was != is
    {
        changes.push(format!("{attribute} {was} is now {is}"));
    }
    if then.last_rotation != now.last_rotation {
        changes.push(format!(
            "{} {} is now {}",
            vendor.last_rotation_attribute,
            shown(then.last_rotation),
            shown(now.last_rotation)
        ));
    }
    if let Some(expiry) = &vendor.expiry
        && then.expires_at != now.expires_at
    {
        changes.push(format!(
            "{} {} is now {}",
            expiry.attribute,
            shown(then.expires_at),
            shown(now.expires_at)
        ));
    }
    if then.status() != now.status() {
        let word = |status: Option<KeyStatus>| status.map_or("(unknown)", KeyStatus::word);
        changes.push(format!(
            "status {} is now {}",
            word(then.status()),
            word(now.status())
        ));
    }
    if let Some(attribute) = vendor.changed_attribute
        && then.changed_at() != now.changed_at()
    {
        changes.push(format!(
            "{attribute} {} is now {}",
            shown(then.changed_at()),
            shown(now.changed_at())
        ));
    }
    format!("{name}: {}", changes.join(", "))
}

fn shown(instant: Option<Timestamp>) -> String {
    instant.map_or_else(|| "(unknown)".to_owned(), |at| at.to_string())
}

impl Observation {
    /// The same key and the same schedule; the days until the vendor's next own rotation,
    /// which change as days pass, are not compared.
    pub fn same_as(&self, other: &Self) -> bool {
        self.last_rotation == other.last_rotation
            && self.expires_at == other.expires_at
            && self.interval_days() == other.interval_days()
            && self.key == other.key
    }

    /// Whether the key works, for vendors that say.
    pub fn status(&self) -> Option<KeyStatus> {
        self.key.as_ref()?.status
    }

    /// When the key last changed at all, for vendors whose API does not show rotations.
    pub fn changed_at(&self) -> Option<Timestamp> {
        self.key.as_ref()?.changed_at
    }

    /// True for the key keyrot itself authenticates with.
    pub fn authenticates_keyrot(&self) -> bool {
        self.key
            .as_ref()
            .is_some_and(|key| key.authenticates_keyrot)
    }

    /// The vendor's own rotation interval in days, for vendors that rotate by themselves.
    pub fn interval_days(&self) -> Option<f64> {
        self.schedule
            .as_ref()
            .map(|schedule| schedule.interval_days)
    }
}
