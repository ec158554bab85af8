//! The read-then-plan step that plan, apply and demo share.

use jiff::Timestamp;

use super::exit::CliError;
use crate::config::DesiredState;
use crate::plan::{Plan, PlanOptions, plan};
use crate::provider::LiveReader;

/// Reads the live state of `desired` and plans it at `now`.
pub async fn read_and_plan(
    desired: &DesiredState,
    reader: &impl LiveReader,
    now: Timestamp,
    options: PlanOptions,
) -> Result<Plan, CliError> {
    let live = reader.read_live(desired).await?;
    Ok(plan(desired, &live, now, options)?)
}
