//! `keyrot drift`: read-only drift detection for a schedule. It holds only read-only API
//! clients, so no write can be sent from here.

use std::path::Path;

use jiff::Timestamp;

use super::args::{DriftArgs, GlobalArgs, OutputFormat};
use super::context::RunContext;
use super::emit::{print_plan, source};
use super::exit::{CliError, Exit};
use super::options::DriftCommand;
use super::planning::{load_targeted, read_and_plan};
use super::state;
use crate::apply::write_atomically_shared;
use crate::plan::Plan;
use crate::render::{Command, render_failed_run_metrics, render_metrics};

/// Runs `keyrot drift`.
pub async fn run(global: &GlobalArgs, args: &DriftArgs) -> Result<Exit, CliError> {
    let command = DriftCommand::new(args);
    let result = detect(global, &command).await;
    if let Some(path) = &command.metrics_file {
        let metrics = match &result {
            Ok(plan) => render_metrics(plan, Timestamp::now()),
            Err(_) => render_failed_run_metrics(Timestamp::now()),
        };
        write_metrics(path, &metrics)?;
    }
    let plan = result?;
    Ok(if plan.drifted_resources() > 0 {
        Exit::Changes
    } else {
        Exit::Success
    })
}

async fn detect(global: &GlobalArgs, command: &DriftCommand) -> Result<Plan, CliError> {
    let desired = load_targeted(global, &command.targets)?;
    let context = RunContext::new(global, command.format == OutputFormat::Human);
    let providers = context.read_only_providers(&desired)?;
    let options = command.plan_options();
    let state = state::backend(&desired).await?;
    let plan = read_and_plan(&context, &desired, &providers, state.as_ref(), options).await?;
    let from = source(&desired);
    print_plan(&plan, from, command.format, Command::Drift, context.style);
    Ok(plan)
}

fn write_metrics(path: &Path, metrics: &str) -> Result<(), CliError> {
    write_atomically_shared(path, metrics.as_bytes()).map_err(|reason| CliError::Write {
        what: "cannot write metrics",
        path: path.to_owned(),
        reason,
    })
}
