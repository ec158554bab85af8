//! `keyrot show`: a saved plan, in any format.

use super::args::{GlobalArgs, OutputFormat, ShowArgs};
use super::emit::{print_json, print_plan};
use super::exit::{CliError, Exit};
use super::output::stdout_style;
use crate::apply::SavedPlan;
use crate::config::load_file;
use crate::plan::{PlanOptions, plan};
use crate::render::Command;

/// Runs `keyrot show`. JSON is the plan as recorded; human and Markdown output are computed
/// again from what the plan recorded, which needs the desired-state file unchanged.
pub fn run(global: &GlobalArgs, args: &ShowArgs) -> Result<Exit, CliError> {
    let saved = SavedPlan::read(&args.plan_file).map_err(CliError::Message)?;
    if args.format == OutputFormat::Json {
        let mut document = saved.plan.clone();
        document["command"] = serde_json::json!("show");
        print_json(&document)?;
        return Ok(Exit::Success);
    }
    let file = global
        .file
        .clone()
        .unwrap_or_else(|| saved.desired_state.file.clone().into());
    let desired = load_file(&file)?
        .only(&saved.options.targets)
        .map_err(CliError::Message)?;
    if desired.digest != saved.desired_state.sha256 {
        return Err(CliError::Message(format!(
            "{} changed since {} was made, so the plan cannot be shown as text; `keyrot show {} \
             --format json` shows it as recorded",
            desired.source,
            args.plan_file.display(),
            args.plan_file.display()
        )));
    }
    let options = PlanOptions {
        allow_rapid_rotation: saved.options.allow_rapid_rotation,
        max_rotations: None,
    };
    let plan = plan(&desired, &saved.observed, saved.now, options)?;
    print_plan(
        &plan,
        &desired,
        args.format,
        Command::Show,
        stdout_style(global.color),
    )?;
    Ok(Exit::Success)
}
