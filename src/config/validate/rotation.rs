//! The rotation fields every resource kind shares, and their merge with `defaults`.

use jiff::{SignedDuration, Timestamp};

use super::Checker;
use crate::config::model::{DEFAULT_MIN_ROTATION_GAP, DEFAULT_ROTATION_WINDOW, RotationPolicy};
use crate::config::raw::{Located, RawRotation};

/// Rotation fields as parsed; unset ones are `None`.
#[derive(Default)]
pub(crate) struct RotationFields {
    max_key_age: Option<SignedDuration>,
    rotate_by: Option<Timestamp>,
    rotation_window: Option<SignedDuration>,
    min_rotation_gap: Option<SignedDuration>,
}

impl RotationFields {
    /// The policy these fields give, with `defaults` filling what they leave unset.
    pub(crate) fn merged_over(self, defaults: &RotationFields) -> RotationPolicy {
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

/// The shortest `min_rotation_gap` a file may set: below a day the guard against rotating
/// twice in a row is all but off, which a file should not do for every run.
pub const MIN_ROTATION_GAP_FLOOR: SignedDuration = SignedDuration::from_hours(24);

impl Checker {
    /// `min_rotation_gap`: at least a day. Rotating sooner is an emergency, acknowledged for
    /// one run with `--allow-rapid-rotation`, not a standing setting.
    fn rotation_gap(&mut self, text: &Located<String>) -> Option<SignedDuration> {
        let gap = self.duration(text)?;
        if gap >= MIN_ROTATION_GAP_FLOOR {
            return Some(gap);
        }
        let message = format!(
            "`min_rotation_gap` must be at least 1d, found `{}`: a shorter gap all but turns off \
             the guard against rotating a key twice in a row (Cloudflare keeps the previous key \
             valid for 7 days). To rotate sooner once, run `keyrot apply --allow-rapid-rotation`",
            text.value
        );
        self.report(text, message);
        None
    }

    /// The rotation fields of a resource (or its section's defaults) as written, checked.
    pub(crate) fn rotation_fields(&mut self, raw: RawRotation) -> RotationFields {
        RotationFields {
            max_key_age: raw
                .max_key_age
                .and_then(|age| self.positive_duration(&age, "max_key_age")),
            rotate_by: raw.rotate_by.and_then(|text| self.instant(&text)),
            rotation_window: raw.rotation_window.and_then(|text| self.duration(&text)),
            min_rotation_gap: raw
                .min_rotation_gap
                .and_then(|text| self.rotation_gap(&text)),
        }
    }
}
