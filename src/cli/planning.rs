//! The read-then-plan step that plan, apply and demo share.

use super::args::GlobalArgs;
use super::context::RunContext;
use super::exit::CliError;
use crate::config::{DesiredState, load_file};
use crate::plan::{LiveState, Plan, PlanOptions, plan};
use crate::provider::LiveReader;

/// The desired-state file `-f` names, limited to `--target`s.
pub fn load_targeted(global: &GlobalArgs, targets: &[String]) -> Result<DesiredState, CliError> {
    load_file(&global.file())?
        .only(targets)
        .map_err(CliError::Usage)
}

/// Reads the live state of `desired` (with a progress bar on long runs) and plans it.
pub async fn read_and_plan(
    context: &RunContext,
    desired: &DesiredState,
    reader: &impl LiveReader,
    options: PlanOptions,
) -> Result<Plan, CliError> {
    let live = read_live(context, desired, reader).await?;
    Ok(plan(desired, &live, context.now, options)?)
}

/// Reads the live state of `desired`, with a progress bar on long runs.
pub async fn read_live(
    context: &RunContext,
    desired: &DesiredState,
    reader: &impl LiveReader,
) -> Result<LiveState, CliError> {
    let total = desired.resource_count();
    let progress = context.progress_bar(total, "reading live state");
    let live = reader.read_live(desired, &|| progress.advance(1)).await;
    progress.finish();
    Ok(live?)
}
