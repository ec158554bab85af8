//! `keyrot apply`: a fresh plan approved at the terminal, or a saved plan applied as it is
//! after checking that nothing it touches changed since; the engine does the work.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::apply_ui::TerminalUi;
use super::args::{ApplyArgs, GlobalArgs, OutputFormat};
use super::context::RunContext;
use super::exit::{CliError, Exit};
use super::options::{ApplyCommand, ApplyFrom};
use super::output::Printer;
use super::planning::load_targeted_replacing;
use super::state::{self, this_run};
use crate::apply::{ApplyOptions, Engine, PlanSource, SavedPlan, StopSignal, recovery_dir};
use crate::config::{DesiredState, load_file};
use crate::plan::PlanOptions;

/// Runs `keyrot apply`.
pub async fn run(
    global: &GlobalArgs,
    printer: &Printer,
    args: &ApplyArgs,
) -> Result<Exit, CliError> {
    let command = ApplyCommand::new(args)?;
    let (desired, source, allow_rapid_rotation) = match &command.from {
        ApplyFrom::Fresh {
            targets,
            allow_rapid_rotation,
            replace,
        } => {
            let (desired, replace) = load_targeted_replacing(global, targets, replace)?;
            let options = PlanOptions {
                allow_rapid_rotation: *allow_rapid_rotation,
                max_rotations: command.max_rotations,
                replace,
            };
            let source = PlanSource::Fresh {
                options,
                now: global.now,
            };
            (desired, source, *allow_rapid_rotation)
        }
        ApplyFrom::Saved(path) => saved_source(global, &command, path)?,
    };
    let context = RunContext::new(global, printer, command.format == OutputFormat::Human);
    let providers = context.providers(&desired)?;
    let options = ApplyOptions {
        parallelism: context.parallelism,
        fail_fast: command.fail_fast,
        recovery_dir: recovery_dir(Path::new(&desired.source)),
        allow_rapid_rotation,
        holder: this_run(Timestamp::now()),
        lock_timeout: command.lock_timeout,
        protected_files: protected_files(&desired, &command),
    };
    let stop = StopSignal::new();
    let state = state::backend(&desired).await?;
    let engine = Engine {
        providers: &providers,
        clock: &context.api_clock(&desired),
        stop: stop.clone(),
        state: state.as_ref(),
        write_gate: context.http.write_gate.clone(),
    };
    let ui = TerminalUi::new(&context, &desired, command.format, stop);
    let applied = engine
        .run(&desired, source, command.approval, &options, &ui)
        .await;
    state::warn_of_damaged_records(printer, state.as_ref());
    ui.finish(&applied?)
}

/// The desired-state file, which no secret may overwrite, with what it is.
pub(super) fn desired_state_file(desired: &DesiredState) -> (PathBuf, &'static str) {
    (PathBuf::from(&desired.source), "the desired-state file")
}

/// The files no secret may overwrite: the desired-state file and the saved plan.
fn protected_files(desired: &DesiredState, command: &ApplyCommand) -> Vec<(PathBuf, &'static str)> {
    let mut files = vec![desired_state_file(desired)];
    if let ApplyFrom::Saved(plan) = &command.from {
        files.push((plan.clone(), "the saved plan being applied"));
    }
    files
}

/// A saved plan checked against the file it was made from (`-f` overrides where that is).
fn saved_source(
    global: &GlobalArgs,
    command: &ApplyCommand,
    path: &Path,
) -> Result<(DesiredState, PlanSource, bool), CliError> {
    let saved = SavedPlan::read(path)?;
    let file = global
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(&saved.desired_state.file));
    let desired = load_file(&file)?.only(&saved.options.targets)?;
    let verified = saved.verify(path, &desired, command.max_rotations)?;
    let allow_rapid_rotation = verified.allow_rapid_rotation;
    Ok((
        desired,
        PlanSource::Saved(Box::new(verified)),
        allow_rapid_rotation,
    ))
}
