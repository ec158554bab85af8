//! The terminal's side of the read-then-plan step that plan, drift, demo and serve share (the
//! step itself is `apply::Observer`, which apply takes too): the files loaded with `--target` and
//! `--replace`, notes on stderr, and a progress bar.

use jiff::Timestamp;

use super::args::GlobalArgs;
use super::context::RunContext;
use super::exit::CliError;
use super::preview::at_evaluation;
use super::state::{this_run, warn_of_damaged_records};
use std::path::Path;

use crate::apply::{
    Clock, Observed, Observer, SecretsToRecover, Settling, recovery_dir, unjournaled_dir,
};
use crate::config::{DesiredState, load_file};
use crate::plan::{Partial, Plan, PlanOptions, instant_in_words, plan};
use crate::provider::LiveReader;
use crate::state::StateBackend;

/// When `planned` (the file limited to `--target`s, without the resources that could not be
/// read) is not the whole file: how much of it a plan covers, and why.
pub fn partial(planned: &DesiredState, unread: usize) -> Option<Partial> {
    let mut why = Vec::new();
    if planned.targeted_out > 0 {
        why.push("--target".to_owned());
    }
    if unread > 0 {
        why.push(format!("{unread} could not be read"));
    }
    let covered = planned.resource_count();
    Partial::of(covered, covered + planned.targeted_out + unread, &why)
}

/// The desired-state file `-f` names, limited to `--target`s.
pub fn load_targeted(global: &GlobalArgs, targets: &[String]) -> Result<DesiredState, CliError> {
    Ok(load_file(&global.file())?.only(targets)?)
}

/// As [`load_targeted`], with the `--replace` names resolved against the whole file: a name
/// the file has but `--target` leaves out is an error that says so.
pub fn load_targeted_replacing(
    global: &GlobalArgs,
    targets: &[String],
    replace: &[String],
) -> Result<(DesiredState, Vec<String>), CliError> {
    let whole = load_file(&global.file())?;
    let replace = whole.resource_names_of(replace, "--replace")?;
    let desired = whole.only(targets)?;
    let targeted = desired.resource_names();
    let outside: Vec<&str> = replace
        .iter()
        .map(String::as_str)
        .filter(|name| !targeted.contains(name))
        .collect();
    if !outside.is_empty() {
        return Err(CliError::Usage(format!(
            "--replace {} is not among the --target resources; add --target for it too",
            outside.join(", ")
        )));
    }
    Ok((desired, replace))
}

/// Reads the live state of `desired` and plans it; every resource must be read.
pub async fn read_and_plan(
    context: &RunContext,
    desired: &DesiredState,
    reader: &impl LiveReader,
    state: Option<&dyn StateBackend>,
    options: PlanOptions,
) -> Result<Plan, CliError> {
    let live = observe(context, desired, reader, state).await?.complete()?;
    let evaluation = at_evaluation(context, desired, live);
    let mut plan = plan(desired, &evaluation.live, evaluation.now, options)?;
    plan.clock_trouble = evaluation.clock_trouble;
    Ok(plan)
}

/// Settles what the journal left open (never what an apply holding the lock is still
/// sending, which a note on stderr mentions), then reads the live state of `desired` with a
/// progress bar on long runs: what was read, the part of `desired` it covers, and the reads
/// that failed. A secret waiting in a recovery file is said on stderr.
pub async fn observe<'d>(
    context: &RunContext,
    desired: &'d DesiredState,
    reader: &impl LiveReader,
    state: Option<&dyn StateBackend>,
) -> Result<Observed<'d>, CliError> {
    let recovery_dir = recovery_dir(Path::new(&desired.source));
    let observer = Observer {
        reader,
        state,
        recovery_dir: &recovery_dir,
        parallelism: context.parallelism,
    };
    let found = match state {
        Some(state) => settle(context, &observer, desired, state).await?,
        None => SecretsToRecover::default(),
    };
    let progress = context.progress_bar(desired.resource_count(), "reading live state");
    let mut observed = observer.read(desired, found.lost, &progress).await;
    observed.live.awaiting_delivery = found
        .waiting
        .into_iter()
        .map(|waiting| waiting.entry)
        .collect();
    for waiting in &observed.live.awaiting_delivery {
        context.printer.warn(&format!(
            "warning: {}: a new secret has waited in {} since {}; `keyrot apply` or `keyrot \
             deliver {0}` puts it in its sink (`--acknowledge` once you have put it there)",
            waiting.resource,
            waiting.path,
            instant_in_words(waiting.since)
        ));
    }
    Ok(observed)
}

/// Settles the journal in memory at the API's time (the clock apply settles by), noting an
/// apply that holds the lock.
async fn settle(
    context: &RunContext,
    observer: &Observer<'_, impl LiveReader>,
    desired: &DesiredState,
    state: &dyn StateBackend,
) -> Result<SecretsToRecover, CliError> {
    let holder = state
        .holder()
        .await
        .map_err(crate::apply::ApplyError::from)?;
    let printer = &context.printer;
    if let Some(holder) = &holder {
        printer.note(&format!(
            "note: an apply holds the lock in {}: {holder}; this run does not wait for it, and \
             what it is writing may not show yet",
            state.location()
        ));
    }
    let running = holder.as_ref().map(|holder| holder.run_id.as_str());
    let found = settle_in_memory(context, observer, desired, running).await?;
    warn_of_damaged_records(printer, state);
    Ok(found)
}

/// Settles the journal in memory at the API's time (the clock apply settles by), never the
/// writes of the run `running`, which holds the lock: what a run that only reads does.
pub async fn settle_in_memory(
    context: &RunContext,
    observer: &Observer<'_, impl LiveReader>,
    desired: &DesiredState,
    running: Option<&str>,
) -> Result<SecretsToRecover, crate::apply::ApplyError> {
    let run = this_run(Timestamp::now());
    let settling = Settling::Read {
        unjournaled: &unjournaled_dir(Path::new(&desired.source)),
        run_id: &run.run_id,
        now: context.api_clock(desired).now(),
    };
    observer.settle(settling, running).await
}
