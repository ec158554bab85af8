//! `keyrot plan`: read the live state and show what apply would change; optionally save it.

use super::apply_ui::{end_on_signal, warn_of_file_sinks_on_ci};
use super::args::{GlobalArgs, OutputFormat, PlanArgs};
use super::context::RunContext;
use super::emit::{print_plan, source};
use super::exit::{CliError, Exit};
use super::options::PlanCommand;
use super::output::Printer;
use super::planning::{load_targeted_replacing, observe, partial};
use super::preview::{Evaluation, Preview, at_evaluation, print_header};
use super::state;
use crate::apply::{Observed, SavedPlan, recovery_dir, unusable_sinks};
use crate::plan::plan;
use crate::render::Command;

/// Runs `keyrot plan`.
pub async fn run(
    global: &GlobalArgs,
    printer: &Printer,
    args: &PlanArgs,
) -> Result<Exit, CliError> {
    let _signals = end_on_signal(printer, "plan stopped; a plan changes nothing");
    let mut command = PlanCommand::new(args);
    let (desired, replace) =
        load_targeted_replacing(global, &command.targets, &command.options.replace)?;
    command.options.replace = replace;
    let context = RunContext::new(global, printer, command.format == OutputFormat::Human);
    let providers = context.providers(&desired)?;
    let state = state::backend_for_reading(printer, &desired).await?;
    let all = desired.resource_count();
    let observed = observe(&context, &desired, &providers, state.as_deref()).await?;
    // A resource that could not be read is left out, loudly: it does not hold up the others.
    let Observed {
        readable: desired,
        live,
        errors,
        unread,
    } = observed
        .refuse_when_nothing_was_read()
        .map_err(CliError::Provider)?;
    let Evaluation {
        live,
        now,
        preview,
        clock_trouble,
    } = at_evaluation(&context, &desired, live);
    let mut plan = plan(&desired, &live, now, command.options.clone())?;
    // A plan that left a resource out is shown, never saved: its apply would skip it silently.
    let saved = match (&command.out, errors.is_empty()) {
        (Some(out), true) => {
            refuse_to_save_a_preview(preview.as_ref())?;
            SavedPlan::new(&desired, command.saved_options(), live, plan.clone())
                .write(out)
                .map_err(|reason| CliError::Write {
                    what: "",
                    path: out.clone(),
                    reason: reason.to_string(),
                })?;
            Some(out)
        }
        _ => None,
    };
    if let Some(trouble) = &clock_trouble {
        printer.warn(&format!(
            "warning: {}; `keyrot apply` refuses every rotation by age, deadline or gap until \
             they agree",
            trouble.message
        ));
    }
    plan.clock_trouble = clock_trouble;
    plan.partial = partial(&desired, unread);
    print_header(printer, preview.as_ref(), command.format, context.style);
    print_plan(
        printer,
        &plan,
        source(&desired),
        command.format,
        Command::Plan,
        context.style,
    );
    warn_of_file_sinks_on_ci(printer, &plan);
    warn_of_unusable_sinks(printer, &plan, &desired);
    // Said after the plan, which it is about.
    if let Some(out) = saved {
        printer.note(&format!(
            "Saved the plan to {}. `keyrot show {0}` shows it; `keyrot apply {0}` applies exactly \
             it, after checking that nothing it touches changed.",
            out.display()
        ));
    }
    if !errors.is_empty() {
        if let Some(out) = &command.out {
            let them = if unread == 1 { "it" } else { "them" };
            printer.warn(&format!(
                "{}: not saved: an apply of this plan would leave out what could not be read \
                 without a word; fix {them}, or leave {them} out with --target",
                out.display()
            ));
        }
        return Err(CliError::LeftOut {
            command: "plan",
            rest: "planned",
            left_out: (unread, all),
            errors,
        });
    }
    // A secret waiting in a recovery file is work for apply, as an action is.
    if command.detailed_exitcode && (!plan.is_empty() || !plan.awaiting_delivery.is_empty()) {
        return Ok(Exit::Changes);
    }
    Ok(Exit::Success)
}

/// A plan of a later instant assumes rotations that have not happened: apply would find the
/// live state different from what it recorded. Nothing is written.
fn refuse_to_save_a_preview(preview: Option<&Preview>) -> Result<(), CliError> {
    match preview {
        Some(preview) if preview.at > preview.read_at => Err(CliError::Usage(
            "--out: this plan is a preview of a later instant (--now), made from scheduled \
             rotations that have not happened yet, so it cannot be applied; save a plan without \
             --now"
                .to_owned(),
        )),
        _ => Ok(()),
    }
}

/// The sinks `keyrot apply` would refuse before its first rotate, said now rather than then.
fn warn_of_unusable_sinks(
    printer: &Printer,
    plan: &crate::plan::Plan,
    desired: &crate::config::DesiredState,
) {
    let file = std::path::PathBuf::from(&desired.source);
    let protected = [(file.clone(), "the desired-state file")];
    for (resource, error) in unusable_sinks(plan, &recovery_dir(&file), &protected) {
        printer.warn(&format!(
            "warning: {resource}: {error}; `keyrot apply` will refuse to rotate until this is fixed"
        ));
    }
}
