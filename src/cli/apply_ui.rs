//! The command line's side of the apply engine: progress bars, the plan and the prompt, Ctrl-C
//! while writes run, each outcome as it settles, then the report and the exit code. Shared by
//! `keyrot apply` and `keyrot demo`.

use std::cell::RefCell;

use tokio::signal::unix;
use tokio::task::JoinHandle;

use super::args::OutputFormat;
use super::context::RunContext;
use super::emit::{print_apply, print_plan, source};
use super::exit::{CliError, Exit};
use super::output::{Printer, env_var};
use super::prompt::confirm_apply;
use crate::apply::{
    ActionReport, Applied, ApplyError, ApplyUi, DeliverError, Signal, StopReason, StopSignal,
    Ticker,
};
use crate::config::{DesiredState, SecretSink};
use crate::plan::{AwaitingDelivery, Plan, instant_in_words};
use crate::provider::ProviderError;
use crate::render::{Command, render_apply_summary, render_outcome};

/// The terminal's view of one apply.
pub struct TerminalUi<'a> {
    context: &'a RunContext,
    desired: &'a DesiredState,
    format: OutputFormat,
    /// Whether the plan is printed before it is applied (the demo printed it already).
    shows_plan: bool,
    stop: StopSignal,
    interrupts: RefCell<Option<JoinHandle<()>>>,
}

impl<'a> TerminalUi<'a> {
    /// A UI printing in `format`, whose Ctrl-C fires `stop` once writes have begun.
    pub fn new(
        context: &'a RunContext,
        desired: &'a DesiredState,
        format: OutputFormat,
        stop: StopSignal,
    ) -> Self {
        Self {
            context,
            desired,
            format,
            shows_plan: true,
            stop,
            interrupts: RefCell::new(stop_before_writing(&context.printer)),
        }
    }

    /// Replaces the signal watcher with `watcher` (none: the default handling).
    fn watch_signals_with(&self, watcher: Option<JoinHandle<()>>) {
        if let Some(previous) = self.interrupts.replace(watcher) {
            previous.abort();
        }
    }

    /// The same UI, not printing the plan again.
    pub fn without_plan(self) -> Self {
        Self {
            shows_plan: false,
            ..self
        }
    }

    fn human(&self) -> bool {
        self.format == OutputFormat::Human
    }

    /// Prints what the apply did and tells how it ended.
    pub fn finish(&self, applied: &Applied) -> Result<Exit, CliError> {
        if let Some(watcher) = self.interrupts.borrow_mut().take() {
            watcher.abort();
        }
        let Applied {
            plan,
            report,
            left_out,
        } = applied;
        let left_out = || match left_out.is_empty() {
            true => Ok(()),
            false => Err(CliError::LeftOut {
                command: "apply",
                rest: match plan.is_empty() {
                    true => "read and needed no change",
                    false => "applied",
                },
                left_out: (
                    self.desired.resource_count() - plan.resources.len(),
                    self.desired.resource_count(),
                ),
                // Each was said before the plan was approved.
                errors: Vec::new(),
            }),
        };
        let unfinished = || match &plan.clock_trouble {
            Some(trouble) => Err(CliError::ClockInDoubt(trouble.message.clone())),
            None if !plan.awaiting_delivery.is_empty() => {
                Err(CliError::SecretsWaiting(plan.awaiting_delivery.len()))
            }
            None => Ok(()),
        };
        if plan.is_empty() && self.human() {
            unfinished()?;
            self.context.printer.sayln("Nothing to apply.");
            left_out()?;
            return Ok(Exit::Success);
        }
        if self.human() {
            let summary = render_apply_summary(report, plan, self.context.style);
            self.context.printer.sayln(&format!("\n{summary}"));
        } else {
            let printer = &self.context.printer;
            print_apply(printer, plan, report, source(self.desired), self.format);
        }
        if let Some(signal) = report.stopped_by {
            return Ok(Exit::Interrupted(signal));
        }
        unfinished()?;
        if report.succeeded() {
            left_out()?;
            return Ok(Exit::Success);
        }
        Err(CliError::ActionsFailed {
            source: self.desired.source.clone(),
        })
    }
}

impl ApplyUi for TerminalUi<'_> {
    fn progress(&self, total: usize, label: &'static str) -> Box<dyn Ticker + '_> {
        Box::new(self.context.progress_bar(total, label))
    }

    fn show_plan(&self, plan: &Plan, left_out: &[ProviderError]) {
        if self.shows_plan && self.human() {
            let from = source(self.desired);
            let printer = &self.context.printer;
            print_plan(
                printer,
                plan,
                from,
                self.format,
                Command::Apply,
                self.context.style,
            );
        }
        warn_of_file_sinks_on_ci(&self.context.printer, plan);
        for error in left_out {
            self.context
                .printer
                .warn(&format!("error: {error}; left out of this apply"));
        }
    }

    /// Asks on the terminal; until the first write, a signal ends the run saying that nothing
    /// was changed.
    fn approve(&self, _plan: &Plan) -> Result<bool, ApplyError> {
        // The prompt's read cannot be cancelled: a signal there ends the process, saying so.
        let printer = &self.context.printer;
        self.watch_signals_with(end_on_signal(
            printer,
            "apply cancelled at the approval prompt; nothing was changed",
        ));
        let approved = tokio::task::block_in_place(|| confirm_apply(printer));
        self.watch_signals_with(stop_before_writing(printer));
        approved
    }

    fn applying(&self) {
        let printer = &self.context.printer;
        if self.shows_plan && self.human() {
            printer.sayln("");
        }
        let watch = watch_signals(printer.clone(), self.stop.clone());
        self.watch_signals_with(Some(tokio::spawn(watch)));
    }
    fn settled(&self, entries: &[ActionReport], ticker: &dyn Ticker) {
        if self.human() {
            for entry in entries {
                ticker.println(&render_outcome(entry, self.context.style));
            }
        }
    }

    fn delivered_waiting(&self, entry: &AwaitingDelivery, result: Result<(), &DeliverError>) {
        let printer = &self.context.printer;
        match result {
            Ok(()) => printer.note(&format!(
                "{}: the new secret that waited in {} since {} was delivered to its sink; the \
                 recovery file is removed",
                entry.resource,
                entry.path,
                instant_in_words(entry.since)
            )),
            Err(error) => printer.warn(&format!(
                "warning: {}: the new secret waiting in {} could not be delivered: {error}",
                entry.resource, entry.path
            )),
        }
    }
}

/// On a CI runner (`CI=true`), a rotation whose secret goes to a file leaves it on a machine
/// that is thrown away with the job: say so, once per such key.
pub fn warn_of_file_sinks_on_ci(printer: &Printer, plan: &Plan) {
    if env_var("CI").is_none_or(|ci| ci != "true") {
        return;
    }
    for resource in plan
        .resources
        .iter()
        .filter(|resource| resource.rotations() > 0)
    {
        if let Some(sink @ SecretSink::File { .. }) = resource.target.sink.as_deref() {
            printer.warn(&format!(
                "warning: {}: its new secret goes to {sink} on a CI runner (CI=true), which is \
                 thrown away with the job; use a `command:` sink that stores it elsewhere (e.g. \
                 [\"gh\", \"secret\", \"set\", \"NAME\"])",
                resource.name
            ));
        }
    }
}

/// The first SIGINT, SIGTERM or SIGHUP stops new actions and lets in-flight ones finish; a
/// second stops waiting for answers still in flight, while every secret already received still
/// goes to its sink or a recovery file. The process never exits from here: the engine returns,
/// the report names what is unknown, and the journal keeps it for the next run to settle.
/// Before the first write (reading, settling, at the prompt's edges): a signal ends the run at
/// once, saying so; nothing was sent that changes anything.
fn stop_before_writing(printer: &Printer) -> Option<JoinHandle<()>> {
    end_on_signal(
        printer,
        "apply stopped before its first write; nothing was changed",
    )
}

/// A signal ends the run at once, saying `what` happened (for a run that writes nothing, or
/// has not yet); exits 128 + the signal's number. Signals are caught from when this returns.
pub(super) fn end_on_signal(printer: &Printer, what: &'static str) -> Option<JoinHandle<()>> {
    let mut signals = Signals::listen().ok()?;
    let printer = printer.clone();
    Some(tokio::spawn(async move {
        if let Some(signal) = signals.next().await {
            printer.warn(&format!("\n{}: {what}", signal.name()));
            std::process::exit(i32::from(128 + signal.number()));
        }
    }))
}

async fn watch_signals(printer: Printer, stop: StopSignal) {
    let Ok(mut signals) = Signals::listen() else {
        return;
    };
    let Some(first) = signals.next().await else {
        return;
    };
    stop.stop(StopReason::Interrupted(first));
    printer.warn(&format!(
        "\n{}: no new actions will start; in-flight ones are finishing. A second signal stops \
         waiting for their answers (secrets already received are still delivered).",
        first.name()
    ));
    if let Some(second) = signals.next().await {
        stop.abandon();
        printer.warn(&format!(
            "\n{}: no longer waiting for answers in flight; their outcomes are unknown and left \
             in the journal for the next run to settle.",
            second.name()
        ));
    }
}

/// SIGINT, SIGTERM and SIGHUP as one stream.
struct Signals {
    interrupt: unix::Signal,
    terminate: unix::Signal,
    hang_up: unix::Signal,
}

impl Signals {
    fn listen() -> std::io::Result<Self> {
        Ok(Self {
            interrupt: unix::signal(unix::SignalKind::interrupt())?,
            terminate: unix::signal(unix::SignalKind::terminate())?,
            hang_up: unix::signal(unix::SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> Option<Signal> {
        tokio::select! {
            received = self.interrupt.recv() => received.map(|()| Signal::Interrupt),
            received = self.terminate.recv() => received.map(|()| Signal::Terminate),
            received = self.hang_up.recv() => received.map(|()| Signal::HangUp),
        }
    }
}
