//! The plan: per resource, what differs, what will be done, and why.

use std::borrow::Cow;
use std::fmt;

use jiff::{SignedDuration, Timestamp};

use super::deadline::DeadlineStatus;
use super::lost_secret::AwaitingDelivery;
use super::reason::{Deferral, RotationReason};
use super::words::{instant_in_words, span_in_words};
use serde::{Deserialize, Serialize};

use super::target::Target;

/// The result of planning: every resource of the desired state, in file order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The instant the time rules were evaluated at.
    pub now: Timestamp,
    /// One entry per resource in the desired-state file, in file order.
    pub resources: Vec<ResourcePlan>,
    /// The most rotations apply may perform: `settings.max_rotations_per_apply`, or the
    /// `--max-rotations` override.
    pub max_rotations_per_apply: u32,
    /// Set by the caller when the API's clock was not to be trusted while the live state was
    /// read: every decision that depends on the time is in doubt. Never saved with a plan.
    #[serde(skip)]
    pub clock_trouble: Option<ClockWarning>,
    /// New secrets that wait in recovery files for their sinks (the journal says). Never saved
    /// with a plan: the live state it records holds them.
    #[serde(skip)]
    pub awaiting_delivery: Vec<AwaitingDelivery>,
    /// Set when the plan covers only part of the file's resources, with why.
    #[serde(skip)]
    pub partial: Option<Partial>,
    /// Whether `max_rotations_per_apply` came from `--max-rotations`, not the file.
    #[serde(skip)]
    pub limit_from_flag: bool,
}

/// A plan of part of the file's resources, and why the others are not in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partial {
    /// How many resources the plan covers.
    pub covered: usize,
    /// How many the file has.
    pub of: usize,
    /// Why the rest are left out: `--target`, `1 could not be read`.
    pub why: String,
}

impl Partial {
    /// `covered` of the file's `of` resources when that is fewer, for the reasons `why`
    /// (`None` when there are none).
    pub fn of(covered: usize, of: usize, why: &[String]) -> Option<Self> {
        (covered < of).then(|| Self {
            covered,
            of,
            why: why.join("; "),
        })
    }
}

impl fmt::Display for Partial {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} of {} resources: {}", self.covered, self.of, self.why)
    }
}

/// The API's clock strayed from this machine's, or jumped: what the plan says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockWarning {
    /// What is wrong, naming both clocks.
    pub message: String,
    /// How far the API's clock is off, in seconds: positive when ahead.
    pub skew_seconds: i64,
}

/// Counts of what a plan does, for its summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanCounts {
    /// Interval updates.
    pub updates: usize,
    /// Rotations.
    pub rotations: usize,
    /// Rotations held back by the safety gap.
    pub deferred: usize,
    /// Resources with no action.
    pub unchanged: usize,
}

impl Plan {
    /// True when no resource has an action (deferrals are not actions).
    pub fn is_empty(&self) -> bool {
        self.resources
            .iter()
            .all(|resource| resource.actions.is_empty())
    }

    /// True when drift must be reported: a resource drifted, or the clock is in doubt.
    pub fn has_drift(&self) -> bool {
        self.drifted_resources() > 0
            || self.clock_trouble.is_some()
            || !self.awaiting_delivery.is_empty()
    }

    /// How many resources have drifted (see [`ResourcePlan::is_drifted`]).
    pub fn drifted_resources(&self) -> usize {
        self.resources
            .iter()
            .filter(|resource| resource.is_drifted())
            .count()
    }

    /// How many resources the plan rotates to recover a lost secret.
    pub fn lost_secrets(&self) -> usize {
        self.resources
            .iter()
            .filter(|resource| resource.recovers_lost_secret())
            .count()
    }

    /// True when the plan rotates more keys than `settings.max_rotations_per_apply` allows.
    pub fn exceeds_rotation_limit(&self) -> bool {
        self.counts().rotations > self.max_rotations_per_apply as usize
    }

    /// Resources whose deadline window opens after `now` and no later than `now + within`, in
    /// the order the windows open.
    pub fn upcoming_deadlines(&self, within: SignedDuration) -> Vec<UpcomingDeadline<'_>> {
        let horizon = self.now.saturating_add(within).unwrap_or(Timestamp::MAX);
        let mut upcoming: Vec<UpcomingDeadline<'_>> = self
            .resources
            .iter()
            .filter_map(|resource| match resource.deadline {
                Some(DeadlineStatus::Upcoming {
                    deadline,
                    window_opens,
                }) if window_opens <= horizon => Some(UpcomingDeadline {
                    resource,
                    deadline,
                    window_opens,
                }),
                _ => None,
            })
            .collect();
        upcoming.sort_by_key(|entry| entry.window_opens);
        upcoming
    }

    /// How many updates, rotations, deferrals and unchanged resources the plan holds.
    pub fn counts(&self) -> PlanCounts {
        let mut counts = PlanCounts::default();
        for resource in &self.resources {
            for action in &resource.actions {
                match action {
                    Action::UpdateInterval { .. } => counts.updates += 1,
                    Action::Rotate { .. } => counts.rotations += 1,
                }
            }
            // A deferred rotation is a change held back, not an unchanged resource.
            counts.deferred += resource.deferral.is_some() as usize;
            counts.unchanged +=
                (resource.actions.is_empty() && resource.deferral.is_none()) as usize;
        }
        counts
    }
}

/// A deadline whose window opens soon.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpcomingDeadline<'a> {
    /// The resource.
    pub resource: &'a ResourcePlan,
    /// `rotate_by`.
    pub deadline: Timestamp,
    /// When its window opens.
    pub window_opens: Timestamp,
}

/// One resource's part of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourcePlan {
    /// The resource's name in the desired-state file.
    pub name: String,
    /// What the resource is, and how the API addresses it.
    pub target: Target,
    /// The shortest time allowed between two of its rotations (`min_rotation_gap`).
    pub min_rotation_gap: SignedDuration,
    /// The last rotation as the live read reported it.
    pub last_rotation: Option<Timestamp>,
    /// The automatic rotation interval in days as the live read reported it, for vendors that
    /// rotate by themselves.
    #[serde(default)]
    pub interval_days: Option<f64>,
    /// When the API last recorded a change to it, as the live read reported it, for vendors
    /// whose API does not show the last rotation; boxed, since a plan holds one per resource
    /// and most have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<Box<Timestamp>>,
    /// Its attributes as they are live.
    pub before: Vec<Attribute>,
    /// Its attributes as they will be once the actions are done.
    pub after: Vec<Attribute>,
    /// What to do, in order: an update always comes before the rotate.
    pub actions: Vec<Action>,
    /// A wanted rotation the plan holds back, with why and until when.
    pub deferral: Option<Box<Deferral>>,
    /// Where the resource stands against its `rotate_by` deadline, if it has one.
    pub deadline: Option<DeadlineStatus>,
    /// Things a reviewer should know that are not actions.
    pub warnings: Vec<PlanWarning>,
}

/// Something a reviewer should know that the plan does not act on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlanWarning {
    /// The key expires soon (or has expired); rotating does not necessarily extend it.
    KeyExpiresSoon {
        /// When it expires.
        expiring_at: Timestamp,
        /// `expiring_at - now`: negative once expired.
        remaining: SignedDuration,
    },
    /// The key expires before its next rotation is due, and a rotation may not extend it.
    KeyExpiresBeforeRotation {
        /// When it expires.
        expiring_at: Timestamp,
        /// When its next rotation is due (its age, or a deadline's window opening).
        next_rotation: Timestamp,
    },
}

impl PlanWarning {
    /// True for a key that has expired: drift, whatever the plan does.
    pub fn is_expired(&self) -> bool {
        matches!(self, Self::KeyExpiresSoon { remaining, .. } if remaining.is_negative())
    }
}

impl fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::KeyExpiresSoon {
                expiring_at,
                remaining,
            } if remaining.is_negative() => write!(
                f,
                "the key expired on {}, {} ago",
                instant_in_words(*expiring_at),
                span_in_words(-*remaining)
            ),
            Self::KeyExpiresSoon {
                expiring_at,
                remaining,
            } => write!(
                f,
                "the key expires on {}, in {}",
                instant_in_words(*expiring_at),
                span_in_words(*remaining)
            ),
            Self::KeyExpiresBeforeRotation {
                expiring_at,
                next_rotation,
            } => write!(
                f,
                "the key expires on {}, before its next rotation is due on {}, and rotating \
                 does not extend it: extend its expiry",
                instant_in_words(*expiring_at),
                instant_in_words(*next_rotation)
            ),
        }
    }
}

impl ResourcePlan {
    /// True when its deadline has passed unmet, whether or not the rotation is deferred.
    pub fn is_overdue(&self) -> bool {
        self.deadline
            .as_ref()
            .is_some_and(DeadlineStatus::is_overdue)
    }

    /// True when drift should alarm for it: an action would be planned, or its deadline is
    /// overdue (even while the rotation is deferred).
    pub fn is_drifted(&self) -> bool {
        !self.actions.is_empty()
            || self.is_overdue()
            || self.warnings.iter().any(PlanWarning::is_expired)
    }

    /// True when the plan rotates it to recover a lost secret.
    pub fn recovers_lost_secret(&self) -> bool {
        self.actions.iter().any(|action| match action {
            Action::Rotate { reasons } => reasons.iter().any(RotationReason::recovers_lost_secret),
            Action::UpdateInterval { .. } => false,
        })
    }

    /// The rotations this plan performs for the resource: zero or one.
    pub fn rotations(&self) -> usize {
        self.actions
            .iter()
            .filter(|action| matches!(action, Action::Rotate { .. }))
            .count()
    }
}

/// One change the apply step makes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Set the interval the vendor rotates the key by itself on (`Vendor::interval_attribute`).
    UpdateInterval {
        /// The live interval.
        from: f64,
        /// The desired interval.
        to: u16,
    },
    /// Rotate the resource's key now.
    Rotate {
        /// Why; never empty.
        reasons: Vec<RotationReason>,
    },
}

/// A named attribute of a resource, as shown in the diff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    /// The attribute's name as the API spells it.
    pub name: Cow<'static, str>,
    /// Its value.
    pub value: AttributeValue,
}

/// An attribute's value: known now, or only once the apply has run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum AttributeValue {
    /// A value known at plan time.
    Known(String),
    /// The API did not report a value.
    Unknown,
    /// The key has none: an expiry the API leaves out, for a key that never expires.
    Never,
    /// The value is set by the apply (a rotation's timestamp).
    KnownAfterApply,
}

impl fmt::Display for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Known(value) => f.write_str(value),
            Self::Unknown => f.write_str("(unknown)"),
            Self::Never => f.write_str("(never)"),
            Self::KnownAfterApply => f.write_str("(known after apply)"),
        }
    }
}
