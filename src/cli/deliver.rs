//! `keyrot deliver NAME [--acknowledge]`: a new secret that waits in a recovery file goes to
//! its sink (or is recorded as put there by hand), under the apply lock.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;

use super::args::{DeliverArgs, GlobalArgs};
use super::clock::SystemClock;
use super::exit::{CliError, Exit};
use super::output::sayln;
use super::state::{self, this_run};
use crate::apply::{
    ApplyError, Journal, acknowledge, deliver_waiting, recovery_dir, waiting_secrets,
};
use crate::config::load_file;
use crate::state::{Ledger, LockHolder, StateBackend};

/// Runs `keyrot deliver`.
pub async fn run(global: &GlobalArgs, args: &DeliverArgs) -> Result<Exit, CliError> {
    let desired = load_file(&global.file())?;
    let names = desired
        .resource_names_of(std::slice::from_ref(&args.resource), "deliver")
        .map_err(CliError::Usage)?;
    let name = names.first().cloned().unwrap_or_default();
    let backend = state::backend(&desired).await?;
    let holder = this_run(Timestamp::now());
    let lock = backend
        .lock(&holder, Duration::ZERO)
        .await
        .map_err(ApplyError::from)?;
    let delivered = deliver(backend.as_ref(), &desired, &name, args.acknowledge, &holder).await;
    lock.release().await;
    sayln(&delivered?);
    Ok(Exit::Success)
}

async fn deliver(
    backend: &dyn StateBackend,
    desired: &crate::config::DesiredState,
    name: &str,
    by_hand: bool,
    holder: &LockHolder,
) -> Result<String, CliError> {
    let records = backend.records().await.map_err(ApplyError::from)?;
    let recovery = recovery_dir(Path::new(&desired.source));
    let (waiting, lost) = waiting_secrets(&Ledger::new(&records), &recovery);
    if lost.iter().any(|lost| lost.resource == name) {
        return Err(CliError::Usage(format!(
            "{name}: its new secret's recovery file is gone, so the secret is lost; `keyrot \
             apply` rotates the key again and delivers the new one"
        )));
    }
    let Some(secret) = waiting
        .iter()
        .find(|waiting| waiting.entry.resource == name)
    else {
        return Err(CliError::Usage(format!(
            "{name}: no new secret waits in a recovery file"
        )));
    };
    let by = format!("{}@{}", holder.user, holder.host);
    let journal = Journal::new(backend, &SystemClock, &holder.run_id, &by, &holder.command);
    if by_hand {
        acknowledge(secret, &journal, &by)
            .await
            .map_err(|error| CliError::SelfCheck(error.to_string()))?;
        return Ok(format!(
            "{name}: recorded that its secret is where it belongs; removed {}.",
            secret.file.display()
        ));
    }
    let key = desired
        .rixl
        .keys
        .iter()
        .find(|key| key.name == name)
        .ok_or_else(|| CliError::Usage(format!("{name} has no secret sink")))?;
    deliver_waiting(secret, &key.sink, &journal, &holder.run_id)
        .await
        .map_err(|error| CliError::SelfCheck(format!("{name}: {error}")))?;
    Ok(format!(
        "{name}: delivered the new secret to {}; removed {}.",
        key.sink,
        secret.file.display()
    ))
}
