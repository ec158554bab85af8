//! The state backend of a run, and who this run is, as the lock and the journal record it.

use std::path::Path;

use jiff::Timestamp;

use super::exit::CliError;
use super::output::{Printer, env_var};
use crate::apply::ApplyError;
use crate::config::{Backend, DesiredState};
use crate::state::{
    DATABASE_URL, LocalBackend, LockHolder, PostgresBackend, StateBackend, new_run_id,
};
use crate::text::Printable;

/// The state backend `desired` uses: `.keyrot/` beside the desired-state file, or the
/// PostgreSQL database `KEYROT_DATABASE_URL` names (never a silent fall back to `local`).
pub async fn backend(desired: &DesiredState) -> Result<Box<dyn StateBackend>, CliError> {
    match desired.settings.backend {
        Backend::Local => Ok(Box::new(LocalBackend::beside(Path::new(&desired.source)))),
        Backend::Postgres => {
            let Some(url) = database_url() else {
                return Err(CliError::Usage(format!(
                    "{} sets `settings.backend: postgres`, and {DATABASE_URL} is not set; set it \
                     to the database's postgres:// URL (keyrot never falls back to the local \
                     backend, whose lock other machines cannot see)",
                    desired.source
                )));
            };
            let backend = PostgresBackend::connect(&url)
                .await
                .map_err(ApplyError::from)?;
            Ok(Box::new(backend))
        }
    }
}

/// The journal and lock of `desired`, for a command that only reads them (plan, drift,
/// history): on the postgres backend a role that may only read is enough. `None`, said on
/// stderr with what the command cannot see, when `KEYROT_DATABASE_URL` is not set or the
/// database has no keyrot tables yet.
pub async fn backend_for_reading(
    printer: &Printer,
    desired: &DesiredState,
) -> Result<Option<Box<dyn StateBackend>>, CliError> {
    if desired.settings.backend == Backend::Local {
        return Ok(Some(Box::new(LocalBackend::beside(Path::new(
            &desired.source,
        )))));
    }
    let Some(url) = database_url() else {
        printer.note(&format!(
            "note: {} keeps keyrot's journal in PostgreSQL (`settings.backend: postgres`) and \
             {DATABASE_URL} is not set, so this run does not read it: a write a killed apply \
             left open, a secret lost or waiting in a recovery file, and an apply holding the \
             lock do not show here, and a key whose API does not show its rotations (a \
             Cloudflare API token) looks as old as the API says; `keyrot apply` reads it. A \
             role that may only read is enough to see them (README: \"A read-only database \
             role\")",
            desired.source
        ));
        return Ok(None);
    };
    let backend = PostgresBackend::connect_for_reading(&url)
        .await
        .map_err(ApplyError::from)?;
    if backend.is_none() {
        printer.note(&format!(
            "note: the database {DATABASE_URL} names has no keyrot tables yet: no apply has \
             recorded anything there (the first `keyrot apply` creates them)"
        ));
    }
    Ok(backend.map(|backend| Box::new(backend) as Box<dyn StateBackend>))
}

/// The journal of `desired` for a command that only reads it and has nothing to show without
/// it (history); `None` when no apply has recorded anything yet.
pub async fn journal_for_reading(
    printer: &Printer,
    desired: &DesiredState,
) -> Result<Option<Box<dyn StateBackend>>, CliError> {
    if desired.settings.backend == Backend::Postgres && database_url().is_none() {
        return Err(CliError::Usage(format!(
            "{} sets `settings.backend: postgres`, and {DATABASE_URL} is not set; set it to the \
             database's postgres:// URL (a role that may only read is enough)",
            desired.source
        )));
    }
    backend_for_reading(printer, desired).await
}

/// `KEYROT_DATABASE_URL`, when set and not blank.
fn database_url() -> Option<String> {
    env_var(DATABASE_URL).filter(|url| !url.trim().is_empty())
}

/// Says on stderr which journal records the last read skipped because they were damaged.
pub fn warn_of_damaged_records(printer: &Printer, state: &dyn StateBackend) {
    for damaged in state.damaged() {
        printer.warn(&format!(
            "warning: the journal in {}: {} is damaged and was skipped ({}); the records around \
             it are used. `keyrot journal verify` lists what the journal holds",
            state.location(),
            damaged.place,
            Printable(&damaged.error)
        ));
    }
}

/// This process as a lock holder, with a new run ID and its command line.
pub fn this_run(now: Timestamp) -> LockHolder {
    LockHolder::this_process(&new_run_id(), &command_line(), now, &env_var)
}

/// The command line as typed, program name shortened to `keyrot`. Credentials never come
/// from arguments, so it holds none.
fn command_line() -> String {
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    words.insert(0, "keyrot".to_owned());
    words.join(" ")
}
