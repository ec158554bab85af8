//! `keyrot history`: the journal's writes, newest first, for people and auditors.

use std::path::Path;

use jiff::Timestamp;

use super::args::{GlobalArgs, HistoryArgs, HistoryFormat};
use super::emit::print_json;
use super::exit::{CliError, Exit};
use super::output::Printer;
use super::state;
use crate::apply::{ApplyError, kept_records, unjournaled_dir};
use crate::config::load_file;
use crate::render::{history_document, render_history};
use crate::state::Ledger;

/// Runs `keyrot history`.
pub async fn run(
    global: &GlobalArgs,
    printer: &Printer,
    args: &HistoryArgs,
) -> Result<Exit, CliError> {
    let desired = load_file(&global.file())?;
    let backend = state::journal_for_reading(printer, &desired).await?;
    let mut records = match &backend {
        Some(backend) => backend.records().await.map_err(ApplyError::from)?,
        None => Vec::new(),
    };
    // Outcomes kept beside the file while the journal could not take them count already.
    records.extend(kept_records(&unjournaled_dir(Path::new(&desired.source))));
    if let Some(backend) = &backend {
        state::warn_of_damaged_records(printer, backend.as_ref());
    }
    let ledger = Ledger::new(&records);
    refuse_unknown_resources(&args.resources, &desired, &ledger)?;
    let since = args.since.map(|span| {
        Timestamp::now()
            .saturating_sub(span)
            .unwrap_or(Timestamp::MIN)
    });
    let mut writes: Vec<_> = ledger
        .writes
        .iter()
        .filter(|write| {
            args.resources.is_empty() || args.resources.contains(&write.intent.resource)
        })
        .filter(|write| since.is_none_or(|since| write.at >= since))
        .collect();
    writes.reverse();
    match args.format {
        HistoryFormat::Human => printer.say(&render_history(&writes, printer.style())),
        HistoryFormat::Json => print_json(printer, &history_document(&writes)),
    }
    Ok(Exit::Success)
}

/// A `--resource` that neither the file nor the journal knows is a typo, not an empty history.
fn refuse_unknown_resources(
    asked: &[String],
    desired: &crate::config::DesiredState,
    ledger: &Ledger,
) -> Result<(), CliError> {
    let in_file = desired.resource_names();
    let known = |name: &str| {
        in_file.contains(&name)
            || ledger
                .writes
                .iter()
                .any(|write| write.intent.resource == name)
    };
    let unknown: Vec<&str> = asked
        .iter()
        .map(String::as_str)
        .filter(|name| !known(name))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let suggestion = match unknown.as_slice() {
        [one] => crate::config::suggest::nearest(one, &in_file)
            .map(|near| format!(" (did you mean --resource {near}?)"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    Err(CliError::Usage(format!(
        "unknown --resource {}{suggestion}: neither {} nor its journal has it; the resources of \
         the file are: {}",
        unknown.join(", "),
        desired.source,
        in_file.join(", ")
    )))
}
