//! `keyrot plan`: read the live state and show what apply would change; optionally save it.

use super::args::{GlobalArgs, OutputFormat, PlanArgs};
use super::context::RunContext;
use super::emit::{print_plan, source};
use super::exit::{CliError, Exit};
use super::planning::load_targeted;
use super::planning::read_live;
use crate::apply::{SavedOptions, SavedPlan};
use crate::plan::{PlanOptions, plan};
use crate::render::{Command, plan_document};

/// Runs `keyrot plan`.
pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<Exit, CliError> {
    let desired = load_targeted(global, &args.targets)?;
    let context = RunContext::new(global, args.format == OutputFormat::Human);
    let providers = context.providers(&desired)?;
    let options = PlanOptions {
        allow_rapid_rotation: args.allow_rapid_rotation,
        max_rotations: None,
    };
    let live = read_live(&context, &desired, &providers).await?;
    let plan = plan(&desired, &live, context.now, options)?;
    if let Some(out) = &args.out {
        let saved_options = SavedOptions {
            allow_rapid_rotation: args.allow_rapid_rotation,
            targets: args.targets.clone(),
        };
        let document = plan_document(&plan, source(&desired), Command::Plan);
        SavedPlan::new(&desired, context.now, saved_options, live, document)
            .write(out)
            .map_err(CliError::Message)?;
    }
    print_plan(&plan, &desired, args.format, Command::Plan, context.style)?;
    if args.detailed_exitcode && !plan.is_empty() {
        return Ok(Exit::Changes);
    }
    Ok(Exit::Success)
}
