//! Executes a plan: resources concurrently up to `--parallelism`, each resource's actions in
//! order. A failed action stops the rest of its resource's actions, never other resources'
//! (unless `--fail-fast`); a stop signal (Ctrl-C) stops new actions while in-flight ones finish.

mod report;
mod saved_plan;
mod secret;
mod sink;
mod stop;

pub use report::{
    ActionFailure, ActionReport, ApplyCounts, ApplyReport, NotStartedBecause, Outcome,
};
pub use saved_plan::{SAVED_PLAN_VERSION, SavedOptions, SavedPlan, SavedSource, write_atomically};
pub use sink::{SinkError, check_recovery_dir, check_sink, deliver, recover};
pub use stop::{StopReason, StopSignal};

use std::path::{Path, PathBuf};

use futures_util::{StreamExt, stream};
use jiff::Timestamp;

use crate::plan::{Action, Plan, ResourcePlan, Target};
use crate::provider::ActionWriter;

use secret::settle_secret;

/// How apply runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Resources worked on at once.
    pub parallelism: usize,
    /// Stop starting new actions after the first failure.
    pub fail_fast: bool,
    /// Where a secret its sink refused is saved (`.keyrot/recovered/` beside the file).
    pub recovery_dir: PathBuf,
    /// Rotate even within `min_rotation_gap` of the last rotation (`--allow-rapid-rotation`).
    pub allow_rapid_rotation: bool,
}

/// Every sink a plan's rotations will deliver to that cannot take a secret, by resource, and
/// the recovery directory if a secret could not be saved there; apply refuses to start while
/// this is not empty.
pub fn unusable_sinks(plan: &Plan, recovery_dir: &Path) -> Vec<(String, SinkError)> {
    let mut unusable: Vec<(String, SinkError)> = plan
        .resources
        .iter()
        .filter(|resource| resource.rotations() > 0)
        .filter_map(|resource| match &resource.target {
            Target::RixlKey { sink, .. } => check_sink(sink)
                .err()
                .map(|error| (resource.name.clone(), error)),
            Target::CloudflareAccount { .. } => None,
        })
        .collect();
    let issues_secrets = plan.resources.iter().any(|resource| {
        resource.rotations() > 0 && matches!(resource.target, Target::RixlKey { .. })
    });
    if issues_secrets && let Err(error) = check_recovery_dir(recovery_dir) {
        unusable.push(("(recovery)".to_owned(), error));
    }
    unusable
}

/// Performs every action of `plan` through `writer`. `on_resource` receives each resource's
/// outcomes as soon as it and every resource before it in the file have settled, so output
/// keeps the file's order whatever the completion order.
pub async fn apply<W: ActionWriter>(
    plan: &Plan,
    writer: &W,
    options: ApplyOptions,
    stop: &StopSignal,
    mut on_resource: impl FnMut(&[ActionReport]),
) -> ApplyReport {
    let mut settled = stream::iter(&plan.resources)
        .map(|resource| apply_resource(resource, writer, &options, stop))
        .buffered(options.parallelism.max(1));
    let mut report = ApplyReport::default();
    while let Some(entries) = settled.next().await {
        on_resource(&entries);
        report.actions.extend(entries);
    }
    report.interrupted = stop.reason() == Some(StopReason::Interrupted);
    report
}

/// One resource's actions in order. An action is not started after an earlier one of the
/// resource failed or once the run was told to stop; a rotate is not sent when the API reports
/// a rotation newer than the one the plan was made from.
async fn apply_resource<W: ActionWriter>(
    resource: &ResourcePlan,
    writer: &W,
    options: &ApplyOptions,
    stop: &StopSignal,
) -> Vec<ActionReport> {
    let mut entries = Vec::with_capacity(resource.actions.len());
    let mut held_back = None;
    let mut last_rotation = resource.last_rotation;
    for action in &resource.actions {
        let skip = skipped(action, resource, held_back, stop, last_rotation, options);
        let outcome = match skip {
            Some(outcome) => outcome,
            None => {
                let outcome = match writer.execute(resource, action, last_rotation).await {
                    Ok(executed) => settle_secret(resource, executed, &options.recovery_dir).await,
                    Err(error) => Outcome::Failed(ActionFailure::Provider(error)),
                };
                match &outcome {
                    Outcome::Done(effect) => {
                        last_rotation = effect.last_rotation_at.or(last_rotation);
                    }
                    _ => {
                        held_back = Some(NotStartedBecause::EarlierActionFailed);
                        if options.fail_fast {
                            stop.stop(StopReason::FailFast);
                        }
                    }
                }
                outcome
            }
        };
        entries.push(ActionReport {
            resource: resource.name.clone(),
            target: resource.target.clone(),
            action: action.clone(),
            outcome,
        });
    }
    entries
}

/// Why an action is not sent, if it is not: an earlier failure or a stop, a rotation reported
/// since the plan read the key, or a last rotation within the gap by the real clock.
fn skipped(
    action: &Action,
    resource: &ResourcePlan,
    held_back: Option<NotStartedBecause>,
    stop: &StopSignal,
    last_rotation: Option<Timestamp>,
    options: &ApplyOptions,
) -> Option<Outcome> {
    if let Some(because) = held_back.or(stop.reason().map(NotStartedBecause::Stopped)) {
        return Some(Outcome::NotStarted(because));
    }
    if let Some(at) = rotated_meanwhile(action, resource, last_rotation) {
        return Some(Outcome::SkippedRotatedMeanwhile { at });
    }
    if options.allow_rapid_rotation {
        return None;
    }
    let allowed_from = too_soon(action, resource, last_rotation, Timestamp::now())?;
    Some(Outcome::SkippedTooSoon {
        last_rotation: last_rotation.unwrap_or(allowed_from),
        allowed_from,
    })
}

/// For a rotate: when it becomes allowed, if the last rotation is within `min_rotation_gap` of
/// the real clock's `now`. The plan already deferred such rotations for the instant it was made
/// for; this holds when that instant was later than the real one (`--now` in the future).
fn too_soon(
    action: &Action,
    resource: &ResourcePlan,
    last_rotation: Option<Timestamp>,
    now: Timestamp,
) -> Option<Timestamp> {
    let Action::Rotate { .. } = action else {
        return None;
    };
    let last = last_rotation?;
    let allowed_from = last.saturating_add(resource.min_rotation_gap).ok()?;
    (now < allowed_from).then_some(allowed_from)
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
    use crate::provider::{ActionEffect, Executed, ProviderError, ResourceLabel};

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
            _last_rotation: Option<Timestamp>,
        ) -> Result<Executed, ProviderError> {
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
                    request_may_have_arrived: false,
                });
            }
            let last_rotation_at = match action {
                Action::UpdateInterval { .. } => self.rotation_after_update,
                Action::Rotate { .. } => Some(at("2026-11-24T12:00:00Z")),
            };
            Ok(Executed {
                effect: ActionEffect {
                    last_rotation_at,
                    confirmed_after: None,
                    secret_delivered_to: None,
                },
                secret: None,
            })
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
            min_rotation_gap: SignedDuration::from_hours(7 * 24),
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
            warnings: Vec::new(),
        }
    }

    fn plan(names: &[&str]) -> Plan {
        Plan {
            now: at("2026-11-24T12:00:00Z"),
            resources: names.iter().map(|name| resource(name)).collect(),
            max_rotations_per_apply: 25,
        }
    }

    fn run_with(
        plan: &Plan,
        writer: &FakeWriter,
        fail_fast: bool,
        stop: &StopSignal,
    ) -> ApplyReport {
        let options = ApplyOptions {
            parallelism: 1,
            fail_fast,
            recovery_dir: std::path::PathBuf::from("/nonexistent/recovered"),
            allow_rapid_rotation: false,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(apply(plan, writer, options, stop, |_| {}))
    }

    fn run(plan: &Plan, writer: &FakeWriter) -> ApplyReport {
        run_with(plan, writer, false, &StopSignal::new())
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

    #[test]
    fn a_rotation_within_the_gap_by_the_clock_is_not_sent() {
        // Planned for a later instant (`--now` in the future), a key rotated just now by the
        // clock would look old enough; apply holds the rotate back.
        let just_now = Timestamp::now();
        let mut recent = plan(&["a"]);
        recent.resources[0].last_rotation = Some(just_now);
        let writer = FakeWriter {
            rotation_after_update: Some(just_now),
            ..FakeWriter::new()
        };
        let report = run(&recent, &writer);
        assert_eq!(*writer.calls.borrow(), ["a update"]);
        assert!(report.succeeded());
        assert!(matches!(
            report.actions[1].outcome,
            Outcome::SkippedTooSoon { .. }
        ));
    }

    #[test]
    fn fail_fast_starts_nothing_after_the_first_failure() {
        let writer = FakeWriter {
            failing: vec!["a"],
            ..FakeWriter::new()
        };
        let report = run_with(&plan(&["a", "b"]), &writer, true, &StopSignal::new());
        assert_eq!(*writer.calls.borrow(), ["a update"]);
        assert!(matches!(
            report.actions[2].outcome,
            Outcome::NotStarted(NotStartedBecause::Stopped(StopReason::FailFast))
        ));
        assert!(!report.interrupted);
    }

    #[test]
    fn an_interrupt_stops_new_actions_and_marks_the_report() {
        let stop = StopSignal::new();
        stop.stop(StopReason::Interrupted);
        let writer = FakeWriter::new();
        let report = run_with(&plan(&["a"]), &writer, false, &stop);
        assert!(writer.calls.borrow().is_empty());
        assert!(report.interrupted);
        assert_eq!(report.counts().not_started, 2);
    }

    #[test]
    fn outcomes_keep_the_file_order_whatever_the_completion_order() {
        struct SlowFirst;
        impl ActionWriter for SlowFirst {
            async fn execute(
                &self,
                resource: &ResourcePlan,
                _action: &Action,
                _last_rotation: Option<Timestamp>,
            ) -> Result<Executed, ProviderError> {
                let delay = if resource.name == "a" { 50 } else { 1 };
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                Ok(Executed {
                    effect: ActionEffect {
                        last_rotation_at: None,
                        confirmed_after: None,
                        secret_delivered_to: None,
                    },
                    secret: None,
                })
            }
        }
        let plan = plan(&["a", "b", "c"]);
        let options = ApplyOptions {
            parallelism: 3,
            fail_fast: false,
            recovery_dir: std::path::PathBuf::from("/nonexistent/recovered"),
            allow_rapid_rotation: false,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let mut seen = Vec::new();
        runtime.block_on(apply(
            &plan,
            &SlowFirst,
            options,
            &StopSignal::new(),
            |entries| {
                seen.extend(entries.iter().map(|entry| entry.resource.clone()));
            },
        ));
        assert_eq!(seen, ["a", "a", "b", "b", "c", "c"]);
    }
}
