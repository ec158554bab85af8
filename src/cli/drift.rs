//! `keyrot drift`: read-only drift detection for a schedule. It holds only read-only API
//! clients, so no write can be sent from here. A resource that cannot be read does not hide
//! the others: their metrics are still written, and the run fails.

use std::path::Path;

use jiff::Timestamp;

use super::args::{DriftArgs, GlobalArgs, OutputFormat};
use super::context::RunContext;
use super::emit::{print_plan, source};
use super::exit::{CliError, Exit};
use super::options::DriftCommand;
use super::output::Printer;
use super::planning::{load_targeted, observe, partial};
use super::preview::{Evaluation, at_evaluation, print_header};
use super::state;
use crate::apply::Observed;
use crate::atomic_file::write_atomically_shared;
use crate::config::DesiredState;
use crate::plan::{LiveState, Plan, plan};
use crate::provider::ProviderError;
use crate::render::{Command, UnreadResource, render_failed_run_metrics, render_metrics};

/// What one drift run found: the plan of every resource it read, and the reads that failed.
struct Found {
    plan: Plan,
    unread: Vec<UnreadResource>,
    errors: Vec<ProviderError>,
}

/// Runs `keyrot drift`.
pub async fn run(
    global: &GlobalArgs,
    printer: &Printer,
    args: &DriftArgs,
) -> Result<Exit, CliError> {
    let _signals =
        super::apply_ui::end_on_signal(printer, "drift check stopped; it changes nothing");
    let command = DriftCommand::new(args);
    let result = detect(global, printer, &command).await;
    if let Some(path) = &command.metrics_file {
        let metrics = match &result {
            Ok(found) => render_metrics(&found.plan, &found.unread, Timestamp::now()),
            Err(_) => render_failed_run_metrics(Timestamp::now()),
        };
        write_metrics(path, &metrics)?;
    }
    let found = result?;
    if !found.errors.is_empty() {
        let checked = found.plan.resources.len();
        return Err(CliError::LeftOut {
            command: "drift check",
            rest: "checked",
            left_out: (found.unread.len(), checked + found.unread.len()),
            errors: found.errors,
        });
    }
    Ok(if found.plan.has_drift() {
        Exit::Changes
    } else {
        Exit::Success
    })
}

async fn detect(
    global: &GlobalArgs,
    printer: &Printer,
    command: &DriftCommand,
) -> Result<Found, CliError> {
    let desired = load_targeted(global, &command.targets)?;
    let context = RunContext::new(global, printer, command.format == OutputFormat::Human);
    let providers = context.read_only_providers(&desired)?;
    let options = command.plan_options();
    let state = state::backend_for_reading(printer, &desired).await?;
    let observed = observe(&context, &desired, &providers, state.as_deref()).await?;
    let unread = unread_resources(&desired, &observed.live);
    let Observed {
        readable,
        live,
        errors,
        ..
    } = observed;
    let Evaluation {
        live,
        now,
        preview,
        clock_trouble,
    } = at_evaluation(&context, &readable, live);
    let mut plan = plan(&readable, &live, now, options)?;
    plan.clock_trouble = clock_trouble;
    plan.partial = partial(&readable, unread.len());
    // What was read is reported even when some reads failed; those follow on stderr.
    if readable.resource_count() > 0 || errors.is_empty() {
        print_header(printer, preview.as_ref(), command.format, context.style);
        let from = source(&readable);
        print_plan(
            printer,
            &plan,
            from,
            command.format,
            Command::Drift,
            context.style,
        );
    }
    Ok(Found {
        plan,
        unread,
        errors,
    })
}

/// The resources of `desired` whose read failed.
fn unread_resources(desired: &DesiredState, live: &LiveState) -> Vec<UnreadResource> {
    desired
        .resources
        .iter()
        .filter(|resource| !live.resources.contains_key(&resource.name))
        .map(|resource| UnreadResource {
            name: resource.name.clone(),
            provider: resource.vendor.key,
        })
        .collect()
}

fn write_metrics(path: &Path, metrics: &str) -> Result<(), CliError> {
    write_atomically_shared(path, metrics.as_bytes()).map_err(|reason| CliError::Write {
        what: "cannot write metrics",
        path: path.to_owned(),
        reason: reason.to_string(),
    })
}
