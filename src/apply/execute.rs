//! Executes an approved plan: resources concurrently up to `--parallelism`, each resource's
//! actions in order. A failed action stops the rest of its resource's actions, never other
//! resources' (unless `--fail-fast`); a stop signal stops new actions while in-flight ones
//! finish.

use futures_util::{StreamExt, stream};
use jiff::Timestamp;

use super::ApplyOptions;
use super::clock::Clock;
use super::report::{ActionFailure, ActionReport, ApplyReport, NotStartedBecause, Outcome};
use super::secret::settle_secret;
use super::settle::settle_rotation;
use super::stop::{StopReason, StopSignal};
use crate::plan::{Action, Plan, ResourcePlan};
use crate::provider::ActionWriter;

/// Performs every action of `plan` through `writer`. `on_resource` receives each resource's
/// outcomes as soon as it and every resource before it in the file have settled, so output
/// keeps the file's order whatever the completion order.
pub async fn execute<W: ActionWriter>(
    plan: &Plan,
    writer: &W,
    options: &ApplyOptions,
    clock: &dyn Clock,
    stop: &StopSignal,
    mut on_resource: impl FnMut(&[ActionReport]),
) -> ApplyReport {
    let mut settled = stream::iter(&plan.resources)
        .map(|resource| apply_resource(resource, writer, options, clock, stop))
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
    clock: &dyn Clock,
    stop: &StopSignal,
) -> Vec<ActionReport> {
    let mut entries = Vec::with_capacity(resource.actions.len());
    let mut held_back = None;
    let mut last_rotation = resource.last_rotation;
    for action in &resource.actions {
        let skip = skipped(
            action,
            resource,
            held_back,
            stop,
            last_rotation,
            options,
            clock,
        );
        let outcome = match skip {
            Some(outcome) => outcome,
            None => {
                let outcome = match write(writer, resource, action, last_rotation).await {
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
    clock: &dyn Clock,
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
    let allowed_from = too_soon(action, resource, last_rotation, clock.now())?;
    Some(Outcome::SkippedTooSoon {
        last_rotation: last_rotation.unwrap_or(allowed_from),
        allowed_from,
    })
}

/// Sends one action; a rotate whose outcome is unknown is settled by reading again.
async fn write<W: ActionWriter>(
    writer: &W,
    resource: &ResourcePlan,
    action: &Action,
    last_rotation: Option<Timestamp>,
) -> Result<crate::provider::Executed, crate::provider::ProviderError> {
    match writer.write(resource, action).await {
        Err(failure) if failure.outcome_unknown() && matches!(action, Action::Rotate { .. }) => {
            settle_rotation(writer, resource, last_rotation, failure).await
        }
        other => other,
    }
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
    use std::path::PathBuf;

    use jiff::SignedDuration;

    use super::*;
    use crate::apply::clock::FixedClock;
    use crate::config::SecretSink;
    use crate::plan::{RotationReason, Target, vendors};
    use crate::provider::{ActionEffect, Executed, ProviderError, ResourceLabel};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// The instant the plans below are made for, and the fake's rotations happen at.
    const NOW: &str = "2026-11-24T12:00:00Z";

    /// Records every call; fails the resources named in `failing` (before any answer, or with
    /// a lost answer when `answers_lost`); reports `rotation_after_update` as the last rotation
    /// after an update, and `rotation_on_read` when read again.
    struct FakeWriter {
        calls: RefCell<Vec<String>>,
        failing: Vec<&'static str>,
        answers_lost: bool,
        rotation_after_update: Option<Timestamp>,
        rotation_on_read: Option<Timestamp>,
    }

    impl FakeWriter {
        fn new() -> Self {
            Self {
                calls: RefCell::new(Vec::new()),
                failing: Vec::new(),
                answers_lost: false,
                rotation_after_update: Some(at("2026-10-01T00:00:00Z")),
                rotation_on_read: Some(at("2026-10-01T00:00:00Z")),
            }
        }
    }

    impl ActionWriter for FakeWriter {
        async fn write(
            &self,
            resource: &ResourcePlan,
            action: &Action,
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
                    request_may_have_arrived: self.answers_lost,
                });
            }
            let last_rotation_at = match action {
                Action::UpdateInterval { .. } => self.rotation_after_update,
                Action::Rotate { .. } => Some(at(NOW)),
            };
            Ok(Executed {
                effect: ActionEffect::confirmed(last_rotation_at),
                secret: None,
            })
        }

        async fn read_last_rotation(
            &self,
            resource: &ResourcePlan,
        ) -> Result<Option<Timestamp>, ProviderError> {
            self.calls
                .borrow_mut()
                .push(format!("{} read", resource.name));
            Ok(self.rotation_on_read)
        }
    }

    fn resource(name: &str) -> ResourcePlan {
        let reason = RotationReason::KeyAge {
            age: SignedDuration::from_hours(24 * 131),
            max_key_age: SignedDuration::from_hours(24 * 120),
        };
        ResourcePlan {
            name: name.to_owned(),
            target: Target {
                vendor: &vendors::CLOUDFLARE,
                id: "023e105f4ecef8ad9ca31a8372d0c353".to_owned(),
                sink: None,
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
            now: at(NOW),
            resources: names.iter().map(|name| resource(name)).collect(),
            max_rotations_per_apply: 25,
        }
    }

    fn options(parallelism: usize, fail_fast: bool) -> ApplyOptions {
        ApplyOptions {
            parallelism,
            fail_fast,
            recovery_dir: PathBuf::from("/nonexistent/recovered"),
            allow_rapid_rotation: false,
        }
    }

    fn run_at(
        plan: &Plan,
        writer: &FakeWriter,
        fail_fast: bool,
        stop: &StopSignal,
        clock: Timestamp,
    ) -> ApplyReport {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let options = options(1, fail_fast);
        let clock = FixedClock(clock);
        runtime.block_on(execute(plan, writer, &options, &clock, stop, |_| {}))
    }

    fn run_with(
        plan: &Plan,
        writer: &FakeWriter,
        fail_fast: bool,
        stop: &StopSignal,
    ) -> ApplyReport {
        run_at(plan, writer, fail_fast, stop, at(NOW))
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
        // Planned for a later instant (`--now` in the future), a key rotated a day before the
        // real clock's now looks old enough to the plan; apply holds the rotate back.
        let clock = at("2026-10-02T00:00:00Z");
        let writer = FakeWriter::new();
        let report = run_at(&plan(&["a"]), &writer, false, &StopSignal::new(), clock);
        assert_eq!(*writer.calls.borrow(), ["a update"]);
        assert!(report.succeeded());
        assert!(matches!(
            report.actions[1].outcome,
            Outcome::SkippedTooSoon { allowed_from, .. } if allowed_from == at("2026-10-08T00:00:00Z")
        ));
    }

    #[test]
    fn the_gap_ends_exactly_min_rotation_gap_after_the_last_rotation() {
        let writer = FakeWriter::new();
        let gap_over = at("2026-10-08T00:00:00Z");
        let report = run_at(&plan(&["a"]), &writer, false, &StopSignal::new(), gap_over);
        assert_eq!(*writer.calls.borrow(), ["a update", "a rotate"]);
        assert!(report.succeeded());
    }

    #[test]
    fn a_lost_rotate_answer_is_settled_by_reading_never_by_sending_again() {
        let rotated = FakeWriter {
            failing: vec!["a"],
            answers_lost: true,
            rotation_on_read: Some(at(NOW)),
            ..FakeWriter::new()
        };
        let mut rotate_only = plan(&["a"]);
        rotate_only.resources[0].actions.remove(0);
        let report = run(&rotate_only, &rotated);
        assert_eq!(*rotated.calls.borrow(), ["a rotate", "a read"]);
        assert!(matches!(
            &report.actions[0].outcome,
            Outcome::Done(effect) if effect.confirmed_after.is_some()
        ));

        let unrotated = FakeWriter {
            failing: vec!["a"],
            answers_lost: true,
            ..FakeWriter::new()
        };
        let report = run(&rotate_only, &unrotated);
        assert!(matches!(
            &report.actions[0].outcome,
            Outcome::Failed(ActionFailure::Provider(
                ProviderError::RotationNotConfirmed { .. }
            ))
        ));
    }

    #[test]
    fn a_lost_answer_of_a_rotation_that_issues_a_secret_is_a_lost_secret() {
        let writer = FakeWriter {
            failing: vec!["a"],
            answers_lost: true,
            rotation_on_read: Some(at(NOW)),
            ..FakeWriter::new()
        };
        let mut keyed = plan(&["a"]);
        keyed.resources[0].actions.remove(0);
        keyed.resources[0].target = Target {
            vendor: &vendors::RIXL,
            id: "ak7Hq2".to_owned(),
            sink: Some(SecretSink::Command {
                argv: vec!["true".to_owned()],
            }),
        };
        let report = run(&keyed, &writer);
        assert_eq!(*writer.calls.borrow(), ["a rotate", "a read"]);
        assert!(matches!(
            &report.actions[0].outcome,
            Outcome::Failed(ActionFailure::Provider(ProviderError::SecretLost { .. }))
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
            async fn write(
                &self,
                resource: &ResourcePlan,
                _action: &Action,
            ) -> Result<Executed, ProviderError> {
                let delay = if resource.name == "a" { 50 } else { 1 };
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                Ok(Executed {
                    effect: ActionEffect::confirmed(None),
                    secret: None,
                })
            }

            async fn read_last_rotation(
                &self,
                _resource: &ResourcePlan,
            ) -> Result<Option<Timestamp>, ProviderError> {
                Ok(None)
            }
        }
        let plan = plan(&["a", "b", "c"]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let mut seen = Vec::new();
        let clock = FixedClock(at(NOW));
        runtime.block_on(execute(
            &plan,
            &SlowFirst,
            &options(3, false),
            &clock,
            &StopSignal::new(),
            |entries| {
                seen.extend(entries.iter().map(|entry| entry.resource.clone()));
            },
        ));
        assert_eq!(seen, ["a", "a", "b", "b", "c", "c"]);
    }
}
