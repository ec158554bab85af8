//! `keyrot plan`: read the live state and show what apply would change.

use super::args::{GlobalArgs, PlanArgs};
use super::context::RunContext;
use super::exit::{CliError, Exit};
use super::planning::read_and_plan;
use crate::config::load_file;
use crate::plan::PlanOptions;
use crate::render::render_plan;

/// Runs `keyrot plan`.
pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<Exit, CliError> {
    let desired = load_file(&global.file())?;
    let context = RunContext::new(global);
    let providers = context.providers(&desired)?;
    let options = PlanOptions {
        allow_rapid_rotation: args.allow_rapid_rotation,
        max_rotations: None,
    };
    let plan = read_and_plan(&context, &desired, &providers, options).await?;
    print!("{}", render_plan(&plan, &desired.source, context.style));
    if args.detailed_exitcode && !plan.is_empty() {
        return Ok(Exit::Changes);
    }
    Ok(Exit::Success)
}
