//! One cycle of `keyrot serve` as the command line runs it: read and plan as `keyrot drift`
//! does (read-only clients, the journal settled in memory), or, with `--apply`, what `keyrot
//! apply --auto-approve` does, through the same engine. The clients (and their request
//! budget) last from cycle to cycle; the API's clock is judged afresh each cycle.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::apply::desired_state_file;
use super::args::GlobalArgs;
use super::context::RunContext;
use super::exit::CliError;
use super::output::Printer;
use super::planning::settle_in_memory;
use super::state::this_run;
use crate::apply::{
    ActionReport, ApplyError, ApplyOptions, ApplyUi, Approval, Clock, DeliverError, Engine,
    Observer, PlanSource, StopSignal, Ticker, recovery_dir,
};
use crate::config::DesiredState;
use crate::http::GateCheck;
use crate::plan::{AwaitingDelivery, Plan, PlanOptions, plan};
use crate::provider::{ProviderError, Providers, ReadOnlyProviders};
use crate::serve::{Cycle, CycleFailure, CycleReport};
use crate::state::StateBackend;

/// How long a cycle that writes waits for the apply lock: a person's `keyrot apply`, or a
/// leader that died holding it (its lease and grace end within 30 s).
const LOCK_WAIT: Duration = Duration::from_secs(40);

/// The API clients of one desired-state file, kept while it is in use.
enum Clients {
    Apply(Providers),
    ReadOnly(ReadOnlyProviders),
}

/// The context and clients made for the file whose digest is `digest`.
struct Connected {
    digest: String,
    context: RunContext,
    clients: Clients,
}

/// The command line's cycle.
pub struct ServeCycle<'a> {
    /// The global flags (`--parallelism`, `--timeout`).
    pub global: &'a GlobalArgs,
    /// Where startup errors went; cycles log instead.
    pub printer: &'a Printer,
    /// `--apply`.
    pub apply: bool,
    /// The journal and the apply lock.
    pub state: &'a dyn StateBackend,
    /// This machine's clock, which each cycle's answers are checked against.
    pub clock: &'a dyn Clock,
    /// The context and clients of the file last run, by its digest.
    connected: Mutex<Option<Arc<Connected>>>,
}

impl<'a> ServeCycle<'a> {
    /// A cycle that applies when `apply`, else only reads, on this machine's `clock`.
    pub fn new(
        global: &'a GlobalArgs,
        printer: &'a Printer,
        apply: bool,
        (state, clock): (&'a dyn StateBackend, &'a dyn Clock),
    ) -> Self {
        Self {
            global,
            printer,
            apply,
            state,
            clock,
            connected: Mutex::new(None),
        }
    }

    /// Makes the clients for `desired` now: credentials that are missing or malformed stop
    /// `keyrot serve` at start rather than fail every cycle.
    pub fn connect(&self, desired: &DesiredState) -> Result<(), CliError> {
        self.connected(desired).map(drop)
    }

    /// The context and clients for `desired`, made anew when the file changed.
    fn connected(&self, desired: &DesiredState) -> Result<Arc<Connected>, CliError> {
        let mut kept = self.connected.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(connected) = kept.as_ref()
            && connected.digest == desired.digest
        {
            return Ok(Arc::clone(connected));
        }
        let context = RunContext::new(self.global, self.printer, false);
        let clients = match self.apply {
            true => Clients::Apply(context.providers(desired)?),
            false => Clients::ReadOnly(context.read_only_providers(desired)?),
        };
        let connected = Arc::new(Connected {
            digest: desired.digest.clone(),
            context,
            clients,
        });
        *kept = Some(Arc::clone(&connected));
        Ok(connected)
    }

    /// Reads and plans without writing anything.
    async fn read_only(
        &self,
        context: &RunContext,
        providers: &ReadOnlyProviders,
        desired: &DesiredState,
        beat: &dyn Ticker,
    ) -> CycleReport {
        let clock = context.api_clock(desired);
        let recovery = recovery_dir(Path::new(&desired.source));
        let observer = Observer {
            reader: providers,
            state: Some(self.state),
            recovery_dir: &recovery,
            parallelism: context.parallelism,
        };
        let holder = match self.state.holder().await {
            Ok(holder) => holder,
            Err(error) => return failed(error.to_string()),
        };
        let running = holder.as_ref().map(|holder| holder.run_id.as_str());
        let found = match settle_in_memory(context, &observer, desired, running).await {
            Ok(found) => found,
            Err(error) => return failed(error.to_string()),
        };
        let mut observed = observer.read(desired, found.lost, beat).await;
        observed.live.awaiting_delivery = found.waiting.into_iter().map(|w| w.entry).collect();
        let errors = observed.errors.iter().map(ToString::to_string).collect();
        let unread = unread(desired, |name| observed.live.resources.contains_key(name));
        if observed.readable.resource_count() == 0 && !observed.errors.is_empty() {
            return CycleReport {
                unread,
                errors,
                ..CycleReport::default()
            };
        }
        match plan(
            &observed.readable,
            &observed.live,
            clock.now(),
            PlanOptions::default(),
        ) {
            Ok(mut plan) => {
                plan.clock_trouble = clock.trouble().map(|trouble| trouble.warning());
                CycleReport {
                    plan: Some(plan),
                    unread,
                    errors,
                    ..CycleReport::default()
                }
            }
            Err(error) => failed(error.to_string()),
        }
    }

    /// What `keyrot apply --auto-approve` does, every write also held to `lead`.
    async fn apply(
        &self,
        context: &RunContext,
        providers: &Providers,
        desired: &DesiredState,
        (lead, stop, beat): (GateCheck, &StopSignal, &dyn Ticker),
    ) -> CycleReport {
        context.http.write_gate.always_require(lead);
        let options = ApplyOptions {
            parallelism: context.parallelism,
            fail_fast: false,
            recovery_dir: recovery_dir(Path::new(&desired.source)),
            allow_rapid_rotation: false,
            holder: this_run(self.clock.now()),
            lock_timeout: LOCK_WAIT,
            protected_files: vec![desired_state_file(desired)],
        };
        let engine = Engine {
            providers,
            clock: &context.api_clock(desired),
            stop: stop.clone(),
            state: self.state,
            write_gate: context.http.write_gate.clone(),
        };
        let ui = ServeUi {
            beat,
            plan: Mutex::new(None),
        };
        let source = PlanSource::Fresh {
            options: PlanOptions::default(),
            now: None,
        };
        let applied = engine
            .run(desired, source, Approval::Given, &options, &ui)
            .await;
        let shown = ui.plan.into_inner().unwrap_or_else(|p| p.into_inner());
        match applied {
            Ok(applied) => {
                let planned = |name: &str| applied.plan.resources.iter().any(|r| r.name == name);
                CycleReport {
                    unread: unread(desired, planned),
                    errors: applied.left_out.iter().map(ToString::to_string).collect(),
                    plan: Some(applied.plan),
                    actions: applied.report.actions,
                    ..CycleReport::default()
                }
            }
            Err(error) => CycleReport {
                plan: shown,
                failure: Some(match error.is_guardrail() {
                    true => CycleFailure::Refused(format!(
                        "{error} keyrot serve writes nothing while the plan is over the limit: \
                         run that apply by hand, or raise settings.max_rotations_per_apply"
                    )),
                    false => CycleFailure::Failed(error.to_string()),
                }),
                ..CycleReport::default()
            },
        }
    }
}

impl Cycle for ServeCycle<'_> {
    async fn run(
        &self,
        desired: &DesiredState,
        lead: GateCheck,
        stop: &StopSignal,
        beat: &dyn Ticker,
    ) -> CycleReport {
        let connected = match self.connected(desired) {
            Ok(connected) => connected,
            Err(error) => {
                let error = error.to_string();
                return failed(error.trim_start_matches("error: ").to_owned());
            }
        };
        let context = &connected.context;
        context.http.server_clock.restart(self.clock.now());
        let mut report = match &connected.clients {
            Clients::ReadOnly(providers) => self.read_only(context, providers, desired, beat).await,
            Clients::Apply(providers) => {
                self.apply(context, providers, desired, (lead, stop, beat))
                    .await
            }
        };
        let api_now = context.api_clock(desired).now();
        report.local_ahead_of_api = self.clock.now().duration_since(api_now);
        report
    }
}

/// A cycle that could not run, for `why`.
fn failed(why: String) -> CycleReport {
    CycleReport {
        failure: Some(CycleFailure::Failed(why)),
        ..CycleReport::default()
    }
}

/// The resources of `desired` that were not read.
fn unread(desired: &DesiredState, read: impl Fn(&str) -> bool) -> Vec<String> {
    desired
        .resources
        .iter()
        .filter(|resource| !read(&resource.name))
        .map(|resource| resource.name.clone())
        .collect()
}

/// The engine's view of `keyrot serve`: nobody to ask, progress as the loop's heartbeat, and
/// the plan kept for the status even when the guardrail refuses it.
struct ServeUi<'a> {
    beat: &'a dyn Ticker,
    plan: Mutex<Option<Plan>>,
}

impl ApplyUi for ServeUi<'_> {
    fn progress(&self, _total: usize, _label: &'static str) -> Box<dyn Ticker + '_> {
        Box::new(Beat(self.beat))
    }

    fn show_plan(&self, plan: &Plan, _left_out: &[ProviderError]) {
        *self.plan.lock().unwrap_or_else(|p| p.into_inner()) = Some(plan.clone());
    }

    fn approve(&self, _plan: &Plan) -> Result<bool, ApplyError> {
        // `keyrot serve --apply` is the approval, as `--auto-approve` is.
        Ok(true)
    }

    fn applying(&self) {
        tracing::info!("applying");
    }

    fn settled(&self, _entries: &[ActionReport], _ticker: &dyn Ticker) {
        self.beat.advance(1);
    }

    fn delivered_waiting(&self, entry: &AwaitingDelivery, result: Result<(), &DeliverError>) {
        match result {
            Ok(()) => tracing::info!(resource = entry.resource, "waiting secret delivered"),
            Err(error) => tracing::error!(
                resource = entry.resource,
                error = %error,
                "waiting secret not delivered"
            ),
        }
    }
}

/// The loop's heartbeat, as a progress indicator.
struct Beat<'a>(&'a dyn Ticker);

impl Ticker for Beat<'_> {
    fn advance(&self, steps: usize) {
        self.0.advance(steps);
    }

    fn println(&self, line: &str) {
        self.0.println(line);
    }

    fn finish(&self) {}
}
