//! One cycle of `keyrot serve` as its loop sees it: what runs it (the command line's read, plan
//! and apply) and what it reports, from which the status, the metrics and the events follow.

use std::future::Future;

use jiff::SignedDuration;

use crate::apply::{ActionFailure, ActionReport, Outcome, StopSignal, Ticker};
use crate::config::DesiredState;
use crate::http::GateCheck;
use crate::plan::{Action, Plan, ResourcePlan};

use super::status::CycleOutcome;

/// Runs one cycle: reads, plans and, with `--apply`, applies.
pub trait Cycle {
    /// One cycle over `desired`. Every write it sends must also pass `lead` (this replica
    /// still leads); `stop` stops it starting new actions; `beat` is advanced as it makes
    /// progress.
    fn run(
        &self,
        desired: &DesiredState,
        lead: GateCheck,
        stop: &StopSignal,
        beat: &dyn Ticker,
    ) -> impl Future<Output = CycleReport>;
}

/// Why a cycle did not run to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CycleFailure {
    /// The guardrail refused the plan: an alert, never retried sooner than a failure.
    Refused(String),
    /// It could not run: nothing was read, the lock was held, the journal failed.
    Failed(String),
}

/// What one cycle did.
#[derive(Debug, Default)]
pub struct CycleReport {
    /// The plan of what was read; `None` when nothing was.
    pub plan: Option<Plan>,
    /// What became of each action, with `--apply`.
    pub actions: Vec<ActionReport>,
    /// The resources whose live state could not be read.
    pub unread: Vec<String>,
    /// Why reads failed, one line each.
    pub errors: Vec<String>,
    /// Why the cycle did not run to its end.
    pub failure: Option<CycleFailure>,
    /// How far this machine's clock is ahead of the API's (negative: behind), both read at the
    /// cycle's end: what moves the plan's instants, by the API's clock, onto this machine's.
    pub local_ahead_of_api: SignedDuration,
}

impl CycleReport {
    /// How the cycle ended.
    pub fn outcome(&self) -> CycleOutcome {
        match &self.failure {
            Some(CycleFailure::Refused(_)) => CycleOutcome::Refused,
            Some(CycleFailure::Failed(_)) => CycleOutcome::Failed,
            None if self.plan.is_none() => CycleOutcome::Failed,
            None if !self.unread.is_empty() || self.failed_actions() > 0 || self.waiting() => {
                CycleOutcome::Partial
            }
            None => CycleOutcome::Success,
        }
    }

    /// The cycle's error in one line: its failure, else its read errors.
    pub fn error(&self) -> Option<String> {
        match &self.failure {
            Some(CycleFailure::Refused(why) | CycleFailure::Failed(why)) => Some(why.clone()),
            None if self.errors.is_empty() => None,
            None => Some(self.errors.join("; ")),
        }
    }

    /// Whether a new secret still waits in a recovery file for its sink.
    fn waiting(&self) -> bool {
        self.plan
            .as_ref()
            .is_some_and(|plan| !plan.awaiting_delivery.is_empty())
    }

    /// The plan of resource `name`, if the cycle read it.
    pub fn planned(&self, name: &str) -> Option<&ResourcePlan> {
        let plan = self.plan.as_ref()?;
        plan.resources.iter().find(|resource| resource.name == name)
    }

    /// Whether a new secret of `name` still waits in a recovery file for its sink.
    pub fn awaits_delivery(&self, name: &str) -> bool {
        self.plan.as_ref().is_some_and(|plan| {
            plan.awaiting_delivery
                .iter()
                .any(|waiting| waiting.resource == name)
        })
    }

    /// Whether an action on `name` was confirmed (only a rotation, when `rotation_only`).
    pub fn acted_on(&self, name: &str, rotation_only: bool) -> bool {
        self.actions.iter().any(|action| {
            action.resource == name
                && matches!(action.outcome, Outcome::Done(_))
                && (!rotation_only || matches!(action.action, Action::Rotate { .. }))
        })
    }

    /// The first failed action on `name`, and why.
    pub fn failure_of(&self, name: &str) -> Option<&ActionFailure> {
        self.actions
            .iter()
            .find_map(|action| match &action.outcome {
                Outcome::Failed(failure) if action.resource == name => Some(failure),
                _ => None,
            })
    }

    /// Actions that failed.
    pub fn failed_actions(&self) -> usize {
        self.actions
            .iter()
            .filter(|action| matches!(action.outcome, Outcome::Failed(_)))
            .count()
    }

    /// Confirmed actions of the kind `rotate` picks (true: rotations; false: updates).
    pub fn done(&self, rotate: bool) -> usize {
        self.actions
            .iter()
            .filter(|action| matches!(action.outcome, Outcome::Done(_)))
            .filter(|action| matches!(action.action, Action::Rotate { .. }) == rotate)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_that_read_nothing_failed_and_a_refusal_is_its_own_outcome() {
        assert_eq!(CycleReport::default().outcome(), CycleOutcome::Failed);
        let refused = CycleReport {
            failure: Some(CycleFailure::Refused(
                "3 rotations, over the limit of 2".to_owned(),
            )),
            ..CycleReport::default()
        };
        assert_eq!(refused.outcome(), CycleOutcome::Refused);
        assert_eq!(
            refused.error().as_deref(),
            Some("3 rotations, over the limit of 2")
        );
    }
}
