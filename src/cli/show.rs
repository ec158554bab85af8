//! `keyrot show`: a saved plan, in any format, from its own contents.

use super::args::{GlobalArgs, ShowArgs};
use super::emit::print_plan;
use super::exit::{CliError, Exit};
use super::output::stdout_style;
use crate::apply::SavedPlan;
use crate::render::{Command, Source};

/// Runs `keyrot show`. The plan is shown as it was recorded; the desired-state file is not
/// read, so a plan can be shown anywhere.
pub fn run(global: &GlobalArgs, args: &ShowArgs) -> Result<Exit, CliError> {
    let saved = SavedPlan::read(&args.plan_file)?;
    let from = Source {
        file: &saved.desired_state.file,
        sha256: &saved.desired_state.sha256,
    };
    print_plan(
        &saved.plan,
        from,
        args.format,
        Command::Show,
        stdout_style(global.color),
    );
    Ok(Exit::Success)
}
