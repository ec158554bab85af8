//! `keyrot apply`: plan, ask for approval, carry the plan out, report every action.

use std::path::{Path, PathBuf};

use super::args::{ApplyArgs, GlobalArgs};
use super::context::RunContext;
use super::exit::{CliError, Exit};
use super::planning::read_and_plan;
use super::prompt::confirm_apply;

use crate::apply::{ApplyOptions, StopReason, StopSignal, apply, unusable_sinks};
use crate::config::{DesiredState, load_file};
use crate::plan::{Plan, PlanOptions};
use crate::provider::ActionWriter;
use crate::render::{render_apply_summary, render_outcome, render_plan};

/// Runs `keyrot apply`.
pub async fn run(global: &GlobalArgs, args: &ApplyArgs) -> Result<Exit, CliError> {
    let desired = load_file(&global.file())?;
    let context = RunContext::new(global);
    let providers = context.providers(&desired)?;
    let options = PlanOptions {
        allow_rapid_rotation: args.allow_rapid_rotation,
        max_rotations: args.max_rotations,
    };
    let plan = read_and_plan(&context, &desired, &providers, options).await?;
    print!("{}", render_plan(&plan, &desired.source, context.style));
    if plan.is_empty() {
        println!("Nothing to apply.");
        return Ok(Exit::Success);
    }
    refuse_over_limit(&plan)?;
    refuse_unusable_sinks(&plan)?;
    if !args.auto_approve && !confirm_apply()? {
        return Err(CliError::Message(
            "apply cancelled: only 'yes' approves; nothing was changed".to_owned(),
        ));
    }
    println!();
    let options = ApplyOptions {
        parallelism: context.parallelism,
        fail_fast: args.fail_fast,
        recovery_dir: recovery_dir(&global.file()),
    };
    execute(&context, &desired, &plan, &providers, options).await
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

/// Every sink a rotation will deliver to is checked before the first rotate; one that cannot
/// take a secret refuses the whole run, so no secret is issued into nowhere.
pub fn refuse_unusable_sinks(plan: &Plan) -> Result<(), CliError> {
    let unusable = unusable_sinks(plan);
    if unusable.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = unusable
        .iter()
        .map(|(resource, error)| format!("  {resource}: {error}"))
        .collect();
    Err(CliError::Message(format!(
        "refusing to apply: {} cannot take a new secret, so no key was rotated:\n{}",
        if unusable.len() == 1 {
            "a secret sink"
        } else {
            "secret sinks"
        },
        list.join("\n")
    )))
}

/// `.keyrot/recovered/` beside the desired-state file.
pub fn recovery_dir(desired_file: &Path) -> PathBuf {
    let directory = match desired_file.parent() {
        Some(directory) if !directory.as_os_str().is_empty() => directory,
        _ => Path::new("."),
    };
    directory.join(".keyrot").join("recovered")
}

/// Carries out an approved plan, printing each resource's outcomes in file order as they
/// settle, then the summary. The first Ctrl-C stops new actions and lets in-flight ones
/// finish; a second exits at once.
pub async fn execute(
    context: &RunContext,
    desired: &DesiredState,
    plan: &Plan,
    writer: &impl ActionWriter,
    options: ApplyOptions,
) -> Result<Exit, CliError> {
    let stop = StopSignal::new();
    let watcher = tokio::spawn(watch_interrupts(stop.clone()));
    let progress =
        context.progress_bar(plan.counts().updates + plan.counts().rotations, "applying");
    let report = apply(plan, writer, options, &stop, |entries| {
        for entry in entries {
            progress.println(&render_outcome(entry, context.style));
        }
        progress.advance(entries.len());
    })
    .await;
    progress.finish();
    watcher.abort();
    println!("\n{}", render_apply_summary(&report, plan, context.style));
    if report.interrupted {
        return Ok(Exit::Interrupted);
    }
    if report.succeeded() {
        return Ok(Exit::Success);
    }
    Err(CliError::Message(format!(
        "some actions failed; the live state is between the plan and {}",
        desired.source
    )))
}

async fn watch_interrupts(stop: StopSignal) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    stop.stop(StopReason::Interrupted);
    eprintln!(
        "\nInterrupted: no new actions will start; in-flight ones are finishing. \
         Press Ctrl-C again to exit at once."
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}
