//! Why the planner wants a rotation, and why it holds one back: one checkable line each.

use std::borrow::Cow;
use std::fmt;

use jiff::{SignedDuration, Timestamp};

use super::deadline::DueDeadline;
use super::words::{instant_in_words, span_in_words};
use crate::config::format_duration;

/// Why a rotation is wanted.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RotationReason {
    /// The key is at least `max_key_age` old.
    KeyAge {
        /// How old the key is at the plan's `now`.
        age: SignedDuration,
        /// The configured limit.
        max_key_age: SignedDuration,
    },
    /// The API did not say when the key was last rotated, so its age is unknown.
    LastRotationUnknown {
        /// The configured limit that cannot be checked.
        max_key_age: SignedDuration,
    },
    /// The `rotate_by` window is open and nothing else meets the deadline.
    Deadline(DueDeadline),
    /// The user asked for it (`--replace`): a key that leaked is rotated now.
    ReplaceRequested,
    /// A rotation issued a secret that reached neither its sink nor a recovery file.
    LostSecret {
        /// The run whose rotation lost it.
        run_id: String,
        /// When that rotation was sent.
        at: Timestamp,
    },
}

impl RotationReason {
    /// True for a rotation that recovers a lost secret.
    pub fn recovers_lost_secret(&self) -> bool {
        matches!(self, Self::LostSecret { .. })
    }

    /// True when the reason holds only by the clock: a key's age or a deadline.
    pub fn depends_on_the_clock(&self) -> bool {
        matches!(self, Self::KeyAge { .. } | Self::Deadline(_))
    }
}

impl fmt::Display for RotationReason {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::KeyAge { age, max_key_age } => write!(
                f,
                "key is {} old (max_key_age {})",
                span_in_words(*age),
                format_duration(*max_key_age)
            ),
            Self::LastRotationUnknown { max_key_age } => write!(
                f,
                "the API does not say when the key was last rotated, so its age is unknown \
                 (max_key_age {})",
                format_duration(*max_key_age)
            ),
            Self::Deadline(due) => write!(f, "{due}"),
            Self::ReplaceRequested => f.write_str("replace requested (--replace)"),
            Self::LostSecret { run_id, at } => write!(
                f,
                "recover a lost secret: run {run_id} rotated the key on {} and the journal \
                 shows its new secret in no sink and no recovery file; the old secret no longer \
                 works, so the safety gap does not apply",
                instant_in_words(*at)
            ),
        }
    }
}

/// A wanted rotation held back because the last one was too recent.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Deferral {
    /// Why the rotation is wanted; never empty.
    pub wanted: Vec<RotationReason>,
    /// How long ago the last rotation was.
    pub since_last_rotation: SignedDuration,
    /// The configured `min_rotation_gap`.
    pub min_rotation_gap: SignedDuration,
    /// The first instant a rotation is allowed.
    pub allowed_from: Timestamp,
    /// What rotating again now would break, as the vendor has it.
    #[serde(default = "default_gap_risk")]
    pub risk: Cow<'static, str>,
    /// What the gap counts from.
    #[serde(default, skip_serializing_if = "GapStart::is_last_rotation")]
    pub counted_from: GapStart,
}

/// What the safety gap counts from.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapStart {
    /// The key's last rotation.
    #[default]
    LastRotation,
    /// A later change of a key whose API does not show rotations, by the attribute that says
    /// so (`modified_on`): perhaps a rotation keyrot's journal does not know of.
    LastChange(Cow<'static, str>),
}

impl GapStart {
    /// True for the usual start, the last rotation.
    pub fn is_last_rotation(&self) -> bool {
        *self == Self::LastRotation
    }
}

/// What a second rotation within the gap breaks, for a vendor that does not say.
pub const DEFAULT_GAP_RISK: &str =
    "drops the previous key while tokens signed with it are still valid";

fn default_gap_risk() -> Cow<'static, str> {
    DEFAULT_GAP_RISK.into()
}

impl fmt::Display for Deferral {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let since = span_in_words(self.since_last_rotation);
        match &self.counted_from {
            GapStart::LastRotation => write!(f, "deferred: last rotated {since} ago")?,
            GapStart::LastChange(attribute) => write!(
                f,
                "deferred: {attribute} moved {since} ago, after the last rotation keyrot \
                 knows of (a rotation by hand or by a keyrot with another journal?)"
            )?,
        }
        write!(
            f,
            "; a second rotation within {} {}; allowed from {}",
            span_in_words(self.min_rotation_gap),
            self.risk,
            instant_in_words(self.allowed_from)
        )?;
        // A replacement is what someone does about a leaked key: they need the way through.
        if self.wanted.contains(&RotationReason::ReplaceRequested) {
            f.write_str(". If the key leaked, add --allow-rapid-rotation to rotate it now anyway")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deferral(wanted: RotationReason) -> Deferral {
        Deferral {
            wanted: vec![wanted],
            since_last_rotation: SignedDuration::from_hours(24),
            min_rotation_gap: SignedDuration::from_hours(7 * 24),
            allowed_from: Timestamp::UNIX_EPOCH,
            risk: Cow::Borrowed(DEFAULT_GAP_RISK),
            counted_from: GapStart::LastRotation,
        }
    }

    #[test]
    fn a_replacement_held_back_names_the_way_through() {
        let replace = deferral(RotationReason::ReplaceRequested).to_string();
        assert!(
            replace.ends_with(
                ". If the key leaked, add --allow-rapid-rotation to rotate it now anyway"
            ),
            "{replace}"
        );
        let unknown = deferral(RotationReason::LastRotationUnknown {
            max_key_age: SignedDuration::from_hours(24),
        })
        .to_string();
        assert!(!unknown.contains("--allow-rapid-rotation"), "{unknown}");
    }
}
