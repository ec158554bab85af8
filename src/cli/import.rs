//! `keyrot import`: a desired-state file from what exists live, so a team starts with a plan
//! that shows no changes.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;

use super::args::{GlobalArgs, ImportArgs, ImportOutput};
use super::context::RunContext;
use super::exit::{CliError, Exit};
use super::output::{Printer, env_var};
use super::state::this_run;
use crate::apply::{ApplyError, Ticker};
use crate::atomic_file::write_atomically;
use crate::config::{SINK_PLACEHOLDER, load_bytes};
use crate::state::{LocalBackend, LockGuard, StateBackend};
use crate::vendor::import::{ImportContext, ImportError};

/// Runs `keyrot import`.
pub async fn run(
    global: &GlobalArgs,
    printer: &Printer,
    args: &ImportArgs,
) -> Result<Exit, CliError> {
    let context = RunContext::new(global, printer, true);
    let source = &args.source;
    let output = &source.output;
    // Writing a desired-state file is a change an apply beside it must not race with; its
    // directory must exist (keyrot makes none for a mistyped path).
    let _lock = match &output.out {
        Some(path) => Some(lock_beside(existing_directory(path)?).await?),
        None => None,
    };
    let progress =
        |total, label| -> Box<dyn Ticker + '_> { Box::new(context.progress_bar(total, label)) };
    let import_context = ImportContext {
        http: &context.http,
        parallelism: context.parallelism,
        var: &env_var,
        progress: &progress,
    };
    let imported = (source.vendor.import.run)(&source.matches, import_context)
        .await
        .map_err(|error| match error {
            ImportError::Provider(error) => CliError::from(error),
            ImportError::Usage(message) => CliError::Usage(message),
        })?;
    must_load(&with_sinks_filled_in(&imported.text))?;
    let text = match (&output.out, output.merge) {
        (Some(path), true) => merged_into(path, &imported.text, source.vendor.vendor.key)?,
        _ => imported.text,
    };
    write_output(printer, &text, output)?;
    let written_to = match &output.out {
        Some(path) => format!(" (written to {})", path.display()),
        None => String::new(),
    };
    printer.note(&format!("keyrot import: {}{written_to}", imported.summary));
    Ok(Exit::Success)
}

/// The file as it will be once every placeholder names a sink of its own.
fn with_sinks_filled_in(text: &str) -> String {
    text.split(SINK_PLACEHOLDER)
        .enumerate()
        .map(|(index, part)| match index {
            0 => part.to_owned(),
            n => format!("secrets/key-{n}{part}"),
        })
        .collect()
}

/// An import that keyrot could not read back is a bug; never write one.
fn must_load(text: &str) -> Result<(), CliError> {
    load_bytes("(imported file)", text.as_bytes(), Path::new("."))
        .map(|_| ())
        .map_err(|error| {
            CliError::SelfCheck(format!(
                "the imported file does not validate, so it was not written: {error}"
            ))
        })
}

/// `path`, when the directory it goes in exists.
fn existing_directory(path: &Path) -> Result<&Path, CliError> {
    let directory = crate::atomic_file::directory_of(path);
    match directory.is_dir() {
        true => Ok(path),
        false => Err(CliError::Usage(format!(
            "--out {}: directory {} does not exist; create it first (nothing was written)",
            path.display(),
            directory.display()
        ))),
    }
}

/// The apply lock of the local state beside `path`, as `keyrot apply` on that file takes it.
async fn lock_beside(path: &Path) -> Result<LockGuard, CliError> {
    let backend = LocalBackend::beside(path);
    let holder = this_run(Timestamp::now());
    let guard = backend
        .lock(&holder, Duration::ZERO)
        .await
        .map_err(ApplyError::from)?;
    Ok(guard)
}

/// `path`'s text with the imported `section` added after it, once the result validates (with
/// the RIXL sink placeholders standing for sinks); `path` must not have that section yet. A
/// file that does not exist yet becomes the import.
fn merged_into(path: &Path, imported: &str, section: &str) -> Result<String, CliError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(existing) => existing,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(imported.to_owned());
        }
        Err(error) => {
            return Err(CliError::Read {
                path: path.to_owned(),
                reason: error.to_string(),
            });
        }
    };
    let top_level = format!("{section}:");
    if existing.lines().any(|line| line.starts_with(&top_level)) {
        return Err(CliError::Usage(format!(
            "{}: it already has a `{section}` section, so --merge would give it twice; nothing \
             was written. Import into another file, or use --force to replace the whole file",
            path.display()
        )));
    }
    let addition = imported.replacen("version: 1\n", "", 1);
    let merged = format!("{}\n\n{addition}", existing.trim_end());
    let name = format!("{} with the import added", path.display());
    load_bytes(
        &name,
        with_sinks_filled_in(&merged).as_bytes(),
        Path::new("."),
    )
    .map_err(CliError::Config)?;
    Ok(merged)
}

fn write_output(printer: &Printer, text: &str, output: &ImportOutput) -> Result<(), CliError> {
    let Some(path) = &output.out else {
        printer.say(text);
        return Ok(());
    };
    if path.exists() && !output.force && !output.merge {
        return Err(CliError::WouldOverwrite(path.clone()));
    }
    write_atomically(path, text.as_bytes()).map_err(|reason| CliError::Write {
        what: "",
        path: path.clone(),
        reason: reason.to_string(),
    })
}
