//! What the serve tests share: a file of two RIXL keys, and a cycle that read some of them.

use std::path::Path;

use jiff::{SignedDuration, Timestamp};

use super::cycle::CycleReport;
use crate::config::{DesiredState, load_bytes};
use crate::plan::{LiveState, Observation, PlanOptions, plan};

/// The instant the tests plan at.
pub fn now() -> Timestamp {
    "2026-11-24T12:00:00Z".parse().unwrap()
}

/// `n` days.
pub fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

/// Two RIXL keys with `max_key_age: 60d`, `fresh` and `stale`.
pub fn desired() -> DesiredState {
    let file = "version: 1\nrixl:\n  defaults:\n    max_key_age: 60d\n  api_keys:\n    \
                fresh:\n      key_id: K1\n      secret: {file: k1.key}\n    stale:\n      \
                key_id: K2\n      secret: {file: k2.key}\n";
    load_bytes("keyrot.yaml", file.as_bytes(), Path::new("/tmp")).unwrap()
}

/// A cycle at `at` that read the keys `ages` names, each last rotated that many days before.
pub fn read_at(desired: &DesiredState, at: Timestamp, ages: &[(&str, i64)]) -> CycleReport {
    let observed = |age: i64| Observation {
        last_rotation: Some(at - days(age)),
        expires_at: None,
        schedule: None,
        ..Observation::default()
    };
    let live = LiveState {
        resources: ages
            .iter()
            .map(|(name, age)| ((*name).to_owned(), observed(*age)))
            .collect(),
        ..LiveState::default()
    };
    let names: Vec<String> = ages.iter().map(|(name, _)| (*name).to_owned()).collect();
    let readable = desired.clone().only(&names).unwrap();
    CycleReport {
        plan: Some(plan(&readable, &live, at, PlanOptions::default()).unwrap()),
        ..CycleReport::default()
    }
}
