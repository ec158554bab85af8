//! Executes a plan: per resource, its actions in order; a failed action stops the rest of that
//! resource's actions, never other resources'.

mod report;

pub use report::{ActionReport, ApplyReport, NotStartedBecause, Outcome};

use crate::plan::Plan;
use crate::provider::ActionWriter;

/// Performs every action of `plan` through `writer`, calling `on_outcome` as each one settles.
pub async fn apply<W: ActionWriter>(
    plan: &Plan,
    writer: &W,
    mut on_outcome: impl FnMut(&ActionReport),
) -> ApplyReport {
    let mut report = ApplyReport::default();
    for resource in &plan.resources {
        let mut earlier_failed = false;
        for action in &resource.actions {
            let outcome = if earlier_failed {
                Outcome::NotStarted(NotStartedBecause::EarlierActionFailed)
            } else {
                match writer.execute(resource, action).await {
                    Ok(effect) => Outcome::Done(effect),
                    Err(error) => {
                        earlier_failed = true;
                        Outcome::Failed(error)
                    }
                }
            };
            let entry = ActionReport {
                resource: resource.name.clone(),
                action: action.clone(),
                outcome,
            };
            on_outcome(&entry);
            report.actions.push(entry);
        }
    }
    report
}
