//! The loop of `keyrot serve`: stand by until this replica leads, then run a cycle, record it,
//! and wait for the next (jittered, backing off after failures), checking every second that it
//! still leads; answer signals in between; release the lead on the way out.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::apply::{Clock, StopReason, StopSignal, Ticker};
use crate::config::DesiredState;
use crate::http::{GateCheck, LockLost};
use crate::state::{Lead, LockGuard, LockHolder, StateBackend, StateError};

use super::cycle::{Cycle, CycleReport};
use super::events;
use super::log::{self, duration_in_words};
use super::reads::{ReadSchedule, Reading};
use super::resources;
use super::schedule::{delay_after, next_start};
use super::shared::Shared;
use super::signals::Control;
use super::status::{CycleOutcome, CycleRecord, Role};
use super::webhook::Webhook;

/// How often a standby tries to lead, and a leader checks its lead while it waits.
const TICK: Duration = Duration::from_secs(1);

/// Why a file loaded again cannot run: its own error, whatever it is.
pub type ReloadError = Box<dyn std::error::Error + Send + Sync>;

/// Loads the desired-state file again (SIGHUP): the file, or why it cannot run.
pub type Reload<'a> = dyn Fn() -> Result<DesiredState, ReloadError> + Sync + 'a;

/// Everything the loop uses.
pub struct Reconciler<'a, C> {
    /// Runs one cycle.
    pub cycle: &'a C,
    /// This machine's clock: the system's, or a simulation's (tokio's paused clock, on which
    /// benchmark i runs a day in seconds).
    pub clock: &'a dyn Clock,
    /// Where the lead (and the journal) live.
    pub state: &'a dyn StateBackend,
    /// The status and metrics the endpoints show.
    pub shared: Arc<Shared>,
    /// `--every`.
    pub every: Duration,
    /// `--full-every`.
    pub full_every: Duration,
    /// Who this replica is, as the lead records it.
    pub holder: LockHolder,
    /// The lead it takes: `--apply` replicas and read-only ones elect their leaders apart.
    pub lead: Lead,
    /// Re-reads the desired-state file.
    pub reload: &'a Reload<'a>,
    /// Where each event is posted.
    pub webhook: &'a Webhook,
}

/// How a wait between cycles ended.
enum Waited {
    /// At the next cycle's start.
    Elapsed,
    /// At the next cycle's start, with a new file loaded meanwhile.
    Reloaded,
    /// Early: the lead was lost, or a signal stops the process.
    Ended(LeadEnded),
}

/// What ended a stretch of leading.
enum LeadEnded {
    /// The lead was lost: stand by again.
    Lost,
    /// A signal asked the process to stop.
    Stopped,
}

impl<C: Cycle + Sync> Reconciler<'_, C> {
    /// Serves `desired` until a signal on `controls` stops it.
    pub async fn run(&self, mut desired: DesiredState, mut controls: UnboundedReceiver<Control>) {
        let stop = StopSignal::new();
        loop {
            let Some(lead) = self.stand_by(&mut desired, &mut controls).await else {
                tracing::info!("stopped while standing by");
                return;
            };
            let ended = self.lead(&lead, &mut desired, &mut controls, &stop).await;
            self.shared.update(|status| status.next_cycle_at = None);
            lead.release().await;
            if matches!(ended, LeadEnded::Stopped) {
                break;
            }
            self.shared.update(|status| status.role = Role::Starting);
        }
        tracing::info!("stopped; the lead is released");
    }

    /// Waits until this replica leads; `None` when a signal stops it first.
    async fn stand_by(
        &self,
        desired: &mut DesiredState,
        controls: &mut UnboundedReceiver<Control>,
    ) -> Option<LockGuard> {
        loop {
            match self.state.lead(self.lead, &self.holder).await {
                Ok(lead) => {
                    tracing::info!(state = %self.state.location(), "leading");
                    self.shared.update(|status| status.role = Role::Leader);
                    return Some(lead);
                }
                Err(StateError::Held { holder, .. }) => self.standing_by(holder),
                Err(error) => {
                    tracing::error!(error = %error, "cannot take the lead");
                    self.shared
                        .update(|status| status.last_error = Some(error.to_string()));
                }
            }
            let waited = tokio::time::timeout(TICK, controls.recv()).await;
            match waited {
                Ok(Some(Control::Stop(_)) | None) => return None,
                Ok(Some(Control::Reload)) => {
                    self.reload(desired);
                }
                Err(_elapsed) => {}
            }
        }
    }

    /// Notes that `leader` leads, logging it when that is news.
    fn standing_by(&self, leader: String) {
        let role = Role::Standby { leader };
        let news = self.shared.update(|status| {
            let news = status.role != role;
            status.role = role.clone();
            news
        });
        if let (true, Role::Standby { leader }) = (news, role) {
            tracing::info!(leader, "standing by");
        }
    }

    /// Runs cycles while this replica leads.
    async fn lead(
        &self,
        lead: &LockGuard,
        desired: &mut DesiredState,
        controls: &mut UnboundedReceiver<Control>,
        stop: &StopSignal,
    ) -> LeadEnded {
        let check = lead.check();
        let gate: GateCheck = Arc::new(move || {
            check
                .still_held()
                .map_err(|lost| LockLost(lost.to_string()))
        });
        let mut failures = 0u32;
        // A new leader knows nothing yet: its first cycle reads everything.
        let mut reads = ReadSchedule::new(self.full_every);
        loop {
            if let Err(lost) = lead.check().still_held() {
                tracing::error!(error = %lost, "the lead was lost; standing by");
                return LeadEnded::Lost;
            }
            let started = Instant::now();
            let started_at = self.clock.now();
            let reading = reads.reading(desired, started_at);
            let delay = match reading {
                Reading::Nothing => {
                    self.shared.metrics.cycle_idle();
                    delay_after(self.every, 0, rand::random::<f64>())
                }
                _ => {
                    let (report, reload) =
                        self.cycle(desired, &reading, (&gate, controls, stop)).await;
                    reads.after_cycle(desired, (&reading, &report), started_at, rand::random);
                    let outcome = self.record(desired, &report, started_at, started.elapsed());
                    self.shared.update(|status| reads.show_in(status));
                    failures = match outcome {
                        CycleOutcome::Failed => failures.saturating_add(1),
                        _ => 0,
                    };
                    if stop.reason().is_some() {
                        return LeadEnded::Stopped;
                    }
                    if reload && self.reload(desired) {
                        reads = ReadSchedule::new(self.full_every);
                    }
                    delay_after(self.every, failures, rand::random::<f64>())
                }
            };
            let next = self.next_start(started, delay);
            match self.wait_until(next, lead, desired, controls).await {
                Waited::Elapsed => {}
                // Resources the new file adds or changes are read now, not at the next full read.
                Waited::Reloaded => reads = ReadSchedule::new(self.full_every),
                Waited::Ended(ended) => return ended,
            }
        }
    }

    /// Runs one cycle over what `reading` picks of `desired`, answering signals meanwhile: a
    /// stop stops new actions (a second stops waiting for answers); a reload waits for the
    /// cycle's end, and `true` says one was asked for.
    async fn cycle(
        &self,
        desired: &DesiredState,
        reading: &Reading,
        (gate, controls, stop): (&GateCheck, &mut UnboundedReceiver<Control>, &StopSignal),
    ) -> (CycleReport, bool) {
        let due = match reading {
            Reading::Due(names) => desired.clone().only(names).ok(),
            Reading::Full | Reading::Nothing => None,
        };
        let cycle = self.cycle.run(
            due.as_ref().unwrap_or(desired),
            Arc::clone(gate),
            stop,
            self,
        );
        tokio::pin!(cycle);
        let mut reload = false;
        loop {
            tokio::select! {
                report = &mut cycle => return (report, reload),
                control = controls.recv() => match control {
                    Some(Control::Reload) => reload = true,
                    Some(Control::Stop(signal)) => stop_or_abandon(stop, signal),
                    None => stop_or_abandon(stop, crate::apply::Signal::Terminate),
                },
            }
        }
    }

    /// When the next cycle starts, for one that started at `started` and waits `delay`: at
    /// once, and reported, when this one ran past it.
    fn next_start(&self, started: Instant, delay: Duration) -> Instant {
        let (next, overran) = next_start(Duration::ZERO, started.elapsed(), delay);
        if overran {
            self.shared.metrics.cycle_overran();
            tracing::warn!(
                every = duration_in_words(self.every),
                "the cycle ran past the next one's start; the next starts now"
            );
        }
        started + next
    }

    /// Waits until `next`, checking the lead each second and answering signals.
    async fn wait_until(
        &self,
        next: Instant,
        lead: &LockGuard,
        desired: &mut DesiredState,
        controls: &mut UnboundedReceiver<Control>,
    ) -> Waited {
        let wait = next.saturating_duration_since(Instant::now());
        let at = jiff::SignedDuration::try_from(wait)
            .ok()
            .and_then(|wait| self.clock.now().checked_add(wait).ok());
        self.shared.update(|status| status.next_cycle_at = at);
        let mut waited = Waited::Elapsed;
        while Instant::now() < next {
            if let Err(lost) = lead.check().still_held() {
                tracing::error!(error = %lost, "the lead was lost; standing by");
                return Waited::Ended(LeadEnded::Lost);
            }
            let tick = (Instant::now() + TICK).min(next);
            match tokio::time::timeout_at(tick, controls.recv()).await {
                Ok(Some(Control::Stop(_)) | None) => return Waited::Ended(LeadEnded::Stopped),
                Ok(Some(Control::Reload)) if self.reload(desired) => waited = Waited::Reloaded,
                Ok(Some(Control::Reload)) => {}
                Err(_elapsed) => self.shared.beat(),
            }
        }
        waited
    }

    /// Records a cycle that started at `started_at` and ran for `took`: status, metrics,
    /// events and a summary line. Returns how it ended.
    fn record(
        &self,
        desired: &DesiredState,
        report: &CycleReport,
        started_at: Timestamp,
        took: Duration,
    ) -> CycleOutcome {
        let outcome = report.outcome();
        self.shared.metrics.cycle_finished(outcome, took);
        let record = CycleRecord {
            started_at,
            duration_seconds: took.as_secs_f64(),
            outcome,
            read: report.plan.is_some(),
            error: report.error(),
            rotated: report.done(true),
            updated: report.done(false),
            failed_actions: report.failed_actions(),
        };
        let events = self.shared.update(|status| {
            let after = resources::after_cycle(&status.resources, desired, report);
            let mut events = events::of_cycle(&status.resources, &after, report);
            // A refusal or a failure the cycle before told in the same words is not told again.
            let same_as_before = status
                .last_cycle
                .as_ref()
                .is_some_and(|last| last.outcome == record.outcome && last.error == record.error);
            if same_as_before {
                events.retain(|event| !event.repeats_its_cycle());
            }
            status.resources = after;
            status.last_error = record.error.clone();
            if outcome == CycleOutcome::Success {
                status.last_successful_cycle_at = Some(started_at);
            }
            status.last_cycle = Some(record.clone());
            events
        });
        for event in &events {
            log::event(event);
        }
        self.webhook.send(&events);
        let drifted = report
            .plan
            .as_ref()
            .map_or(0, |plan| plan.drifted_resources());
        tracing::info!(
            outcome = outcome.name(),
            seconds = took.as_millis() as f64 / 1000.0,
            drifted,
            rotated = record.rotated,
            updated = record.updated,
            failed = record.failed_actions,
            unread = report.unread.len(),
            error = record.error.as_deref(),
            "cycle finished"
        );
        outcome
    }

    /// Re-reads the desired-state file: a valid one runs from the next cycle (`true`); an
    /// invalid one is reported, and the file before it runs on (`false`).
    fn reload(&self, desired: &mut DesiredState) -> bool {
        match (self.reload)() {
            Ok(fresh) => {
                tracing::info!(
                    resources = fresh.resource_count(),
                    "desired-state file reloaded"
                );
                *desired = fresh;
                self.shared.update(|status| {
                    // A resource the file no longer has leaves the status and the metrics now.
                    status
                        .resources
                        .retain(|name, _| desired.resource(name).is_some());
                    status.desired_state.valid = true;
                    status.desired_state.error = None;
                    status.desired_state.loaded_at = self.clock.now();
                });
                true
            }
            Err(error) => {
                let error = error.to_string();
                tracing::error!(
                    error,
                    "the desired-state file did not reload; the one loaded before runs on"
                );
                self.shared.metrics.reload_failed();
                self.shared.update(|status| {
                    status.desired_state.valid = false;
                    status.desired_state.error = Some(error.clone());
                    status.last_error = Some(error);
                });
                false
            }
        }
    }
}

/// A cycle's progress is the loop's heartbeat.
impl<C: Sync> Ticker for Reconciler<'_, C> {
    fn advance(&self, _steps: usize) {
        self.shared.beat();
    }

    fn println(&self, line: &str) {
        tracing::info!("{line}");
    }

    fn finish(&self) {}
}

/// A first stop signal stops new actions; a second stops waiting for answers in flight.
fn stop_or_abandon(stop: &StopSignal, signal: crate::apply::Signal) {
    match stop.reason() {
        Some(_) => stop.abandon(),
        None => {
            tracing::info!(signal = signal.name(), "stopping after the cycle in flight");
            stop.stop(StopReason::Interrupted(signal));
        }
    }
}
