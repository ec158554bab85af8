//! `keyrot sandbox`: serve the embedded API simulator until Ctrl-C.

use std::time::Duration;

use super::args::{FaultArgs, FaultTargetArg, GlobalArgs, SandboxArgs};
use super::exit::{CliError, Exit};
use super::output::Printer;
use crate::config::{DesiredState, load_file};
use crate::render::resources_counted;
use crate::sandbox::{Clock, FaultTarget, Faults, Sandbox, SandboxConfig, ServerRateLimit};
use crate::vendor::registry;

/// Runs `keyrot sandbox`.
pub async fn run(
    global: &GlobalArgs,
    printer: &Printer,
    args: &SandboxArgs,
) -> Result<Exit, CliError> {
    let clock = global.now.map_or(Clock::System, Clock::Fixed);
    let seed = args.seed.as_deref().map(load_seed).transpose()?;
    if !args.listen.ip().is_loopback() {
        printer.warn(&format!(
            "# warning: listening on {} serves the sandbox (and its tokens) to other machines, and \
             keyrot accepts plain http:// only for loopback hosts: use 127.0.0.1",
            args.listen.ip()
        ));
    }
    let sandbox = start_seeded(seed.as_ref(), clock, args.listen, faults(&args.faults)).await?;
    printer.say(&sandbox.shell_exports());
    printer.note(&format!(
        "# keyrot sandbox: serving {} on {}; Ctrl-C stops it",
        resources_counted(seed.as_ref()),
        sandbox.address()
    ));
    tokio::signal::ctrl_c()
        .await
        .map_err(|error| CliError::Environment(format!("cannot wait for Ctrl-C: {error}")))?;
    printer.note("# keyrot sandbox: stopped");
    Ok(Exit::Success)
}

/// The desired-state file `--seed` names; one that is not there is named as `--seed`'s.
fn load_seed(path: &std::path::Path) -> Result<DesiredState, CliError> {
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "--seed {}: no such file; name a desired-state file to seed the sandbox from",
            path.display()
        )));
    }
    Ok(load_file(path)?)
}

/// Starts a sandbox with fresh credentials, holding the accounts of `seed` (if any) and
/// injecting `faults`.
pub async fn start_seeded(
    seed: Option<&DesiredState>,
    clock: Clock,
    listen: std::net::SocketAddr,
    faults: Faults,
) -> Result<Sandbox, CliError> {
    let config = SandboxConfig {
        clock,
        vendors: registry::simulated_vendors(seed, clock),
        faults,
    };
    Sandbox::start(listen, config)
        .await
        .map_err(|error| CliError::Environment(format!("cannot listen on {listen}: {error}")))
}

fn faults(args: &FaultArgs) -> Faults {
    Faults {
        latency: args.latency.unwrap_or_default(),
        error_rate: args.error_rate,
        throttle_rate: args.throttle_rate,
        drop_rate: args.drop_rate,
        rotate_then_drop_rate: args.rotate_drop_rate,
        rate_limit: args.rate_limit.map(|limit| ServerRateLimit {
            requests: limit.requests,
            window: Duration::try_from(limit.per).unwrap_or_default(),
            block: args.rate_limit_block,
        }),
        target: match args.faults_on {
            FaultTargetArg::All => FaultTarget::All,
            FaultTargetArg::Rotates => FaultTarget::Rotates,
        },
        seed: args.fault_seed,
        endless_pages: args.endless_pages,
        endless_body: args.endless_body,
        ever_new_items: args.ever_new_items,
        rotate_then_hang: args.rotate_hang,
        rotate_unchanged: args.rotate_unchanged,
        hostile_messages: args.hostile_messages,
        date_offset: args.date_offset.unwrap_or_default(),
        date_offset_after: args.date_offset_after,
        gather: args.gather,
    }
}
