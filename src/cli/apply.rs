//! `keyrot apply`: plan, ask for approval, carry the plan out, report every action.

use jiff::Timestamp;

use super::args::{ApplyArgs, GlobalArgs};
use super::exit::{CliError, Exit};
use super::output::{env_var, stdout_style};
use super::planning::read_and_plan;
use super::prompt::confirm_apply;
use crate::apply::apply;
use crate::config::{DesiredState, load_file};
use crate::plan::{Plan, PlanOptions};
use crate::provider::{ActionWriter, Providers};
use crate::render::{Style, render_apply_summary, render_outcome, render_plan};

/// Runs `keyrot apply`.
pub async fn run(global: &GlobalArgs, args: &ApplyArgs) -> Result<Exit, CliError> {
    let desired = load_file(&global.file())?;
    let providers = Providers::from_env(&desired, env_var)?;
    let options = PlanOptions {
        allow_rapid_rotation: args.allow_rapid_rotation,
        max_rotations: args.max_rotations,
    };
    let now = global.now.unwrap_or_else(Timestamp::now);
    let plan = read_and_plan(&desired, &providers, now, options).await?;
    let style = stdout_style(global.color);
    print!("{}", render_plan(&plan, &desired.source, style));
    if plan.is_empty() {
        println!("Nothing to apply.");
        return Ok(Exit::Success);
    }
    refuse_over_limit(&plan)?;
    if !args.auto_approve && !confirm_apply()? {
        return Err(CliError::Message(
            "apply cancelled: only 'yes' approves; nothing was changed".to_owned(),
        ));
    }
    println!();
    execute(&desired, &plan, &providers, style).await
}

/// The rotation guardrail: a plan with more rotations than allowed is refused before any write.
fn refuse_over_limit(plan: &Plan) -> Result<(), CliError> {
    if !plan.exceeds_rotation_limit() {
        return Ok(());
    }
    let rotations = plan.counts().rotations;
    Err(CliError::Refused(format!(
        "refusing to apply: the plan rotates {rotations} keys, more than the limit of {} \
         (settings.max_rotations_per_apply or --max-rotations); nothing was changed. To apply \
         it anyway, run apply with --max-rotations {rotations}, or target fewer resources.",
        plan.max_rotations_per_apply
    )))
}

/// Carries out an approved plan, printing each action as it settles, then the summary.
pub async fn execute(
    desired: &DesiredState,
    plan: &Plan,
    writer: &impl ActionWriter,
    style: Style,
) -> Result<Exit, CliError> {
    let report = apply(plan, writer, |entry| {
        println!("{}", render_outcome(entry, style))
    })
    .await;
    println!("\n{}", render_apply_summary(&report, plan, style));
    if report.succeeded() {
        Ok(Exit::Success)
    } else {
        Err(CliError::Message(format!(
            "some actions failed; the live state is between the plan and {}",
            desired.source
        )))
    }
}
