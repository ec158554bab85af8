//! `keyrot apply`: a fresh plan approved at the terminal, or a saved plan applied as it is
//! after checking that nothing it touches changed since; then every action's outcome.

use std::path::{Path, PathBuf};

use super::args::{ApplyArgs, GlobalArgs, OutputFormat};
use super::context::RunContext;
use super::emit::{print_apply, print_plan, source};
use super::exit::{CliError, Exit};
use super::output::{sayln, warn};
use super::planning::load_targeted;
use super::planning::read_live;
use super::prompt::confirm_apply;
use crate::apply::{
    ApplyOptions, ApplyReport, SavedPlan, StopReason, StopSignal, apply, unusable_sinks,
};
use crate::config::{DesiredState, load_file};
use crate::plan::{LiveState, Plan, PlanOptions, plan};
use crate::provider::{ActionWriter, Providers};
use crate::render::{Command, plan_document, render_apply_summary, render_outcome};

/// Runs `keyrot apply`.
pub async fn run(global: &GlobalArgs, args: &ApplyArgs) -> Result<Exit, CliError> {
    match &args.plan_file {
        Some(path) => apply_saved(global, args, path).await,
        None => apply_fresh(global, args).await,
    }
}

async fn apply_fresh(global: &GlobalArgs, args: &ApplyArgs) -> Result<Exit, CliError> {
    let desired = load_targeted(global, &args.targets)?;
    let context = RunContext::new(global, args.format == OutputFormat::Human);
    let providers = context.providers(&desired)?;
    let options = PlanOptions {
        allow_rapid_rotation: args.allow_rapid_rotation,
        max_rotations: args.max_rotations,
    };
    let live = read_live(&context, &desired, &providers).await?;
    let plan = plan(&desired, &live, context.now, options)?;
    if !args.auto_approve && args.format != OutputFormat::Human {
        return Err(CliError::Message(format!(
            "apply --format {} cannot ask for approval; nothing was changed. Pass \
             --auto-approve, or apply a plan saved with `keyrot plan --out FILE`",
            if args.format == OutputFormat::Json {
                "json"
            } else {
                "markdown"
            }
        )));
    }
    let approval = if args.auto_approve {
        Approval::Given
    } else {
        Approval::AskOnTerminal { observed: live }
    };
    let rapid = args.allow_rapid_rotation;
    run_plan(&context, &desired, &plan, &providers, args, approval, rapid).await
}

/// Applies a saved plan: the desired-state file must be unchanged, the plan must be what this
/// keyrot computes from what it recorded, and every resource it touches must still be as it
/// was observed; otherwise nothing is written.
async fn apply_saved(global: &GlobalArgs, args: &ApplyArgs, path: &Path) -> Result<Exit, CliError> {
    let saved = SavedPlan::read(path).map_err(CliError::Message)?;
    let file = global
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(&saved.desired_state.file));
    let desired = load_file(&file)?
        .only(&saved.options.targets)
        .map_err(CliError::Message)?;
    if let Some(reason) = saved.file_changed(&desired) {
        return Err(stale(path, &[reason]));
    }
    let options = PlanOptions {
        allow_rapid_rotation: saved.options.allow_rapid_rotation,
        max_rotations: args.max_rotations,
    };
    let plan = plan(&desired, &saved.observed, saved.now, options)?;
    let recomputed = plan_document(&plan, source(&desired), Command::Plan);
    if recomputed["resources"] != saved.plan["resources"] {
        return Err(CliError::Message(format!(
            "{}: the saved plan is not what this keyrot computes from the state it recorded (was \
             it edited, or made by another version?); nothing was changed. Run `keyrot plan \
             --out` again",
            path.display()
        )));
    }
    let context = RunContext::new(global, args.format == OutputFormat::Human);
    let providers = context.providers(&desired)?;
    let changes = changes_since(&context, &desired, &plan, &providers, &saved.observed).await?;
    if !changes.is_empty() {
        return Err(stale(path, &changes));
    }
    let rapid = saved.options.allow_rapid_rotation;
    run_plan(
        &context,
        &desired,
        &plan,
        &providers,
        args,
        Approval::Given,
        rapid,
    )
    .await
}

fn stale(path: &Path, reasons: &[String]) -> CliError {
    CliError::Message(format!(
        "plan is stale: {} no longer matches what it was made from; nothing was changed. Run \
         `keyrot plan --out` again.\n  {}",
        path.display(),
        reasons.join("\n  ")
    ))
}

/// Whether the plan still needs a `yes`.
enum Approval {
    Given,
    /// Ask; then, since time passed, check that what the plan touches is still as `observed`.
    AskOnTerminal {
        observed: LiveState,
    },
}

/// What changed, in the resources `plan` touches, since `observed` was read.
async fn changes_since(
    context: &RunContext,
    desired: &DesiredState,
    plan: &Plan,
    providers: &Providers,
    observed: &LiveState,
) -> Result<Vec<String>, CliError> {
    let touched: Vec<String> = plan
        .resources
        .iter()
        .filter(|resource| !resource.actions.is_empty())
        .map(|resource| resource.name.clone())
        .collect();
    if touched.is_empty() {
        return Ok(Vec::new());
    }
    let touched_desired = desired.clone().only(&touched).map_err(CliError::Message)?;
    let fresh = read_live(context, &touched_desired, providers).await?;
    Ok(observed.differences(&fresh))
}

async fn run_plan(
    context: &RunContext,
    desired: &DesiredState,
    plan: &Plan,
    providers: &Providers,
    args: &ApplyArgs,
    approval: Approval,
    allow_rapid_rotation: bool,
) -> Result<Exit, CliError> {
    let human = args.format == OutputFormat::Human;
    if human {
        print_plan(plan, desired, args.format, Command::Apply, context.style)?;
    }
    if plan.is_empty() {
        if human {
            sayln("Nothing to apply.");
        } else {
            print_apply(plan, &ApplyReport::default(), desired, args.format)?;
        }
        return Ok(Exit::Success);
    }
    refuse_over_limit(plan)?;
    let recovery = recovery_dir(&desired_file(desired));
    refuse_unusable_sinks(plan, &recovery)?;
    if let Approval::AskOnTerminal { observed } = &approval {
        if !confirm_apply()? {
            return Err(CliError::Message(
                "apply cancelled: only 'yes' approves; nothing was changed".to_owned(),
            ));
        }
        let changes = changes_since(context, desired, plan, providers, observed).await?;
        if !changes.is_empty() {
            return Err(CliError::Message(format!(
                "the live state changed while waiting for approval; nothing was changed. Run \
                 `keyrot apply` again to see a fresh plan.\n  {}",
                changes.join("\n  ")
            )));
        }
    }
    if human {
        sayln("");
    }
    let options = ApplyOptions {
        parallelism: context.parallelism,
        fail_fast: args.fail_fast,
        recovery_dir: recovery,
        allow_rapid_rotation,
    };
    execute(context, desired, plan, providers, options, args.format).await
}

fn desired_file(desired: &DesiredState) -> PathBuf {
    PathBuf::from(&desired.source)
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
pub fn refuse_unusable_sinks(plan: &Plan, recovery_dir: &Path) -> Result<(), CliError> {
    let unusable = unusable_sinks(plan, recovery_dir);
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

/// Carries out an approved plan. Human output prints each resource's outcomes in file order as
/// they settle, then the summary; machine-readable output prints one document at the end. The
/// first Ctrl-C stops new actions and lets in-flight ones finish; a second exits at once.
pub async fn execute(
    context: &RunContext,
    desired: &DesiredState,
    plan: &Plan,
    writer: &impl ActionWriter,
    options: ApplyOptions,
    format: OutputFormat,
) -> Result<Exit, CliError> {
    let human = format == OutputFormat::Human;
    let stop = StopSignal::new();
    let watcher = tokio::spawn(watch_interrupts(stop.clone()));
    let counts = plan.counts();
    let progress = context.progress_bar(counts.updates + counts.rotations, "applying");
    let report = apply(plan, writer, options, &stop, |entries| {
        if human {
            for entry in entries {
                progress.println(&render_outcome(entry, context.style));
            }
        }
        progress.advance(entries.len());
    })
    .await;
    progress.finish();
    watcher.abort();
    if human {
        sayln(&format!(
            "\n{}",
            render_apply_summary(&report, plan, context.style)
        ));
    } else {
        print_apply(plan, &report, desired, format)?;
    }
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
    warn(
        "\nInterrupted: no new actions will start; in-flight ones are finishing. \
         Press Ctrl-C again to exit at once.",
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}
