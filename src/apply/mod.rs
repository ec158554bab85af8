//! Executes a plan: per resource, its actions in order; a failed action stops the rest of that
//! resource's actions, never other resources'.

mod report;

pub use report::{ActionReport, ApplyCounts, ApplyReport, NotStartedBecause, Outcome};

use jiff::Timestamp;

use crate::plan::{Action, Plan, ResourcePlan};
use crate::provider::ActionWriter;

/// Performs every action of `plan` through `writer`, calling `on_outcome` as each one settles.
pub async fn apply<W: ActionWriter>(
    plan: &Plan,
    writer: &W,
    mut on_outcome: impl FnMut(&ActionReport),
) -> ApplyReport {
    let mut report = ApplyReport::default();
    for resource in &plan.resources {
        apply_resource(resource, writer, &mut |entry| {
            on_outcome(&entry);
            report.actions.push(entry);
        })
        .await;
    }
    report
}

/// One resource's actions in order. A rotate is held back when an earlier action failed, or
/// when the API reports a rotation newer than the one the plan was made from.
async fn apply_resource<W: ActionWriter>(
    resource: &ResourcePlan,
    writer: &W,
    settle: &mut impl FnMut(ActionReport),
) {
    let mut held_back = None;
    let mut last_rotation = resource.last_rotation;
    for action in &resource.actions {
        let outcome = match (
            held_back,
            rotated_meanwhile(action, resource, last_rotation),
        ) {
            (Some(because), _) => Outcome::NotStarted(because),
            (None, Some(at)) => Outcome::SkippedRotatedMeanwhile { at },
            (None, None) => match writer.execute(resource, action).await {
                Ok(effect) => {
                    last_rotation = effect.last_rotation_at.or(last_rotation);
                    Outcome::Done(effect)
                }
                Err(error) => {
                    held_back = Some(NotStartedBecause::EarlierActionFailed);
                    Outcome::Failed(error)
                }
            },
        };
        settle(ActionReport {
            resource: resource.name.clone(),
            action: action.clone(),
            outcome,
        });
    }
}

/// For a rotate: the newer last rotation an earlier action of this apply reported, if any.
fn rotated_meanwhile(
    action: &Action,
    resource: &ResourcePlan,
    last_rotation: Option<Timestamp>,
) -> Option<Timestamp> {
    let Action::Rotate { .. } = action else {
        return None;
    };
    match (resource.last_rotation, last_rotation) {
        (Some(planned), Some(now)) if now > planned => Some(now),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use jiff::SignedDuration;

    use super::*;
    use crate::config::AccountId;
    use crate::plan::{RotationReason, Target};
    use crate::provider::{ActionEffect, ProviderError, ResourceLabel};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// Records every call; fails the resources named in `failing`; reports `rotation_after_update`
    /// as the last rotation after an update.
    struct FakeWriter {
        calls: RefCell<Vec<String>>,
        failing: Vec<&'static str>,
        rotation_after_update: Option<Timestamp>,
    }

    impl FakeWriter {
        fn new() -> Self {
            Self {
                calls: RefCell::new(Vec::new()),
                failing: Vec::new(),
                rotation_after_update: Some(at("2026-10-01T00:00:00Z")),
            }
        }
    }

    impl ActionWriter for FakeWriter {
        async fn execute(
            &self,
            resource: &ResourcePlan,
            action: &Action,
        ) -> Result<ActionEffect, ProviderError> {
            let verb = match action {
                Action::UpdateInterval { .. } => "update",
                Action::Rotate { .. } => "rotate",
            };
            self.calls
                .borrow_mut()
                .push(format!("{} {verb}", resource.name));
            if self.failing.contains(&resource.name.as_str()) {
                return Err(ProviderError::Transport {
                    resource: ResourceLabel(resource.name.clone()),
                    operation: verb.to_owned(),
                    detail: "connection refused".to_owned(),
                });
            }
            let last_rotation_at = match action {
                Action::UpdateInterval { .. } => self.rotation_after_update,
                Action::Rotate { .. } => Some(at("2026-11-24T12:00:00Z")),
            };
            Ok(ActionEffect { last_rotation_at })
        }
    }

    fn resource(name: &str) -> ResourcePlan {
        let reason = RotationReason::KeyAge {
            age: SignedDuration::from_hours(24 * 131),
            max_key_age: SignedDuration::from_hours(24 * 120),
        };
        ResourcePlan {
            name: name.to_owned(),
            target: Target::CloudflareAccount {
                account_id: AccountId::parse("023e105f4ecef8ad9ca31a8372d0c353").unwrap(),
            },
            last_rotation: Some(at("2026-10-01T00:00:00Z")),
            before: Vec::new(),
            after: Vec::new(),
            actions: vec![
                Action::UpdateInterval { from: 90.0, to: 30 },
                Action::Rotate {
                    reasons: vec![reason],
                },
            ],
            deferral: None,
            deadline: None,
        }
    }

    fn plan(names: &[&str]) -> Plan {
        Plan {
            now: at("2026-11-24T12:00:00Z"),
            resources: names.iter().map(|name| resource(name)).collect(),
            max_rotations_per_apply: 25,
        }
    }

    fn run(plan: &Plan, writer: &FakeWriter) -> ApplyReport {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(apply(plan, writer, |_| {}))
    }

    #[test]
    fn actions_run_in_plan_order_update_before_rotate() {
        let writer = FakeWriter::new();
        let report = run(&plan(&["a", "b"]), &writer);
        assert!(report.succeeded());
        assert_eq!(
            *writer.calls.borrow(),
            ["a update", "a rotate", "b update", "b rotate"]
        );
    }

    #[test]
    fn a_failure_stops_only_its_own_resource() {
        let writer = FakeWriter {
            failing: vec!["a"],
            ..FakeWriter::new()
        };
        let report = run(&plan(&["a", "b"]), &writer);
        assert!(!report.succeeded());
        assert_eq!(*writer.calls.borrow(), ["a update", "b update", "b rotate"]);
        let counts = report.counts();
        assert_eq!((counts.done, counts.failed, counts.not_started), (2, 1, 1));
    }

    #[test]
    fn a_rotation_reported_after_the_update_holds_the_rotate_back() {
        let writer = FakeWriter {
            rotation_after_update: Some(at("2026-11-24T11:59:00Z")),
            ..FakeWriter::new()
        };
        let report = run(&plan(&["a"]), &writer);
        assert_eq!(*writer.calls.borrow(), ["a update"]);
        assert!(report.succeeded());
        assert!(matches!(
            report.actions[1].outcome,
            Outcome::SkippedRotatedMeanwhile { .. }
        ));
    }
}
