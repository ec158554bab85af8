//! The rotation fields every resource kind shares, and their merge with `defaults`.

use jiff::{SignedDuration, Timestamp};

use super::Checker;
use crate::config::model::{DEFAULT_MIN_ROTATION_GAP, DEFAULT_ROTATION_WINDOW, RotationPolicy};
use crate::config::raw::RawRotation;

/// Rotation fields as parsed; unset ones are `None`.
#[derive(Default)]
pub(super) struct RotationFields {
    max_key_age: Option<SignedDuration>,
    rotate_by: Option<Timestamp>,
    rotation_window: Option<SignedDuration>,
    min_rotation_gap: Option<SignedDuration>,
}

impl RotationFields {
    /// The policy these fields give, with `defaults` filling what they leave unset.
    pub fn merged_over(self, defaults: &RotationFields) -> RotationPolicy {
        RotationPolicy {
            max_key_age: self.max_key_age.or(defaults.max_key_age),
            rotate_by: self.rotate_by.or(defaults.rotate_by),
            rotation_window: self
                .rotation_window
                .or(defaults.rotation_window)
                .unwrap_or(DEFAULT_ROTATION_WINDOW),
            min_rotation_gap: self
                .min_rotation_gap
                .or(defaults.min_rotation_gap)
                .unwrap_or(DEFAULT_MIN_ROTATION_GAP),
        }
    }
}

impl Checker {
    pub(super) fn rotation_fields(&mut self, raw: RawRotation) -> RotationFields {
        RotationFields {
            max_key_age: raw
                .max_key_age
                .and_then(|age| self.positive_duration(&age, "max_key_age")),
            rotate_by: raw.rotate_by.and_then(|text| self.instant(&text)),
            rotation_window: raw.rotation_window.and_then(|text| self.duration(&text)),
            min_rotation_gap: raw.min_rotation_gap.and_then(|text| self.duration(&text)),
        }
    }
}
