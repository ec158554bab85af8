//! `keyrot deliver NAME [--acknowledge]`: a new secret that waits in a recovery file goes to
//! its sink (once the key is seen not to have been rotated since), or is recorded as put there
//! by hand, under the apply lock.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;

use super::apply::desired_state_file;
use super::args::{DeliverArgs, GlobalArgs};
use super::clock::SystemClock;
use super::context::RunContext;
use super::exit::{CliError, Exit};
use super::output::Printer;
use super::state::{self, this_run};
use crate::apply::{
    ApplyError, Journal, WaitingSecret, acknowledge, deliver_waiting, recovery_dir, waiting_secrets,
};
use crate::config::DesiredState;
use crate::config::load_file;
use crate::provider::Providers;
use crate::state::{Ledger, LockHolder, StateBackend};

/// Runs `keyrot deliver`.
pub async fn run(
    global: &GlobalArgs,
    printer: &Printer,
    args: &DeliverArgs,
) -> Result<Exit, CliError> {
    let whole = load_file(&global.file())?;
    let names = whole.resource_names_of(std::slice::from_ref(&args.resource), "resource")?;
    let desired = whole.only(&names)?;
    let name = names.first().cloned().unwrap_or_default();
    let context = RunContext::new(global, printer, false);
    let providers = context.providers(&desired)?;
    let backend = state::backend(&desired).await?;
    let holder = this_run(Timestamp::now());
    let lock = backend
        .lock(&holder, Duration::ZERO)
        .await
        .map_err(ApplyError::from)?;
    let done = deliver(backend.as_ref(), &desired, &name, args, &providers, &holder).await;
    lock.release().await;
    printer.sayln(&done?);
    Ok(Exit::Success)
}

async fn deliver(
    backend: &dyn StateBackend,
    desired: &DesiredState,
    name: &str,
    args: &DeliverArgs,
    providers: &Providers,
    holder: &LockHolder,
) -> Result<String, CliError> {
    let secret = waiting_one(backend, desired, name).await?;
    let by = format!("{}@{}", holder.user, holder.host);
    let journal = Journal::new(backend, &SystemClock, &holder.run_id, &by, &holder.command);
    let failed =
        |error: crate::apply::DeliverError| CliError::SelfCheck(format!("{name}: {error}"));
    if args.acknowledge {
        acknowledge(&secret, &journal, &by).await.map_err(failed)?;
        return Ok(format!(
            "{name}: recorded that its secret is where it belongs; removed {}.",
            secret.file.display()
        ));
    }
    let sink = desired
        .resource(name)
        .and_then(|key| key.sink.as_ref())
        .ok_or_else(|| CliError::Usage(format!("{name} has no secret sink")))?;
    let protected = [desired_state_file(desired)];
    deliver_waiting(
        &secret,
        sink,
        &protected,
        providers,
        &journal,
        &holder.run_id,
    )
    .await
    .map_err(failed)?;
    Ok(format!(
        "{name}: delivered the new secret to {}; removed {}.",
        sink,
        secret.file.display()
    ))
}

/// The secret of `name` that waits in a recovery file, or why there is none.
async fn waiting_one(
    backend: &dyn StateBackend,
    desired: &DesiredState,
    name: &str,
) -> Result<WaitingSecret, CliError> {
    let records = backend.records().await.map_err(ApplyError::from)?;
    let recovery = recovery_dir(Path::new(&desired.source));
    let (waiting, lost) = waiting_secrets(&Ledger::new(&records), &recovery);
    if lost.iter().any(|lost| lost.resource == name) {
        return Err(CliError::Usage(format!(
            "{name}: its new secret's recovery file is gone, so the secret is lost; `keyrot \
             apply` rotates the key again and delivers the new one"
        )));
    }
    waiting
        .into_iter()
        .find(|waiting| waiting.entry.resource == name)
        .ok_or_else(|| CliError::Usage(format!("{name}: no new secret waits in a recovery file")))
}
