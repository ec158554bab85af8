//! The live state the planner compares against, as providers read it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::lost_secret::{AwaitingDelivery, LostSecret};
use crate::config::DesiredState;

/// Everything read from the APIs for one run, keyed by resource name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveState {
    /// Cloudflare accounts' Access key configuration, by resource name.
    pub cloudflare: BTreeMap<String, CloudflareLive>,
    /// RIXL API keys as listed, by resource name.
    pub rixl: BTreeMap<String, RixlLive>,
    /// Keys whose current secret was lost, as the journal records them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost_secrets: Vec<LostSecret>,
    /// New secrets waiting in recovery files for their sinks, as the journal records them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awaiting_delivery: Vec<AwaitingDelivery>,
}

/// One RIXL API key as `GET /platform/api-keys` listed it (never with a secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RixlLive {
    /// When the key (and so its current secret) was created; a rotation renews it.
    pub created_at: Option<Timestamp>,
    /// When the key stops working, if it expires.
    pub expiring_at: Option<Timestamp>,
}

/// One account's Access key configuration as `GET /accounts/{id}/access/keys` returned it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloudflareLive {
    /// Days between Cloudflare's own rotations.
    pub key_rotation_interval_days: f64,
    /// When the key was last rotated, if the API said.
    pub last_key_rotation_at: Option<Timestamp>,
    /// Days until Cloudflare's next own rotation, if the API said.
    pub days_until_next_rotation: Option<f64>,
}

impl LiveState {
    /// The part of `desired` whose live state this holds: what can be planned when some reads
    /// failed. The resources left out are the ones not read.
    pub fn read_part_of(&self, mut desired: DesiredState) -> DesiredState {
        desired
            .cloudflare_accounts
            .retain(|account| self.cloudflare.contains_key(&account.name));
        desired
            .rixl
            .keys
            .retain(|key| self.rixl.contains_key(&key.name));
        desired
    }

    /// Adds every resource of `other`, which reads other resources.
    pub fn merge(&mut self, other: LiveState) {
        self.cloudflare.extend(other.cloudflare);
        self.rixl.extend(other.rixl);
        self.lost_secrets.extend(other.lost_secrets);
        self.awaiting_delivery.extend(other.awaiting_delivery);
    }

    /// What changed, resource by resource, between this state and `fresh` (a new read of some
    /// of the same resources), in words; empty when nothing did. Cloudflare's
    /// `days_until_next_rotation`, which changes as days pass, is not compared.
    pub fn differences(&self, fresh: &LiveState) -> Vec<String> {
        let mut differences = Vec::new();
        for (name, now) in &fresh.cloudflare {
            match self.cloudflare.get(name) {
                Some(then) if then.same_as(now) => {}
                Some(then) => differences.push(cloudflare_change(name, then, now)),
                None => differences.push(format!("{name}: was not read before")),
            }
        }
        for (name, now) in &fresh.rixl {
            match self.rixl.get(name) {
                Some(then) if then == now => {}
                Some(then) => differences.push(format!(
                    "{name}: created_at {} is now {}",
                    shown(then.created_at),
                    shown(now.created_at)
                )),
                None => differences.push(format!("{name}: was not read before")),
            }
        }
        differences.sort();
        differences
    }
}

/// What changed in an account, naming only the attributes that did.
fn cloudflare_change(name: &str, then: &CloudflareLive, now: &CloudflareLive) -> String {
    let mut changes = Vec::new();
    if then.key_rotation_interval_days != now.key_rotation_interval_days {
        changes.push(format!(
            "key_rotation_interval_days {} is now {}",
            then.key_rotation_interval_days, now.key_rotation_interval_days
        ));
    }
    if then.last_key_rotation_at != now.last_key_rotation_at {
        changes.push(format!(
            "last_key_rotation_at {} is now {}",
            shown(then.last_key_rotation_at),
            shown(now.last_key_rotation_at)
        ));
    }
    format!("{name}: {}", changes.join(", "))
}

fn shown(instant: Option<Timestamp>) -> String {
    instant.map_or_else(|| "(unknown)".to_owned(), |at| at.to_string())
}

impl CloudflareLive {
    /// The same configuration and the same last rotation; `days_until_next_rotation`, which
    /// changes as days pass, is not compared.
    pub fn same_as(&self, other: &Self) -> bool {
        self.key_rotation_interval_days == other.key_rotation_interval_days
            && self.last_key_rotation_at == other.last_key_rotation_at
    }
}
