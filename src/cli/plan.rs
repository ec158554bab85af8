//! `keyrot plan`: read the live state and show what apply would change.

use jiff::Timestamp;

use super::args::{GlobalArgs, PlanArgs};
use super::exit::{CliError, Exit};
use super::output::{env_var, stdout_style};
use super::planning::read_and_plan;
use crate::config::load_file;
use crate::plan::PlanOptions;
use crate::provider::Providers;
use crate::render::render_plan;

/// Runs `keyrot plan`.
pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<Exit, CliError> {
    let desired = load_file(&global.file())?;
    let providers = Providers::from_env(&desired, env_var)?;
    let options = PlanOptions {
        allow_rapid_rotation: args.allow_rapid_rotation,
        max_rotations: None,
    };
    let now = global.now.unwrap_or_else(Timestamp::now);
    let plan = read_and_plan(&desired, &providers, now, options).await?;
    print!(
        "{}",
        render_plan(&plan, &desired.source, stdout_style(global.color))
    );
    if args.detailed_exitcode && !plan.is_empty() {
        return Ok(Exit::Changes);
    }
    Ok(Exit::Success)
}
