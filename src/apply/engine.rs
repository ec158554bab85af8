//! The apply workflow, from a fresh or saved plan to the report: plan or check the saved plan,
//! the guardrail and the sinks, approval and a re-read after it, then the writes. Clock,
//! providers, stop signal and the person running it come in as inputs.

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

use super::ApplyOptions;
use super::checks::{refuse_over_limit, refuse_unusable_sinks};
use super::clock::{Clock, PRESENT};
use super::error::ApplyError;
use super::execute::{Run, execute};
use super::journal::Journal;
use super::observe::Observer;
use super::recovery::{Settling, end_sink_survivors_of};
use super::report::ApplyReport;
use super::saved_plan::VerifiedPlan;
use super::stop::{StopReason, StopSignal};
use super::ui::ApplyUi;
use super::unjournaled::unjournaled_dir;
use super::waiting::{DeliverError, WaitingSecret, deliver_waiting};
use crate::config::DesiredState;
use crate::http::WriteGate;
use crate::plan::{Action, AwaitingDelivery, LiveState, LostSecret, Plan, PlanOptions, plan};
use crate::provider::{ActionWriter, LiveReader, ProviderError};
use crate::state::StateBackend;

/// Where the plan to apply comes from.
pub enum PlanSource {
    /// Read the live state now and plan it.
    Fresh {
        /// The planner's options.
        options: PlanOptions,
        /// The instant to plan for; the clock's when not given (`--now`).
        now: Option<Timestamp>,
    },
    /// A saved plan already checked against the desired-state file; the engine checks the live
    /// state of what it touches.
    Saved(Box<VerifiedPlan>),
}

/// Whether the plan still needs a `yes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// `--auto-approve`, or a saved plan (saving it was the approval).
    Given,
    /// Ask through the UI; then, since time passed, check that nothing the plan touches moved.
    Ask,
}

/// An apply that ran: the plan and what became of each action. An empty plan has an empty
/// report.
#[derive(Debug)]
pub struct Applied {
    /// The plan that was applied.
    pub plan: Plan,
    /// Every action's outcome.
    pub report: ApplyReport,
    /// Why the resources whose live state could not be read were not read: they were left out
    /// of the plan, and nothing was done to them.
    pub left_out: Vec<ProviderError>,
}

/// The plan an apply runs, what it observed, and the resources it leaves out.
struct Prepared {
    plan: Plan,
    observed: LiveState,
    left_out: Vec<ProviderError>,
}

/// The apply engine: everything one apply uses.
pub struct Engine<'a, P> {
    /// The vendors, read and written through.
    pub providers: &'a P,
    /// The real clock, asked before each rotate.
    pub clock: &'a dyn Clock,
    /// Set by an interrupt or by `--fail-fast`: no new actions.
    pub stop: StopSignal,
    /// The lock and the journal.
    pub state: &'a dyn StateBackend,
    /// What the providers' writes pass right before they leave: shut once the lock is lost.
    pub write_gate: WriteGate,
}

impl<P: LiveReader + ActionWriter> Engine<'_, P> {
    /// Runs one apply of `desired` from `source`, through `ui`.
    pub async fn run(
        &self,
        desired: &DesiredState,
        source: PlanSource,
        approval: Approval,
        options: &ApplyOptions,
        ui: &impl ApplyUi,
    ) -> Result<Applied, ApplyError> {
        let lock = self
            .state
            .lock(&options.holder, options.lock_timeout)
            .await?;
        let check = lock.check();
        let still_held = move || {
            let held = check.still_held();
            held.map_err(|lost| crate::http::LockLost(lost.to_string()))
        };
        self.write_gate.guard_with(Arc::new(still_held));
        let applied = self
            .run_locked(desired, source, approval, options, ui)
            .await;
        let lost = lock.check().still_held().err();
        lock.release().await;
        match lost {
            Some(lost) => Err(lost.into()),
            None => applied,
        }
    }

    /// [`Engine::run`] once the lock is held.
    async fn run_locked(
        &self,
        desired: &DesiredState,
        source: PlanSource,
        approval: Approval,
        options: &ApplyOptions,
        ui: &impl ApplyUi,
    ) -> Result<Applied, ApplyError> {
        let holder = &options.holder;
        let by = format!("{}@{}", holder.user, holder.host);
        let journal = Journal::new(self.state, self.clock, &holder.run_id, &by, &holder.command)
            .keeping_unjournaled_in(unjournaled_dir(Path::new(&desired.source)));
        end_sink_survivors_of(self.state, &holder.run_id).await?;
        let found = self
            .observer(options)
            .settle(Settling::Record(&journal), None)
            .await?;
        let mut lost = found.lost;
        let waiting = self
            .deliver_waiting(desired, &found.waiting, &journal, options, ui, &mut lost)
            .await;
        let Prepared {
            mut plan,
            observed,
            left_out,
        } = self.prepare(desired, source, lost, options, ui).await?;
        refuse_to_revoke_waiting(&plan, &waiting)?;
        plan.awaiting_delivery = waiting;
        plan.clock_trouble = self.clock.trouble().map(|trouble| trouble.warning());
        ui.show_plan(&plan, &left_out);
        if plan.is_empty() {
            return Ok(Applied {
                plan,
                report: ApplyReport::default(),
                left_out,
            });
        }
        refuse_over_limit(&plan)?;
        refuse_unusable_sinks(&plan, options)?;
        if approval == Approval::Ask {
            if !ui.approve(&plan)? {
                return Err(ApplyError::Cancelled);
            }
            let changes = self
                .changes_since(desired, &plan, (&observed, options), ui)
                .await?;
            if !changes.is_empty() {
                return Err(ApplyError::ChangedWhileWaiting(changes));
            }
        }
        ui.applying();
        let report = self.execute(&plan, options, &journal, ui).await;
        // Outcomes that did not reach the disk are settled by the next run's reads; the report
        // of what happened is worth more than the error.
        let _ = journal.flush().await;
        // A clock that jumped after the last rotation's check is still reported.
        if plan.clock_trouble.is_none() {
            plan.clock_trouble = self.clock.trouble().map(|trouble| trouble.warning());
        }
        if self.stop.reason() == Some(StopReason::JournalFailed) {
            return Err(ApplyError::JournalIncomplete {
                kept_in: unjournaled_dir(Path::new(&desired.source)),
            });
        }
        Ok(Applied {
            plan,
            report,
            left_out,
        })
    }

    /// Delivers each secret waiting in a recovery file to its resource's sink, telling `ui`;
    /// one whose sink refuses it stays in its file, and the plan shows it.
    async fn deliver_waiting(
        &self,
        desired: &DesiredState,
        waiting: &[WaitingSecret],
        journal: &Journal<'_>,
        options: &ApplyOptions,
        ui: &impl ApplyUi,
        lost: &mut Vec<LostSecret>,
    ) -> Vec<AwaitingDelivery> {
        let mut still_waiting = Vec::new();
        for secret in waiting {
            let resource = &secret.entry.resource;
            let Some(sink) = desired.resource(resource).and_then(|key| key.sink.as_ref()) else {
                continue;
            };
            let run_id = &options.holder.run_id;
            let protected = &options.protected_files;
            let delivered =
                deliver_waiting(secret, sink, protected, self.providers, journal, run_id).await;
            match &delivered {
                Ok(()) => {}
                Err(DeliverError::Superseded { .. }) => lost.push(LostSecret {
                    resource: resource.clone(),
                    run_id: secret.intent.0.clone(),
                    at: secret.entry.since,
                }),
                Err(_) => still_waiting.push(secret.entry.clone()),
            }
            ui.delivered_waiting(&secret.entry, delivered.as_ref().map(|_| ()));
        }
        still_waiting
    }

    /// How this run observes the live state and the journal.
    fn observer<'o>(&'o self, options: &'o ApplyOptions) -> Observer<'o, P> {
        Observer {
            reader: self.providers,
            state: Some(self.state),
            recovery_dir: &options.recovery_dir,
            parallelism: options.parallelism,
        }
    }

    /// The plan to apply and the live state it was made from.
    async fn prepare(
        &self,
        desired: &DesiredState,
        source: PlanSource,
        lost: Vec<LostSecret>,
        run: &ApplyOptions,
        ui: &impl ApplyUi,
    ) -> Result<Prepared, ApplyError> {
        match source {
            PlanSource::Fresh { options, now } => {
                let ticker = ui.progress(desired.resource_count(), "reading live state");
                // The observer keeps the lost secrets of the resources it could read.
                let observed = self.observer(run).read(desired, lost, &*ticker).await;
                // A resource that could not be read is left out, loudly; the others go on.
                let observed = observed
                    .refuse_when_nothing_was_read()
                    .map_err(ApplyError::Provider)?;
                let clock = self.clock.now();
                let now = match now {
                    Some(now) if now.duration_since(clock) >= PRESENT => {
                        return Err(ApplyError::NowNotYet { now, clock });
                    }
                    Some(now) => now,
                    None => clock,
                };
                Ok(Prepared {
                    plan: plan(&observed.readable, &observed.live, now, options)?,
                    observed: observed.live,
                    left_out: observed.errors,
                })
            }
            PlanSource::Saved(verified)
                if verified.observed.lost_secrets != only_named(&lost, desired) =>
            {
                Err(ApplyError::Stale {
                    plan_file: verified.path,
                    reasons: vec![
                        "the journal's lost secrets changed since the plan was made".to_owned(),
                    ],
                })
            }
            PlanSource::Saved(verified) => {
                let changes = self
                    .changes_since(desired, &verified.plan, (&verified.observed, run), ui)
                    .await?;
                if !changes.is_empty() {
                    return Err(ApplyError::Stale {
                        plan_file: verified.path,
                        reasons: changes,
                    });
                }
                Ok(Prepared {
                    plan: verified.plan,
                    observed: verified.observed,
                    left_out: Vec::new(),
                })
            }
        }
    }

    /// What changed, in the resources `plan` touches, since `observed` was read.
    async fn changes_since(
        &self,
        desired: &DesiredState,
        plan: &Plan,
        (observed, options): (&LiveState, &ApplyOptions),
        ui: &impl ApplyUi,
    ) -> Result<Vec<String>, ApplyError> {
        let touched: Vec<String> = plan
            .resources
            .iter()
            .filter(|resource| !resource.actions.is_empty())
            .map(|resource| resource.name.clone())
            .collect();
        if touched.is_empty() {
            return Ok(Vec::new());
        }
        let touched_desired = desired
            .clone()
            .only(&touched)
            .map_err(ApplyError::Targets)?;
        let ticker = ui.progress(touched_desired.resource_count(), "reading live state");
        let observer = self.observer(options);
        let read = observer.read(&touched_desired, Vec::new(), &*ticker).await;
        let fresh = read.complete()?;
        let vendor_of = |name: &str| desired.resource(name).map(|resource| resource.vendor);
        Ok(observed.differences(&fresh, vendor_of))
    }

    /// Carries out an approved plan, telling `ui` each resource's outcomes as they settle.
    async fn execute(
        &self,
        plan: &Plan,
        options: &ApplyOptions,
        journal: &Journal<'_>,
        ui: &impl ApplyUi,
    ) -> ApplyReport {
        let counts = plan.counts();
        let ticker = ui.progress(counts.updates + counts.rotations, "applying");
        let run = Run {
            writer: self.providers,
            options,
            clock: self.clock,
            stop: &self.stop,
            journal: Some(journal),
            gate: &self.write_gate,
        };
        let report = execute(plan, &run, |entries| {
            ui.settled(entries, ticker.as_ref());
            ticker.advance(entries.len());
        })
        .await;
        ticker.finish();
        report
    }
}

/// Refuses a plan that rotates a key whose previous new secret still waits in a recovery file.
fn refuse_to_revoke_waiting(plan: &Plan, waiting: &[AwaitingDelivery]) -> Result<(), ApplyError> {
    let rotated_while_waiting: Vec<String> = plan
        .resources
        .iter()
        .filter(|resource| {
            let rotates = resource
                .actions
                .iter()
                .any(|action| matches!(action, Action::Rotate { .. }));
            rotates && waiting.iter().any(|entry| entry.resource == resource.name)
        })
        .map(|resource| resource.name.clone())
        .collect();
    match rotated_while_waiting.is_empty() {
        true => Ok(()),
        false => Err(ApplyError::SecretsStillWaiting(rotated_while_waiting)),
    }
}

/// The lost secrets of resources `desired` names.
fn only_named(lost: &[LostSecret], desired: &DesiredState) -> Vec<LostSecret> {
    let names = desired.resource_names();
    lost.iter()
        .filter(|lost| names.contains(&lost.resource.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::path::{Path, PathBuf};

    use jiff::SignedDuration;

    use super::*;
    use crate::apply::{ActionReport, FixedClock, SavedOptions, SavedPlan, Ticker};
    use crate::config::{Resource, RotationPolicy};
    use crate::plan::{Observation, Schedule};
    use crate::provider::{ActionEffect, CurrentState, Executed, LiveRead, ProviderError};
    use crate::state::{LocalBackend, LockHolder, StateBackend, WriteOutcome};
    use crate::vendor::cloudflare;
    use std::time::Duration;

    const NOW: &str = "2026-11-24T12:00:00Z";

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// One account whose key is 60 days old against a max_key_age of 30 days: the plan rotates
    /// it.
    fn desired() -> DesiredState {
        let mut desired = DesiredState::empty("keyrot.yaml");
        desired.resources.push(Resource {
            name: "production".to_owned(),
            vendor: &cloudflare::VENDOR,
            id: "023e105f4ecef8ad9ca31a8372d0c353".to_owned(),
            rotation: RotationPolicy {
                max_key_age: Some(SignedDuration::from_hours(30 * 24)),
                ..RotationPolicy::default()
            },
            sink: None,
            interval_days: None,
        });
        desired
    }

    fn live(last_rotation: &str) -> LiveState {
        let mut live = LiveState::default();
        live.resources.insert(
            "production".to_owned(),
            Observation {
                last_rotation: Some(at(last_rotation)),
                expires_at: None,
                schedule: Some(Schedule {
                    interval_days: 90.0,
                    days_until_next: None,
                }),
                ..Observation::default()
            },
        );
        live
    }

    /// An API whose reads return `reads` in turn (the last one again once they run out) and
    /// whose writes are recorded and succeed.
    struct FakeApi {
        reads: RefCell<Vec<LiveState>>,
        writes: Cell<usize>,
    }

    impl FakeApi {
        fn reading(reads: Vec<LiveState>) -> Self {
            Self {
                reads: RefCell::new(reads),
                writes: Cell::new(0),
            }
        }
    }

    impl LiveReader for FakeApi {
        async fn read_live(
            &self,
            _desired: &DesiredState,
            on_read: &(dyn Fn() + Sync),
        ) -> LiveRead {
            on_read();
            let mut reads = self.reads.borrow_mut();
            let live = if reads.len() > 1 {
                reads.remove(0)
            } else {
                reads[0].clone()
            };
            LiveRead {
                live,
                errors: Vec::new(),
            }
        }

        async fn read_current(
            &self,
            name: &str,
            _target: &crate::plan::Target,
        ) -> Result<CurrentState, ProviderError> {
            let live = &self.reads.borrow()[0].resources[name];
            Ok(CurrentState {
                last_rotation: live.last_rotation,
                interval_days: live.interval_days(),
                changed_at: None,
            })
        }
    }

    impl ActionWriter for FakeApi {
        async fn write(
            &self,
            _resource: &crate::plan::ResourcePlan,
            _action: &crate::plan::Action,
        ) -> Result<Executed, ProviderError> {
            self.writes.set(self.writes.get() + 1);
            Ok(Executed {
                effect: ActionEffect::confirmed(Some(at(NOW))),
                secret: None,
            })
        }
    }

    /// A UI that answers the prompt with `answer` and records what it was shown.
    struct FakeUi {
        answer: bool,
        asked: Cell<bool>,
        settled: RefCell<Vec<String>>,
        /// Every progress bar asked for: its label and length.
        bars: RefCell<Vec<(&'static str, usize)>>,
    }

    struct Silent;

    impl Ticker for Silent {
        fn advance(&self, _steps: usize) {}
        fn println(&self, _line: &str) {}
        fn finish(&self) {}
    }

    impl ApplyUi for FakeUi {
        fn progress(&self, total: usize, label: &'static str) -> Box<dyn Ticker + '_> {
            self.bars.borrow_mut().push((label, total));
            Box::new(Silent)
        }
        fn show_plan(&self, _plan: &Plan, _left_out: &[ProviderError]) {}
        fn approve(&self, _plan: &Plan) -> Result<bool, ApplyError> {
            self.asked.set(true);
            Ok(self.answer)
        }
        fn applying(&self) {}
        fn settled(&self, entries: &[ActionReport], _ticker: &dyn Ticker) {
            let names = entries.iter().map(|entry| entry.resource.clone());
            self.settled.borrow_mut().extend(names);
        }
        fn delivered_waiting(
            &self,
            _entry: &crate::plan::AwaitingDelivery,
            _result: Result<(), &DeliverError>,
        ) {
        }
    }

    fn ui(answer: bool) -> FakeUi {
        FakeUi {
            answer,
            asked: Cell::new(false),
            settled: RefCell::new(Vec::new()),
            bars: RefCell::new(Vec::new()),
        }
    }

    fn options() -> ApplyOptions {
        ApplyOptions {
            parallelism: 1,
            fail_fast: false,
            recovery_dir: PathBuf::from("/nonexistent/recovered"),
            allow_rapid_rotation: false,
            holder: LockHolder::this_process("run1", "keyrot apply", at(NOW), &|_| None),
            lock_timeout: Duration::ZERO,
            protected_files: Vec::new(),
        }
    }

    fn fresh() -> PlanSource {
        PlanSource::Fresh {
            options: PlanOptions::default(),
            now: None,
        }
    }

    fn run(
        api: &FakeApi,
        source: PlanSource,
        approval: Approval,
        ui: &FakeUi,
    ) -> Result<Applied, ApplyError> {
        let directory = tempfile::tempdir().unwrap();
        run_with_state(
            api,
            source,
            approval,
            ui,
            &LocalBackend::new(directory.path().into()),
        )
    }

    /// Runs the engine with its clock at `instant`.
    fn run_at(
        instant: Timestamp,
        api: &FakeApi,
        source: PlanSource,
        ui: &FakeUi,
    ) -> Result<Applied, ApplyError> {
        let directory = tempfile::tempdir().unwrap();
        let state = LocalBackend::new(directory.path().into());
        run_with_clock(
            FixedClock(instant),
            api,
            source,
            Approval::Given,
            ui,
            &state,
        )
    }

    fn run_with_state(
        api: &FakeApi,
        source: PlanSource,
        approval: Approval,
        ui: &FakeUi,
        state: &LocalBackend,
    ) -> Result<Applied, ApplyError> {
        run_with_clock(FixedClock(at(NOW)), api, source, approval, ui, state)
    }

    fn run_with_clock(
        clock: FixedClock,
        api: &FakeApi,
        source: PlanSource,
        approval: Approval,
        ui: &FakeUi,
        state: &LocalBackend,
    ) -> Result<Applied, ApplyError> {
        let engine = Engine {
            providers: api,
            clock: &clock,
            stop: StopSignal::new(),
            state,
            write_gate: WriteGate::default(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(engine.run(&desired(), source, approval, &options(), ui))
    }

    #[test]
    fn a_fresh_apply_plans_at_the_clocks_instant_and_writes() {
        let api = FakeApi::reading(vec![live("2026-09-25T12:00:00Z")]);
        let ui = ui(true);
        let applied = run(&api, fresh(), Approval::Given, &ui).unwrap();
        assert_eq!(applied.plan.now, at(NOW));
        assert!(applied.report.succeeded());
        assert_eq!(api.writes.get(), 1);
        assert!(!ui.asked.get());
        assert_eq!(*ui.settled.borrow(), ["production"]);
        let bars = ui.bars.borrow();
        assert!(
            bars.contains(&("applying", 1)),
            "one write to show: {bars:?}"
        );
    }

    #[test]
    fn the_clock_decides_what_is_due() {
        // 25 days old by the clock: under max_key_age 30d, so nothing to do.
        let api = FakeApi::reading(vec![live("2026-10-30T12:00:00Z")]);
        let applied = run(&api, fresh(), Approval::Given, &ui(true)).unwrap();
        assert!(applied.plan.is_empty());
        assert_eq!(api.writes.get(), 0);
    }

    #[test]
    fn only_a_yes_writes() {
        let api = FakeApi::reading(vec![live("2026-09-25T12:00:00Z")]);
        let ui = ui(false);
        let refused = run(&api, fresh(), Approval::Ask, &ui);
        assert!(matches!(refused, Err(ApplyError::Cancelled)));
        assert!(ui.asked.get());
        assert_eq!(api.writes.get(), 0);
    }

    #[test]
    fn a_change_while_the_prompt_was_open_writes_nothing() {
        let before = live("2026-09-25T12:00:00Z");
        let meanwhile = live("2026-11-24T11:00:00Z");
        let api = FakeApi::reading(vec![before, meanwhile]);
        let refused = run(&api, fresh(), Approval::Ask, &ui(true));
        assert!(
            matches!(refused, Err(ApplyError::ChangedWhileWaiting(changes)) if changes.len() == 1)
        );
        assert_eq!(api.writes.get(), 0);
    }

    #[test]
    fn the_guardrail_refuses_before_any_write() {
        let api = FakeApi::reading(vec![live("2026-09-25T12:00:00Z")]);
        let source = PlanSource::Fresh {
            options: PlanOptions {
                allow_rapid_rotation: false,
                max_rotations: Some(0),
                replace: Vec::new(),
            },
            now: None,
        };
        let refused = run(&api, source, Approval::Given, &ui(true));
        assert!(matches!(
            refused,
            Err(ApplyError::OverLimit {
                rotations: 1,
                limit: 0,
                ..
            })
        ));
        assert_eq!(api.writes.get(), 0);
    }

    #[test]
    fn an_apply_writes_nothing_while_another_holds_the_lock() {
        let directory = tempfile::tempdir().unwrap();
        let state = LocalBackend::new(directory.path().into());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let other = LockHolder::this_process("other", "keyrot apply", at(NOW), &|_| None);
        let _held = runtime
            .block_on(state.lock(&other, Duration::ZERO))
            .unwrap();
        let api = FakeApi::reading(vec![live("2026-09-25T12:00:00Z")]);
        let refused = run_with_state(&api, fresh(), Approval::Given, &ui(true), &state);
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("run other"), "{message}");
        assert_eq!(api.writes.get(), 0);
    }

    #[test]
    fn every_write_is_announced_in_the_journal_and_its_outcome_recorded() {
        let directory = tempfile::tempdir().unwrap();
        let state = LocalBackend::new(directory.path().into());
        let api = FakeApi::reading(vec![live("2026-09-25T12:00:00Z")]);
        run_with_state(&api, fresh(), Approval::Given, &ui(true), &state).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ledger = crate::state::Ledger::new(&runtime.block_on(state.records()).unwrap());
        assert_eq!(ledger.writes.len(), 1);
        let write = &ledger.writes[0];
        assert_eq!(write.run_id, "run1");
        assert_eq!(write.intent.resource, "production");
        assert!(matches!(
            write.outcome,
            Some((WriteOutcome::Done { .. }, _, _))
        ));
    }

    fn saved(observed: LiveState) -> SavedPlan {
        let desired = desired();
        let plan = plan(&desired, &observed, at(NOW), PlanOptions::default()).unwrap();
        SavedPlan::new(&desired, SavedOptions::default(), observed, plan)
    }

    /// A plan saved from `observed`, verified against the unchanged file.
    fn verified(observed: LiveState) -> VerifiedPlan {
        saved(observed)
            .verify(Path::new("plan.json"), &desired(), None)
            .unwrap()
    }

    #[test]
    fn allow_rapid_rotation_in_a_saved_plan_holds_only_where_it_changed_the_plan() {
        // Edited into a plan it does not change: apply keeps the gap.
        let mut edited = saved(live("2026-09-26T12:00:00Z"));
        edited.options.allow_rapid_rotation = true;
        let verified = edited
            .verify(Path::new("plan.json"), &desired(), None)
            .unwrap();
        assert!(!verified.allow_rapid_rotation);
        // `plan --replace production --allow-rapid-rotation` two days after a rotation: the
        // flag made the rotate, and apply honours it.
        let observed = live("2026-11-22T12:00:00Z");
        let options = PlanOptions {
            allow_rapid_rotation: true,
            max_rotations: None,
            replace: vec!["production".to_owned()],
        };
        let planned = plan(&desired(), &observed, at(NOW), options).unwrap();
        let saved_options = SavedOptions {
            allow_rapid_rotation: true,
            targets: Vec::new(),
            replace: vec!["production".to_owned()],
        };
        let verified = SavedPlan::new(&desired(), saved_options, observed, planned)
            .verify(Path::new("plan.json"), &desired(), None)
            .unwrap();
        assert!(verified.allow_rapid_rotation);
    }

    #[test]
    fn a_saved_plan_applies_when_what_it_touches_is_unchanged() {
        let observed = live("2026-09-25T12:00:00Z");
        let verified = verified(observed.clone());
        let api = FakeApi::reading(vec![observed]);
        let applied = run(
            &api,
            PlanSource::Saved(Box::new(verified)),
            Approval::Given,
            &ui(true),
        )
        .unwrap();
        assert!(applied.report.succeeded());
        assert_eq!(api.writes.get(), 1);
    }

    #[test]
    fn a_saved_plan_made_while_a_secret_was_lost_is_stale_once_the_journal_differs() {
        // Saved when the journal recorded production's secret as lost; the journal (empty
        // here) no longer does, so the plan's recovery rotation is not what is needed now.
        let mut observed = live("2026-11-20T12:00:00Z");
        observed.lost_secrets = vec![crate::plan::LostSecret {
            resource: "production".to_owned(),
            run_id: "run0".to_owned(),
            at: at("2026-11-20T12:00:00Z"),
        }];
        let verified = verified(observed.clone());
        let api = FakeApi::reading(vec![live("2026-11-20T12:00:00Z")]);
        let refused = run(
            &api,
            PlanSource::Saved(Box::new(verified)),
            Approval::Given,
            &ui(true),
        );
        assert!(
            matches!(refused, Err(ApplyError::Stale { .. })),
            "{refused:?}"
        );
        assert_eq!(api.writes.get(), 0);
    }

    #[test]
    fn a_saved_plan_from_a_clock_ahead_keeps_the_gap_by_this_clock() {
        // Saved where the clock read NOW (the key 59 days old, due); applied where the API's
        // clock reads 55 days earlier, when the key was rotated 4 days ago: the rotate waits.
        let observed = live("2026-09-26T12:00:00Z");
        let verified = verified(observed.clone());
        let api = FakeApi::reading(vec![observed]);
        let applied = run_at(
            at("2026-09-30T12:00:00Z"),
            &api,
            PlanSource::Saved(Box::new(verified)),
            &ui(true),
        )
        .unwrap();
        assert_eq!(api.writes.get(), 0, "rotated inside the gap");
        assert!(matches!(
            applied.report.actions[0].outcome,
            crate::apply::Outcome::SkippedTooSoon { .. }
        ));
    }

    #[test]
    fn a_fresh_apply_refuses_a_now_the_clock_has_not_reached() {
        let api = FakeApi::reading(vec![live("2026-09-25T12:00:00Z")]);
        let source = PlanSource::Fresh {
            options: PlanOptions::default(),
            now: Some(at("2026-12-24T12:00:00Z")),
        };
        let refused = run(&api, source, Approval::Given, &ui(true));
        assert!(
            matches!(refused, Err(ApplyError::NowNotYet { .. })),
            "{refused:?}"
        );
        assert_eq!(api.writes.get(), 0);
    }

    #[test]
    fn a_saved_plan_whose_resource_moved_is_stale_and_writes_nothing() {
        let verified = verified(live("2026-09-25T12:00:00Z"));
        let api = FakeApi::reading(vec![live("2026-11-20T12:00:00Z")]);
        let refused = run(
            &api,
            PlanSource::Saved(Box::new(verified)),
            Approval::Given,
            &ui(true),
        );
        assert!(matches!(refused, Err(ApplyError::Stale { .. })));
        assert_eq!(api.writes.get(), 0);
    }

    #[test]
    fn an_edited_saved_plan_is_refused_offline() {
        let mut edited = saved(live("2026-09-25T12:00:00Z"));
        edited.plan.resources[0].actions.clear();
        let refused = edited.verify(Path::new("plan.json"), &desired(), None);
        assert!(matches!(refused, Err(ApplyError::NotReproducible { .. })));
    }

    #[test]
    fn a_saved_plan_of_a_changed_file_is_stale() {
        let mut changed = desired();
        changed.digest = "another digest".to_owned();
        let refused =
            saved(live("2026-09-25T12:00:00Z")).verify(Path::new("plan.json"), &changed, None);
        assert!(matches!(refused, Err(ApplyError::Stale { .. })));
    }

    #[test]
    fn a_saved_plan_round_trips_through_its_file_as_data() {
        let plan = saved(live("2026-09-25T12:00:00Z"));
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("plan.json");
        plan.write(&path).unwrap();
        let read = SavedPlan::read(&path).unwrap();
        assert_eq!(read, plan);
    }
}
