//! The deadline rule: `rotate_by` with its `rotation_window`, and Cloudflare's own scheduled
//! rotation that may meet it.

use std::fmt;

use jiff::{SignedDuration, Timestamp};

use super::words::{instant_in_words, span_in_words};
use crate::config::RotationPolicy;

/// Where a resource stands against its `rotate_by` deadline at the plan's `now`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// The key was rotated at or after the window opened.
    Satisfied {
        /// `rotate_by`.
        deadline: Timestamp,
        /// The last rotation, inside the window.
        last_rotation: Timestamp,
    },
    /// The window has not opened yet.
    Upcoming {
        /// `rotate_by`.
        deadline: Timestamp,
        /// `rotate_by - rotation_window`.
        window_opens: Timestamp,
    },
    /// The window is open, and the provider's own scheduled rotation lands before the deadline.
    MetByScheduledRotation {
        /// `rotate_by`.
        deadline: Timestamp,
        /// When the provider rotates by itself: last rotation + the (desired) interval.
        scheduled: Timestamp,
    },
    /// The window is open and nothing meets the deadline: a rotation is wanted.
    Due(DueDeadline),
}

impl DeadlineStatus {
    /// True when the deadline has passed unmet.
    pub fn is_overdue(&self) -> bool {
        matches!(self, Self::Due(due) if due.is_overdue())
    }

    /// The `rotate_by` deadline itself.
    pub fn deadline(&self) -> Timestamp {
        match self {
            Self::Satisfied { deadline, .. }
            | Self::Upcoming { deadline, .. }
            | Self::MetByScheduledRotation { deadline, .. } => *deadline,
            Self::Due(due) => due.deadline,
        }
    }
}

/// A deadline whose window is open and that nothing else meets.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DueDeadline {
    /// `rotate_by`.
    pub deadline: Timestamp,
    /// When the window opened.
    pub window_opened: Timestamp,
    /// `deadline - now`: zero or less once overdue.
    pub until_deadline: SignedDuration,
}

impl DueDeadline {
    /// True at or past the deadline.
    pub fn is_overdue(&self) -> bool {
        !self.until_deadline.is_positive()
    }
}

impl fmt::Display for DueDeadline {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "deadline {}, window opened {}; ",
            instant_in_words(self.deadline),
            instant_in_words(self.window_opened)
        )?;
        match self.until_deadline {
            until if until.is_positive() => write!(f, "due in {}", span_in_words(until)),
            until if until.is_zero() => f.write_str("overdue: the deadline is now"),
            until => write!(f, "overdue by {}", span_in_words(-until)),
        }
    }
}

/// The deadline rule for one resource at `now`; `None` without a `rotate_by`.
/// `last_rotation` is already clamped to `now`; `automatic_interval` is the provider's own
/// rotation interval as it will be after this plan (`None` for providers that never rotate by
/// themselves).
pub(crate) fn deadline_status(
    policy: &RotationPolicy,
    last_rotation: Option<Timestamp>,
    automatic_interval: Option<SignedDuration>,
    now: Timestamp,
) -> Option<DeadlineStatus> {
    let deadline = policy.rotate_by?;
    let window_opens = deadline
        .checked_sub(policy.rotation_window)
        .unwrap_or(Timestamp::MIN);
    if let Some(last) = last_rotation
        && last >= window_opens
    {
        return Some(DeadlineStatus::Satisfied {
            deadline,
            last_rotation: last,
        });
    }
    if now < window_opens {
        return Some(DeadlineStatus::Upcoming {
            deadline,
            window_opens,
        });
    }
    let scheduled = last_rotation
        .zip(automatic_interval)
        .and_then(|(last, interval)| last.checked_add(interval).ok());
    if let Some(scheduled) = scheduled
        && scheduled >= now
        && scheduled < deadline
    {
        return Some(DeadlineStatus::MetByScheduledRotation {
            deadline,
            scheduled,
        });
    }
    Some(DeadlineStatus::Due(DueDeadline {
        deadline,
        window_opened: window_opens,
        until_deadline: deadline.duration_since(now),
    }))
}
