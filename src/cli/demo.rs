//! `keyrot demo`: plan, apply and plan again against a sandbox seeded from the example file.
//! Secrets go to a temporary directory that the demo removes when it ends.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use super::apply_ui::TerminalUi;
use super::args::{GlobalArgs, OutputFormat};
use super::context::RunContext;
use super::exit::{CliError, Exit};
use super::output::Printer;
use super::planning::read_and_plan;
use super::sandbox::start_seeded;
use super::state::this_run;
use crate::apply::{ApplyOptions, Approval, Engine, PlanSource, StopSignal, recovery_dir};
use crate::config::{DesiredState, SecretSink, load_bytes, load_file_resolving_in};
use crate::plan::{Plan, PlanOptions};
use crate::provider::Providers;
use crate::render::{render_plan, resources_counted};
use crate::sandbox::{Clock, Faults, Sandbox};
use crate::state::LocalBackend;
use crate::vendor::registry;

/// The example desired-state file, built in so the demo runs from anywhere.
const EXAMPLE: &str = include_str!("../../examples/keyrot.yaml");
const EXAMPLE_NAME: &str = "examples/keyrot.yaml";

/// Runs `keyrot demo`.
pub async fn run(global: &GlobalArgs, printer: &Printer) -> Result<Exit, CliError> {
    let workspace = tempfile::tempdir().map_err(|error| {
        CliError::Environment(format!("cannot create a temporary directory: {error}"))
    })?;
    let desired = load_demo_file(global, workspace.path())?;
    prepare_sink_directories(&desired, workspace.path())?;
    let state = LocalBackend::new(workspace.path().join(".keyrot"));
    let clock = global.now.map_or(Clock::System, Clock::Fixed);
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let sandbox = start_seeded(Some(&desired), clock, loopback, Faults::default()).await?;
    let context = RunContext::new(global, printer, true);
    let providers = sandbox_providers(&sandbox, &desired, &context)?;
    printer.sayln(&format!(
        "keyrot demo: a sandbox on {} holds {} from {}, some drifted. New secrets \
         go to a temporary directory that the demo removes when it ends.",
        sandbox.address(),
        resources_counted(Some(&desired)),
        desired.source
    ));

    plan_step(&context, &desired, &providers, &state).await?;
    step(printer, "keyrot apply --auto-approve");
    apply(&context, &desired, &providers, &state, workspace.path()).await?;
    let after = plan_step(&context, &desired, &providers, &state).await?;
    converged(&after, &desired)
}

/// Runs and prints `keyrot plan`.
async fn plan_step(
    context: &RunContext,
    desired: &DesiredState,
    providers: &Providers,
    state: &LocalBackend,
) -> Result<Plan, CliError> {
    step(&context.printer, "keyrot plan");
    let plan = read_and_plan(
        context,
        desired,
        providers,
        Some(state),
        PlanOptions::default(),
    )
    .await?;
    context
        .printer
        .say(&render_plan(&plan, &desired.source, context.style));
    Ok(plan)
}

/// Applies a fresh plan as `keyrot apply --auto-approve` would, without showing the plan again.
async fn apply(
    context: &RunContext,
    desired: &DesiredState,
    providers: &Providers,
    state: &LocalBackend,
    workspace: &Path,
) -> Result<Exit, CliError> {
    let options = ApplyOptions {
        parallelism: context.parallelism,
        fail_fast: false,
        recovery_dir: recovery_dir(&workspace.join("keyrot.yaml")),
        allow_rapid_rotation: false,
        holder: this_run(jiff::Timestamp::now()),
        lock_timeout: Duration::ZERO,
        protected_files: Vec::new(),
    };
    let stop = StopSignal::new();
    let engine = Engine {
        providers,
        clock: &context.api_clock(desired),
        stop: stop.clone(),
        state,
        write_gate: context.http.write_gate.clone(),
    };
    let ui = TerminalUi::new(context, desired, OutputFormat::Human, stop).without_plan();
    let source = PlanSource::Fresh {
        options: PlanOptions::default(),
        now: context.given_now,
    };
    let applied = engine
        .run(desired, source, Approval::Given, &options, &ui)
        .await?;
    ui.finish(&applied)
}

/// The file given with `-f`, or the built-in example; file sinks resolve inside `workspace`
/// either way, so the demo never writes a secret into the user's tree.
fn load_demo_file(global: &GlobalArgs, workspace: &Path) -> Result<DesiredState, CliError> {
    match &global.file {
        Some(path) => Ok(load_file_resolving_in(path, workspace)?),
        None => Ok(load_bytes(EXAMPLE_NAME, EXAMPLE.as_bytes(), workspace)?),
    }
}

/// Creates the directories of file sinks inside the workspace.
fn prepare_sink_directories(desired: &DesiredState, workspace: &Path) -> Result<(), CliError> {
    for resource in &desired.resources {
        if let Some(SecretSink::File { path, .. }) = resource.sink.as_deref()
            && let Some(directory) = path.parent().filter(|dir| dir.starts_with(workspace))
        {
            std::fs::create_dir_all(directory).map_err(|error| {
                CliError::Environment(format!("cannot create {}: {error}", directory.display()))
            })?;
        }
    }
    Ok(())
}

fn step(printer: &Printer, command: &str) {
    let style = printer.style();
    printer.sayln(&format!("\n{}\n", style.bold(&format!("$ {command}"))));
}

/// The providers of `desired`, built as every command builds them (each vendor's rate limit
/// from the file), with an environment that names the sandbox and its credentials only.
fn sandbox_providers(
    sandbox: &Sandbox,
    desired: &DesiredState,
    context: &RunContext,
) -> Result<Providers, CliError> {
    let environment = sandbox.environment();
    let var = |name: &str| {
        environment
            .iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| value.clone())
    };
    Ok(Providers::from_env(
        &registry::configure_providers(),
        desired,
        var,
        &context.http,
        context.parallelism,
    )?)
}

fn converged(plan: &Plan, desired: &DesiredState) -> Result<Exit, CliError> {
    if plan.is_empty() {
        Ok(Exit::Success)
    } else {
        Err(CliError::SelfCheck(format!(
            "the second plan still has changes: the live state did not converge to {}",
            desired.source
        )))
    }
}
