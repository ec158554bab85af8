//! Executes an approved plan: resources concurrently up to `--parallelism`, each resource's
//! actions in order. A failed action stops the rest of its resource's actions, never other
//! resources' (unless `--fail-fast`); a stop signal stops new actions while in-flight ones
//! finish.

use futures_util::{StreamExt, stream};
use jiff::Timestamp;

use super::ApplyOptions;
use super::clock::Clock;
use super::journal::{Journal, journaled};
use super::report::{ActionFailure, ActionReport, ApplyReport, NotStartedBecause, Outcome};
use super::secret::{Delivery, settle_secret};
use super::settle::settle_rotation;
use super::stop::{StopReason, StopSignal};
use crate::http::WriteGate;
use crate::plan::{Action, Plan, ResourcePlan, RotationReason, gap_start};
use crate::provider::{ActionWriter, Executed, ProviderError, ResourceLabel};
use crate::state::WriteOutcome;

/// What one execution works with besides the plan.
pub struct Run<'a, W> {
    /// The vendors.
    pub writer: &'a W,
    /// How to run.
    pub options: &'a ApplyOptions,
    /// The real clock.
    pub clock: &'a dyn Clock,
    /// No new actions once it fires.
    pub stop: &'a StopSignal,
    /// Where each write is announced before it is sent; `None` only in tests of execution
    /// itself.
    pub journal: Option<&'a Journal<'a>>,
    /// Whether the lock is still held, and for how long: a new secret is delivered to its
    /// sink only while it is, and a sink command may run no longer.
    pub gate: &'a WriteGate,
}

/// Performs every action of `plan`. `on_resource` receives each resource's outcomes as soon as
/// it and every resource before it in the file have settled, so output keeps the file's order
/// whatever the completion order.
pub async fn execute<W: ActionWriter>(
    plan: &Plan,
    run: &Run<'_, W>,
    mut on_resource: impl FnMut(&[ActionReport]),
) -> ApplyReport {
    let mut settled = stream::iter(&plan.resources)
        .map(|resource| apply_resource(resource, run))
        .buffered(run.options.parallelism.max(1));
    let mut report = ApplyReport::default();
    while let Some(entries) = settled.next().await {
        on_resource(&entries);
        report.actions.extend(entries);
    }
    report.stopped_by = run.stop.signal();
    report
}

/// What a resource is expected to be before its next action: what the plan observed, then what
/// this run's own writes left.
#[derive(Clone, Copy)]
struct Expected {
    last_rotation: Option<Timestamp>,
    interval_days: Option<f64>,
    /// For vendors whose API does not show the last rotation: when it last changed.
    changed_at: Option<Timestamp>,
    /// True when it comes from an answer this run just received, so reading it again right
    /// before the next write would tell nothing new.
    fresh: bool,
}

impl Expected {
    /// Where the safety gap counts from at `now`, as the planner has it.
    fn gap_from(&self, resource: &ResourcePlan, now: Timestamp) -> Option<Timestamp> {
        let attribute = resource.target.vendor.changed_attribute;
        let change = attribute.and_then(|attribute| Some((self.changed_at?, attribute)));
        gap_start(self.last_rotation, change, now).map(|(at, _)| at)
    }
}

/// One resource's actions in order. An action is not started after an earlier one of the
/// resource failed or once the run was told to stop; a rotate is not sent when the API reports
/// a rotation newer than the one the plan was made from; no action is sent when the resource
/// changed since the plan.
async fn apply_resource<W: ActionWriter>(
    resource: &ResourcePlan,
    run: &Run<'_, W>,
) -> Vec<ActionReport> {
    let mut entries = Vec::with_capacity(resource.actions.len());
    let mut held_back = None;
    let mut expected = Expected {
        last_rotation: resource.last_rotation,
        interval_days: resource.interval_days,
        changed_at: resource.changed_at.as_deref().copied(),
        fresh: false,
    };
    let mut changed: Option<String> = None;
    for action in &resource.actions {
        let skip = match &changed {
            Some(changes) => Some(Outcome::SkippedChangedSincePlan {
                changes: changes.clone(),
            }),
            None => skipped(action, resource, held_back, &expected, run),
        };
        let sent = skip.is_none();
        let outcome = match skip {
            Some(outcome) => outcome,
            None => send(resource, action, &mut expected, run).await,
        };
        match &outcome {
            Outcome::SkippedChangedSincePlan { changes } => changed = Some(changes.clone()),
            Outcome::Done(_) => {}
            _ if sent => {
                held_back = Some(NotStartedBecause::EarlierActionFailed);
                if run.options.fail_fast {
                    run.stop.stop(StopReason::FailFast);
                }
            }
            _ => {}
        }
        entries.push(ActionReport {
            resource: resource.name.clone(),
            target: resource.target.clone(),
            action: action.clone(),
            outcome,
        });
    }
    entries
}

/// Compares the resource with what the plan expects, announces the write in the journal, sends
/// it, delivers a new secret, and records the outcome.
async fn send<W: ActionWriter>(
    resource: &ResourcePlan,
    action: &Action,
    expected: &mut Expected,
    run: &Run<'_, W>,
) -> Outcome {
    if let Some(outcome) = changed_since_plan(resource, *expected, run.writer).await {
        return outcome;
    }
    // Checked after that read, whose answer's Date is the latest word on the API's clock.
    let allow_rapid_rotation = run.options.allow_rapid_rotation;
    if needs_the_clock(action, expected.last_rotation, allow_rapid_rotation)
        && let Some(trouble) = run.clock.trouble()
    {
        return Outcome::Failed(ActionFailure::ClockInDoubt(trouble));
    }
    let intent = match run.journal {
        Some(journal) => match journal
            .intent(resource, action, expected.last_rotation)
            .await
        {
            Ok(seq) => Some((journal, seq)),
            Err(error) => {
                run.stop.stop(StopReason::JournalFailed);
                return Outcome::Failed(ActionFailure::Journal(error.to_string()));
            }
        },
        None => None,
    };
    if run.stop.reason().is_some() {
        let outcome = Outcome::NotStarted(NotStartedBecause::Stopped(
            run.stop.reason().unwrap_or(StopReason::FailFast),
        ));
        if let Some((journal, seq)) = intent {
            let not_sent = WriteOutcome::Failed {
                error: "not sent: the run was stopping".to_owned(),
            };
            let _ = journal.outcome(seq, &resource.name, not_sent).await;
        }
        return outcome;
    }
    // A second signal stops waiting for the answer; an answer that already arrived wins, so a
    // received secret is always delivered.
    let written = tokio::select! {
        biased;
        written = write(run.writer, resource, action, expected.last_rotation) => Some(written),
        () = run.stop.abandoned() => None,
    };
    let outcome = match written {
        Some(Ok(executed)) => {
            let delivery = Delivery {
                recovery_dir: &run.options.recovery_dir,
                clock: run.clock,
                run_id: &run.options.holder.run_id,
                lock: run.gate.check(),
            };
            settle_secret(resource, executed, delivery).await
        }
        Some(Err(error)) => Outcome::Failed(ActionFailure::Provider(error)),
        None => Outcome::Abandoned,
    };
    if let (Some((journal, seq)), Some(recorded)) = (intent, journaled(&outcome))
        && journal
            .outcome(seq, &resource.name, recorded)
            .await
            .is_err()
    {
        // The intent is on record: the next run settles it by reading the resource.
        run.stop.stop(StopReason::JournalFailed);
    }
    if let Outcome::Done(effect) = &outcome {
        expected.last_rotation = effect.last_rotation_at.or(expected.last_rotation);
        if let Action::UpdateInterval { to, .. } = action {
            expected.interval_days = Some(f64::from(*to));
        }
        expected.fresh = true;
    }
    outcome
}

/// Reads the resource right before a write, unless this run just received its state, and skips
/// the write when its last rotation or interval is no longer what the plan observed.
async fn changed_since_plan<W: ActionWriter>(
    resource: &ResourcePlan,
    expected: Expected,
    writer: &W,
) -> Option<Outcome> {
    if expected.fresh {
        return None;
    }
    let current = match writer.read_current(&resource.name, &resource.target).await {
        Ok(current) => current,
        Err(error) => return Some(Outcome::Failed(ActionFailure::Provider(error))),
    };
    let mut changes = Vec::new();
    match resource.target.vendor.changed_attribute {
        // Its last rotation counts from the journal too: what the API shows of a change since
        // the plan (a roll by someone else included) is when the key last changed.
        Some(attribute) if current.changed_at != expected.changed_at => changes.push(format!(
            "{attribute} {} is now {}",
            shown(expected.changed_at),
            shown(current.changed_at)
        )),
        Some(_) => {}
        None if current.last_rotation != expected.last_rotation => changes.push(format!(
            "last rotation {} is now {}",
            shown(expected.last_rotation),
            shown(current.last_rotation)
        )),
        None => {}
    }
    if let (Some(planned), Some(now)) = (expected.interval_days, current.interval_days)
        && planned != now
    {
        let interval = resource.target.vendor.interval_name();
        changes.push(format!("{interval} {planned} is now {now}"));
    }
    (!changes.is_empty()).then(|| Outcome::SkippedChangedSincePlan {
        changes: changes.join(", "),
    })
}

fn shown(instant: Option<Timestamp>) -> String {
    instant.map_or_else(|| "(unknown)".to_owned(), |at| at.to_string())
}

/// Why an action is not sent, if it is not: an earlier failure or a stop, a rotation reported
/// since the plan read the key, or a last rotation within the gap by the real clock.
fn skipped<W>(
    action: &Action,
    resource: &ResourcePlan,
    held_back: Option<NotStartedBecause>,
    expected: &Expected,
    run: &Run<'_, W>,
) -> Option<Outcome> {
    let last_rotation = expected.last_rotation;
    if let Some(because) = held_back.or(run.stop.reason().map(NotStartedBecause::Stopped)) {
        return Some(Outcome::NotStarted(because));
    }
    if let Some(at) = rotated_meanwhile(action, resource, last_rotation) {
        return Some(Outcome::SkippedRotatedMeanwhile { at });
    }
    if run.options.allow_rapid_rotation {
        return None;
    }
    let now = run.clock.now();
    let gap_from = expected.gap_from(resource, now);
    let allowed_from = too_soon(action, resource, gap_from, now)?;
    Some(Outcome::SkippedTooSoon {
        last_rotation: gap_from.unwrap_or(allowed_from),
        allowed_from,
    })
}

/// Sends one action; a rotate whose outcome is unknown is settled by reading again.
async fn write<W: ActionWriter>(
    writer: &W,
    resource: &ResourcePlan,
    action: &Action,
    last_rotation: Option<Timestamp>,
) -> Result<Executed, ProviderError> {
    let is_rotate = matches!(action, Action::Rotate { .. });
    match writer.write(resource, action).await {
        Err(failure) if failure.outcome_unknown() && is_rotate => {
            settle_rotation(writer, resource, last_rotation, failure).await
        }
        // A rotate answered as done whose last rotation did not move did not show that it
        // rotated: read again. One that carried a secret did rotate, and its secret is
        // delivered whatever the timestamp says.
        Ok(executed)
            if is_rotate && executed.secret.is_none() && !advanced(&executed, last_rotation) =>
        {
            let failure = ProviderError::InvalidResponse {
                resource: ResourceLabel(resource.target.label(&resource.name)),
                operation: "rotate".to_owned(),
                status: 200,
                detail: format!(
                    "the answer reports the last rotation still at {}",
                    executed
                        .effect
                        .last_rotation_at
                        .map_or_else(|| "(none)".to_owned(), |at| at.to_string())
                ),
            };
            settle_rotation(writer, resource, last_rotation, failure).await
        }
        other => other,
    }
}

/// True when a rotate's answer shows a last rotation newer than `before`.
fn advanced(executed: &Executed, before: Option<Timestamp>) -> bool {
    match (executed.effect.last_rotation_at, before) {
        (Some(after), Some(before)) => after > before,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// For a rotate: whether sending it depends on the clock, either because only the clock says it
/// is due (age, deadline) or because the gap since `last_rotation` is measured by it.
fn needs_the_clock(
    action: &Action,
    last_rotation: Option<Timestamp>,
    allow_rapid_rotation: bool,
) -> bool {
    let Action::Rotate { reasons } = action else {
        return false;
    };
    if reasons.iter().any(RotationReason::recovers_lost_secret) {
        return false;
    }
    let due_by_the_clock = reasons.iter().all(RotationReason::depends_on_the_clock);
    let gap_by_the_clock = !allow_rapid_rotation && last_rotation.is_some();
    due_by_the_clock || gap_by_the_clock
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
    let Action::Rotate { reasons } = action else {
        return None;
    };
    // The gap protects a previous secret still in use; a lost secret's key has none.
    if reasons.iter().any(RotationReason::recovers_lost_secret) {
        return None;
    }
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
    use crate::plan::Target;
    use crate::provider::{
        ActionEffect, CurrentState, Executed, LiveReader, ProviderError, ResourceLabel,
    };
    use crate::vendor::{cloudflare, rixl};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// The instant the plans below are made for, and the fake's rotations happen at.
    const NOW: &str = "2026-11-24T12:00:00Z";

    /// Records every call; fails the resources named in `failing` (before any answer, or with
    /// a lost answer when `answers_lost`); reports `rotation_after_update` as the last rotation
    /// after an update; reads the plan's last rotation (or `changed_before_write`) before a
    /// resource's first write, and `rotation_on_read` after it.
    struct FakeWriter {
        calls: RefCell<Vec<String>>,
        written: RefCell<Vec<String>>,
        failing: Vec<&'static str>,
        answers_lost: bool,
        rotation_after_update: Option<Timestamp>,
        rotation_on_read: Option<Timestamp>,
        changed_before_write: Option<Timestamp>,
        rotate_answer: Option<Timestamp>,
        /// What a read says of when the resource last changed at all (`modified_on`).
        changed_on_read: Option<Timestamp>,
    }

    impl FakeWriter {
        fn new() -> Self {
            Self {
                calls: RefCell::new(Vec::new()),
                written: RefCell::new(Vec::new()),
                failing: Vec::new(),
                answers_lost: false,
                rotation_after_update: Some(at("2026-10-01T00:00:00Z")),
                rotation_on_read: Some(at("2026-10-01T00:00:00Z")),
                changed_before_write: None,
                rotate_answer: Some(at(NOW)),
                changed_on_read: None,
            }
        }
    }

    impl LiveReader for FakeWriter {
        async fn read_live(
            &self,
            _desired: &crate::config::DesiredState,
            _on_read: &(dyn Fn() + Sync),
        ) -> crate::provider::LiveRead {
            unreachable!("execution reads single resources")
        }

        async fn read_current(
            &self,
            name: &str,
            _target: &Target,
        ) -> Result<CurrentState, ProviderError> {
            self.calls.borrow_mut().push(format!("{name} read"));
            let last_rotation = if self.written.borrow().iter().any(|written| written == name) {
                self.rotation_on_read
            } else {
                self.changed_before_write
                    .or(Some(at("2026-10-01T00:00:00Z")))
            };
            Ok(CurrentState {
                last_rotation,
                interval_days: None,
                changed_at: self.changed_on_read,
            })
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
            self.written.borrow_mut().push(resource.name.clone());
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
                Action::Rotate { .. } => self.rotate_answer,
            };
            Ok(Executed {
                effect: ActionEffect::confirmed(last_rotation_at),
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
            target: Target {
                vendor: &cloudflare::VENDOR,
                id: "023e105f4ecef8ad9ca31a8372d0c353".to_owned(),
                sink: None,
            },
            last_rotation: Some(at("2026-10-01T00:00:00Z")),
            interval_days: None,
            changed_at: None,
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
            clock_trouble: None,
            awaiting_delivery: Vec::new(),
            partial: None,
            limit_from_flag: false,
        }
    }

    fn options(parallelism: usize, fail_fast: bool) -> ApplyOptions {
        ApplyOptions {
            parallelism,
            fail_fast,
            recovery_dir: PathBuf::from("/nonexistent/recovered"),
            allow_rapid_rotation: false,
            holder: crate::state::LockHolder::this_process(
                "test",
                "keyrot apply",
                at(NOW),
                &|_| None,
            ),
            lock_timeout: std::time::Duration::ZERO,
            protected_files: Vec::new(),
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
        let run = Run {
            writer,
            options: &options,
            clock: &clock,
            stop,
            journal: None,
            gate: &WriteGate::default(),
        };
        runtime.block_on(execute(plan, &run, |_| {}))
    }

    fn run_with(
        plan: &Plan,
        writer: &FakeWriter,
        fail_fast: bool,
        stop: &StopSignal,
    ) -> ApplyReport {
        run_at(plan, writer, fail_fast, stop, at(NOW))
    }

    /// The writes `writer` was sent, without its reads.
    fn writes(writer: &FakeWriter) -> Vec<String> {
        let calls = writer.calls.borrow();
        calls
            .iter()
            .filter(|call| !call.ends_with(" read"))
            .cloned()
            .collect()
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
            writes(&writer),
            ["a update", "a rotate", "b update", "b rotate"]
        );
    }

    #[test]
    fn only_a_rotate_whose_outcome_is_unknown_is_settled_by_reading_again() {
        // A refused connection is a definite failure; a lost answer leaves the outcome open,
        // which matters only for a rotate (an update can be sent again safely).
        let only = |action: usize| {
            let mut plan = plan(&["a"]);
            let kept = plan.resources[0].actions.remove(action);
            plan.resources[0].actions = vec![kept];
            plan
        };
        for (plan, answers_lost, expected) in [
            (only(0), false, &["a read", "a update"][..]),
            (only(0), true, &["a read", "a update"]),
            (only(1), false, &["a read", "a rotate"]),
            (only(1), true, &["a read", "a rotate", "a read"]),
        ] {
            let writer = FakeWriter {
                failing: vec!["a"],
                answers_lost,
                ..FakeWriter::new()
            };
            let report = run(&plan, &writer);
            assert!(!report.succeeded());
            assert_eq!(
                *writer.calls.borrow(),
                expected,
                "answers lost: {answers_lost}"
            );
        }
    }

    #[test]
    fn a_rotate_held_back_by_the_gap_is_no_failure_even_with_fail_fast() {
        // A day after the last rotation by the clock: both rotates wait for the gap, and with
        // --fail-fast that stops nothing, so b's update is still sent.
        let clock = at("2026-10-02T00:00:00Z");
        let writer = FakeWriter::new();
        let report = run_at(&plan(&["a", "b"]), &writer, true, &StopSignal::new(), clock);
        assert_eq!(writes(&writer), ["a update", "b update"]);
        assert!(report.succeeded());
    }

    #[test]
    fn a_failure_stops_only_its_own_resource() {
        let writer = FakeWriter {
            failing: vec!["a"],
            ..FakeWriter::new()
        };
        let report = run(&plan(&["a", "b"]), &writer);
        assert!(!report.succeeded());
        assert_eq!(writes(&writer), ["a update", "b update", "b rotate"]);
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
        assert_eq!(writes(&writer), ["a update"]);
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
        assert_eq!(writes(&writer), ["a update"]);
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
        assert_eq!(writes(&writer), ["a update", "a rotate"]);
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
        assert_eq!(*rotated.calls.borrow(), ["a read", "a rotate", "a read"]);
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
    fn a_rotate_answered_done_without_a_newer_rotation_is_settled_by_reading() {
        let mut rotate_only = plan(&["a"]);
        rotate_only.resources[0].actions.remove(0);
        let unmoved = FakeWriter {
            rotate_answer: Some(at("2026-10-01T00:00:00Z")),
            ..FakeWriter::new()
        };
        let report = run(&rotate_only, &unmoved);
        assert_eq!(*unmoved.calls.borrow(), ["a read", "a rotate", "a read"]);
        assert!(matches!(
            &report.actions[0].outcome,
            Outcome::Failed(ActionFailure::Provider(
                ProviderError::RotationNotConfirmed { .. }
            ))
        ));
        let confirmed_by_reading = FakeWriter {
            rotate_answer: Some(at("2026-10-01T00:00:00Z")),
            rotation_on_read: Some(at(NOW)),
            ..FakeWriter::new()
        };
        let report = run(&rotate_only, &confirmed_by_reading);
        assert!(matches!(
            &report.actions[0].outcome,
            Outcome::Done(effect) if effect.confirmed_after.as_deref().is_some_and(|why| why.contains("still at 2026-10-01"))
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
            vendor: &rixl::VENDOR,
            id: "ak7Hq2".to_owned(),
            sink: Some(Box::new(SecretSink::Command {
                argv: vec!["true".to_owned()],
                timeout: crate::config::DEFAULT_SINK_TIMEOUT,
                env: Vec::new(),
            })),
        };
        let report = run(&keyed, &writer);
        assert_eq!(*writer.calls.borrow(), ["a read", "a rotate", "a read"]);
        assert!(matches!(
            &report.actions[0].outcome,
            Outcome::Failed(ActionFailure::Provider(ProviderError::SecretLost { .. }))
        ));
    }

    #[test]
    fn a_resource_changed_since_the_plan_is_not_written() {
        let writer = FakeWriter {
            changed_before_write: Some(at("2026-11-20T00:00:00Z")),
            ..FakeWriter::new()
        };
        let report = run(&plan(&["a"]), &writer);
        assert!(writes(&writer).is_empty(), "{:?}", writer.calls.borrow());
        assert!(report.succeeded());
        for entry in &report.actions {
            assert!(matches!(
                &entry.outcome,
                Outcome::SkippedChangedSincePlan { changes }
                    if changes == "last rotation 2026-10-01T00:00:00Z is now 2026-11-20T00:00:00Z"
            ));
        }
    }

    /// A plan rotating one Cloudflare API token, `t`, whose plan saw it last change at
    /// `changed_at` and last rolled (by the journal) later than the API's `issued_on`.
    fn token_plan(changed_at: Timestamp) -> Plan {
        let mut plan = plan(&["t"]);
        let token = &mut plan.resources[0];
        token.target.vendor = &crate::vendor::cloudflare_tokens::VENDOR;
        token
            .actions
            .retain(|action| matches!(action, Action::Rotate { .. }));
        token.last_rotation = Some(at("2026-10-05T00:00:00Z"));
        token.changed_at = Some(Box::new(changed_at));
        plan
    }

    #[test]
    fn a_key_whose_api_hides_rotations_is_compared_by_when_it_last_changed() {
        // Its last rotation is the journal's, not the API's: only a change since counts.
        let unchanged = FakeWriter {
            changed_on_read: Some(at("2026-10-02T00:00:00Z")),
            ..FakeWriter::new()
        };
        run(&token_plan(at("2026-10-02T00:00:00Z")), &unchanged);
        assert_eq!(writes(&unchanged), ["t rotate"]);
        let edited = FakeWriter {
            changed_on_read: Some(at("2026-11-20T00:00:00Z")),
            ..FakeWriter::new()
        };
        let report = run(&token_plan(at("2026-10-02T00:00:00Z")), &edited);
        assert!(writes(&edited).is_empty());
        assert!(matches!(
            &report.actions[0].outcome,
            Outcome::SkippedChangedSincePlan { changes }
                if changes == "modified_on 2026-10-02T00:00:00Z is now 2026-11-20T00:00:00Z"
        ));
    }

    #[test]
    fn the_rotate_after_an_update_trusts_the_updates_answer_instead_of_reading_again() {
        let writer = FakeWriter::new();
        run(&plan(&["a"]), &writer);
        assert_eq!(*writer.calls.borrow(), ["a read", "a update", "a rotate"]);
    }

    #[test]
    fn fail_fast_starts_nothing_after_the_first_failure() {
        let writer = FakeWriter {
            failing: vec!["a"],
            ..FakeWriter::new()
        };
        let report = run_with(&plan(&["a", "b"]), &writer, true, &StopSignal::new());
        assert_eq!(writes(&writer), ["a update"]);
        assert!(matches!(
            report.actions[2].outcome,
            Outcome::NotStarted(NotStartedBecause::Stopped(StopReason::FailFast))
        ));
        assert!(!report.interrupted());
    }

    #[test]
    fn an_interrupt_stops_new_actions_and_marks_the_report() {
        let stop = StopSignal::new();
        stop.stop(StopReason::Interrupted(
            super::super::stop::Signal::Interrupt,
        ));
        let writer = FakeWriter::new();
        let report = run_with(&plan(&["a"]), &writer, false, &stop);
        assert!(writer.calls.borrow().is_empty());
        assert!(report.interrupted());
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
        }
        impl LiveReader for SlowFirst {
            async fn read_live(
                &self,
                _desired: &crate::config::DesiredState,
                _on_read: &(dyn Fn() + Sync),
            ) -> crate::provider::LiveRead {
                unreachable!("execution reads single resources")
            }

            async fn read_current(
                &self,
                _name: &str,
                _target: &Target,
            ) -> Result<CurrentState, ProviderError> {
                Ok(CurrentState {
                    last_rotation: Some(at("2026-10-01T00:00:00Z")),
                    interval_days: None,
                    changed_at: None,
                })
            }
        }
        let plan = plan(&["a", "b", "c"]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let mut seen = Vec::new();
        let clock = FixedClock(at(NOW));
        let options = options(3, false);
        let stop = StopSignal::new();
        let run = Run {
            writer: &SlowFirst,
            options: &options,
            clock: &clock,
            stop: &stop,
            journal: None,
            gate: &WriteGate::default(),
        };
        runtime.block_on(execute(&plan, &run, |entries| {
            seen.extend(entries.iter().map(|entry| entry.resource.clone()));
        }));
        assert_eq!(seen, ["a", "a", "b", "b", "c", "c"]);
    }
}
