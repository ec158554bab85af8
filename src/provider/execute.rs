//! The seam as the rest of keyrot sees it: the live state of a desired state, a fresh read of
//! one resource (compared before each write, and read to settle a rotate whose answer was
//! lost), and one planned action written.

use std::future::Future;

use jiff::Timestamp;
use secrecy::SecretString;

use super::ProviderError;
use crate::config::DesiredState;
use crate::plan::{Action, LiveState, ResourcePlan, Target};

/// What a completed action changed, as the API reported it afterwards. Holds no secret.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionEffect {
    /// The resource's last rotation after the action.
    pub last_rotation_at: Option<Timestamp>,
    /// Set when the answer was lost and re-reading the resource showed the action happened:
    /// what went wrong with the answer.
    pub confirmed_after: Option<String>,
    /// Where the rotation's new secret was delivered, as the plan shows the sink.
    pub secret_delivered_to: Option<String>,
}

impl ActionEffect {
    /// An action the API confirmed, leaving the last rotation at `last_rotation_at`.
    pub fn confirmed(last_rotation_at: Option<Timestamp>) -> Self {
        Self {
            last_rotation_at,
            confirmed_after: None,
            secret_delivered_to: None,
        }
    }
}

/// What apply compares before each write: a resource's last rotation (or, for vendors whose
/// API does not show it, when it last changed) and, for vendors that rotate by themselves,
/// their interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CurrentState {
    /// The last rotation (`None`: the API does not say).
    pub last_rotation: Option<Timestamp>,
    /// The automatic rotation interval in days, for vendors that have one.
    pub interval_days: Option<f64>,
    /// When the API last recorded any change to it, for vendors with a
    /// [`changed_attribute`](crate::vendor::Vendor::changed_attribute).
    pub changed_at: Option<Timestamp>,
}

/// A completed action: its effect, and the new secret a rotation issued, if any.
pub struct Executed {
    /// What changed.
    pub effect: ActionEffect,
    /// A new secret that exists nowhere else: it must reach its sink before anything else.
    pub secret: Option<SecretString>,
}

/// Executes planned actions against the APIs; what it writes it can also read.
pub trait ActionWriter: LiveReader {
    /// Performs one action of `resource`'s plan, sending a rotate at most once.
    fn write(
        &self,
        resource: &ResourcePlan,
        action: &Action,
    ) -> impl Future<Output = Result<Executed, ProviderError>>;
}

/// Reads the live state of every resource in a desired state.
pub trait LiveReader {
    /// The live state of every resource that could be read, and every read that failed.
    /// `on_read` is called as each resource's read settles.
    fn read_live(
        &self,
        desired: &DesiredState,
        on_read: &(dyn Fn() + Sync),
    ) -> impl Future<Output = LiveRead>;

    /// One resource as the API reports it now: compared before each write, and read to settle
    /// a write whose outcome is unknown.
    fn read_current(
        &self,
        name: &str,
        target: &Target,
    ) -> impl Future<Output = Result<CurrentState, ProviderError>>;
}

/// What one vendor's read of the live state found: every resource it could read, and every
/// read that failed.
#[derive(Debug, Default)]
pub struct LiveRead {
    /// The resources read, under this vendor's part of the live state.
    pub live: LiveState,
    /// The reads that failed.
    pub errors: Vec<ProviderError>,
}

impl LiveRead {
    /// The live state when every read succeeded, else every failure.
    pub fn complete(self) -> Result<LiveState, Vec<ProviderError>> {
        match self.errors.is_empty() {
            true => Ok(self.live),
            false => Err(self.errors),
        }
    }
}
