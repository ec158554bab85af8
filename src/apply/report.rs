//! What apply did: every planned action with its outcome, in plan order.

use std::fmt;
use std::path::PathBuf;

use jiff::Timestamp;

use super::sink::SinkError;
use super::stop::{Signal, StopReason};
use crate::http::ClockTrouble;
use crate::plan::{Action, Target};
use crate::provider::{ActionEffect, ProviderError};

/// The outcome of every action of a plan.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// One entry per planned action, in plan order.
    pub actions: Vec<ActionReport>,
    /// The signal that stopped the run before every action was started, if one did.
    pub stopped_by: Option<Signal>,
}

/// One action and what became of it.
#[derive(Debug)]
pub struct ActionReport {
    /// The resource's name.
    pub resource: String,
    /// What the resource is.
    pub target: Target,
    /// The planned action.
    pub action: Action,
    /// What happened.
    pub outcome: Outcome,
}

/// What became of one action.
#[derive(Debug)]
pub enum Outcome {
    /// The API confirmed it.
    Done(ActionEffect),
    /// The API refused it, could not be reached, or the new secret could not be delivered.
    Failed(ActionFailure),
    /// It was not attempted.
    NotStarted(NotStartedBecause),
    /// It was sent, and a second signal stopped the wait for its answer: whether it happened is
    /// unknown until the next run settles it from the journal.
    Abandoned,
    /// A rotate not sent because the key was rotated after the plan read it (Cloudflare rotated
    /// it itself, e.g. when the interval update made it due): a second rotation now would drop a
    /// key that tokens may still be signed with. Not a failure: the next plan re-evaluates.
    SkippedRotatedMeanwhile {
        /// The last rotation the API reported after the earlier action.
        at: Timestamp,
    },
    /// An action not sent because the resource's live state, read again right before it, is no
    /// longer what the plan observed: someone else changed it. Not a failure: the next plan
    /// re-evaluates.
    SkippedChangedSincePlan {
        /// What changed, with both values.
        changes: String,
    },
    /// A rotate not sent because, by the real clock, the last rotation is within
    /// `min_rotation_gap` (the plan was made for a later instant with `--now`).
    SkippedTooSoon {
        /// The last rotation.
        last_rotation: Timestamp,
        /// When a rotation becomes allowed.
        allowed_from: Timestamp,
    },
}

/// Why an action failed.
#[derive(Debug)]
pub enum ActionFailure {
    /// The API call failed.
    Provider(ProviderError),
    /// The journal could not record the intent, so the write was not sent.
    Journal(String),
    /// A rotation that depends on the time, not sent because the API's clock is in doubt.
    ClockInDoubt(ClockTrouble),
    /// The rotation happened, but its new secret could not be delivered to the sink.
    SecretUndelivered {
        /// The key's name in the file: what `keyrot deliver` takes.
        resource: String,
        /// What the sink said.
        error: Box<SinkError>,
        /// Where the secret was saved instead, or why saving it failed too.
        recovered_to: Result<PathBuf, String>,
        /// The rotation that issued it, as its answer reported it.
        issued_at: Option<Timestamp>,
    },
}

impl fmt::Display for ActionFailure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Provider(error) => write!(f, "{error}"),
            Self::ClockInDoubt(trouble) => write!(f, "not sent: {trouble}"),
            Self::Journal(error) => write!(
                f,
                "not sent: the journal could not record it ({error}); no write is sent that the \
                 journal does not announce"
            ),
            Self::SecretUndelivered {
                resource,
                error,
                recovered_to: Ok(path),
                ..
            } => write!(
                f,
                "the key was rotated, but its new secret could not be delivered to its sink: {}. The \
                 secret was saved to {} (mode 0600), and the old secret no longer works: fix \
                 the sink, then `keyrot deliver {resource}` (or `keyrot apply`) delivers it from \
                 there, or `keyrot deliver {resource} --acknowledge` once you have put it where \
                 it belongs. Deleting the file by hand makes the secret lost",
                error.reason,
                path.display()
            ),
            Self::SecretUndelivered {
                error,
                recovered_to: Err(reason),
                ..
            } => write!(
                f,
                "the key was rotated, but its new secret could not be delivered to its sink: {}, \
                 and saving it to a recovery file failed too ({reason}): the new secret is lost \
                 and the old one no longer works. The journal records it: fix the sink, then run \
                 `keyrot apply`, which rotates the key again to recover it",
                error.reason
            ),
        }
    }
}

/// Why an action was not attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotStartedBecause {
    /// An earlier action of the same resource failed.
    EarlierActionFailed,
    /// The run stopped starting new actions.
    Stopped(StopReason),
}

impl ApplyReport {
    /// True when a signal stopped the run.
    pub fn interrupted(&self) -> bool {
        self.stopped_by.is_some()
    }

    /// True when no action failed or was left undone by a failure.
    pub fn succeeded(&self) -> bool {
        self.actions.iter().all(|entry| {
            matches!(
                entry.outcome,
                Outcome::Done(_)
                    | Outcome::SkippedRotatedMeanwhile { .. }
                    | Outcome::SkippedTooSoon { .. }
                    | Outcome::SkippedChangedSincePlan { .. }
            )
        })
    }

    /// How many actions ended each way.
    pub fn counts(&self) -> ApplyCounts {
        let mut counts = ApplyCounts::default();
        for entry in &self.actions {
            match entry.outcome {
                Outcome::Done(_) => counts.done += 1,
                Outcome::Failed(_) | Outcome::Abandoned => counts.failed += 1,
                Outcome::NotStarted(_) => counts.not_started += 1,
                Outcome::SkippedRotatedMeanwhile { .. }
                | Outcome::SkippedTooSoon { .. }
                | Outcome::SkippedChangedSincePlan { .. } => counts.skipped += 1,
            }
        }
        counts
    }
}

/// How many actions ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyCounts {
    /// Confirmed by the API.
    pub done: usize,
    /// Refused or unreachable.
    pub failed: usize,
    /// Not attempted after an earlier failure.
    pub not_started: usize,
    /// Actions not sent because the resource changed meanwhile or the gap forbids them.
    pub skipped: usize,
}
