//! `keyrot journal verify|repair`: what the journal holds, and damaged records moved aside
//! without losing any record that can be read.

use std::time::Duration;

use jiff::Timestamp;

use super::args::{GlobalArgs, JournalAction};
use super::exit::{CliError, Exit};
use super::output::Printer;
use super::state::{self, this_run};
use std::path::Path;

use crate::apply::{ApplyError, recovery_dir, waiting_secrets};
use crate::config::load_file;
use crate::plan::instant_in_words;
use crate::render::counted;
use crate::state::{Ledger, StateBackend};
use crate::text::Printable;

/// Runs `keyrot journal ACTION`.
pub async fn run(
    global: &GlobalArgs,
    printer: &Printer,
    action: JournalAction,
) -> Result<Exit, CliError> {
    let desired = load_file(&global.file())?;
    let backend = state::backend(&desired).await?;
    match action {
        JournalAction::Verify => {
            let recovery = recovery_dir(Path::new(&desired.source));
            verify(printer, backend.as_ref(), &recovery).await
        }
        JournalAction::Repair => repair(printer, backend.as_ref()).await,
    }
}

async fn verify(
    printer: &Printer,
    backend: &dyn StateBackend,
    recovery_dir: &Path,
) -> Result<Exit, CliError> {
    let records = backend.records().await.map_err(ApplyError::from)?;
    let ledger = Ledger::new(&records);
    let open = ledger.open_writes(None);
    let (waiting, mut lost) = waiting_secrets(&ledger, recovery_dir);
    lost.extend(ledger.lost_secrets());
    let damaged = backend.damaged();
    printer.sayln(&format!(
        "Journal in {}: {}, {}.",
        backend.location(),
        counted(records.len(), "record"),
        counted(ledger.writes.len(), "write")
    ));
    printer.sayln(&counted_line(
        "Open writes",
        open.len(),
        "the next plan, drift or apply settles each by reading its resource",
    ));
    for write in open {
        printer.sayln(&format!(
            "  {}: run {} at {}",
            write.intent.resource,
            write.run_id,
            instant_in_words(write.at)
        ));
    }
    printer.sayln(&counted_line(
        "Lost secrets",
        lost.len(),
        "the next apply rotates each key again and delivers its secret",
    ));
    for secret in &lost {
        printer.sayln(&format!(
            "  {}: lost by run {} at {}",
            secret.resource,
            secret.run_id,
            instant_in_words(secret.at)
        ));
    }
    printer.sayln(&counted_line(
        "Secrets waiting in recovery files",
        waiting.len(),
        "`keyrot deliver NAME` or the next apply delivers each",
    ));
    for secret in &waiting {
        printer.sayln(&format!(
            "  {}: {} since {}",
            secret.entry.resource,
            secret.file.display(),
            instant_in_words(secret.entry.since)
        ));
    }
    printer.sayln(&counted_line(
        "Damaged records",
        damaged.len(),
        "skipped; the records around them are used",
    ));
    for record in &damaged {
        printer.sayln(&format!("  {}: {}", record.place, Printable(&record.error)));
    }
    if damaged.is_empty() {
        return Ok(Exit::Success);
    }
    printer.sayln(
        "`keyrot journal repair` moves them aside; it keeps every record that can be read, so \
         no lost secret is forgotten.",
    );
    Err(CliError::SelfCheck(format!(
        "the journal in {} has {}",
        backend.location(),
        counted(damaged.len(), "damaged record")
    )))
}

async fn repair(printer: &Printer, backend: &dyn StateBackend) -> Result<Exit, CliError> {
    let holder = this_run(Timestamp::now());
    let lock = backend
        .lock(&holder, Duration::ZERO)
        .await
        .map_err(ApplyError::from)?;
    let repaired = move_aside(backend).await;
    lock.release().await;
    printer.sayln(&repaired?);
    Ok(Exit::Success)
}

/// Moves the damaged records aside; says what it did.
async fn move_aside(backend: &dyn StateBackend) -> Result<String, CliError> {
    let records = backend.records().await.map_err(ApplyError::from)?;
    let damaged = backend.damaged();
    if damaged.is_empty() {
        return Ok(format!(
            "Nothing to repair: every record of the journal in {} can be read.",
            backend.location()
        ));
    }
    let lost_before = Ledger::new(&records).lost_secrets();
    let aside = backend
        .set_damaged_aside()
        .await
        .map_err(ApplyError::from)?;
    let kept = backend.records().await.map_err(ApplyError::from)?;
    let lost_after = Ledger::new(&kept).lost_secrets();
    if lost_after != lost_before || !backend.damaged().is_empty() {
        return Err(CliError::SelfCheck(
            "the repaired journal does not read as the old one's readable records did".to_owned(),
        ));
    }
    Ok(format!(
        "Moved {} to {aside}; kept {}, and every lost secret they record ({}).",
        counted(damaged.len(), "damaged record"),
        counted(kept.len(), "record"),
        lost_after.len()
    ))
}

/// `What: N (what happens to them)`, the explanation only when there are some.
fn counted_line(what: &str, count: usize, explanation: &str) -> String {
    match count {
        0 => format!("{what}: 0"),
        _ => format!("{what}: {count} ({explanation})"),
    }
}
