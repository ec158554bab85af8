//! What apply did: every planned action with its outcome, in plan order.

use crate::plan::Action;
use crate::provider::{ActionEffect, ProviderError};

/// The outcome of every action of a plan.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// One entry per planned action, in plan order.
    pub actions: Vec<ActionReport>,
}

/// One action and what became of it.
#[derive(Debug)]
pub struct ActionReport {
    /// The resource's name.
    pub resource: String,
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
    /// The API refused it or could not be reached.
    Failed(ProviderError),
    /// It was not attempted.
    NotStarted(NotStartedBecause),
}

/// Why an action was not attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotStartedBecause {
    /// An earlier action of the same resource failed.
    EarlierActionFailed,
}

impl ApplyReport {
    /// True when every action was done.
    pub fn succeeded(&self) -> bool {
        self.actions
            .iter()
            .all(|entry| matches!(entry.outcome, Outcome::Done(_)))
    }

    /// How many actions were done, failed and not started.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for entry in &self.actions {
            match entry.outcome {
                Outcome::Done(_) => counts.0 += 1,
                Outcome::Failed(_) => counts.1 += 1,
                Outcome::NotStarted(_) => counts.2 += 1,
            }
        }
        counts
    }
}
