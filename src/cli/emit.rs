//! Prints a plan or an apply in the format the user chose.

use std::io::Write;

use super::args::OutputFormat;
use super::exit::CliError;
use super::output::{say, sayln};
use crate::apply::ApplyReport;
use crate::config::DesiredState;
use crate::plan::Plan;
use crate::render::{
    Command, GITHUB_COMMENT_LIMIT, MarkdownView, Source, Style, apply_document, plan_chunks,
    plan_document, render_markdown,
};

/// The JSON document's `desired_state`.
pub fn source(desired: &DesiredState) -> Source<'_> {
    Source {
        file: &desired.source,
        sha256: &desired.digest,
    }
}

/// Prints `plan` as `format`; `command` names it in JSON and Markdown.
pub fn print_plan(
    plan: &Plan,
    desired: &DesiredState,
    format: OutputFormat,
    command: Command,
    style: Style,
) -> Result<(), CliError> {
    match format {
        OutputFormat::Human => write_chunks(plan_chunks(plan, &desired.source, style))?,
        OutputFormat::Json => print_json(&plan_document(plan, source(desired), command))?,
        OutputFormat::Markdown => {
            let view = MarkdownView {
                title: title(command),
                source: &desired.source,
                report: None,
                limit: GITHUB_COMMENT_LIMIT,
            };
            say(&render_markdown(plan, view));
        }
    }
    Ok(())
}

/// Prints an apply's result as a machine-readable `format` (human output is printed as it
/// happens).
pub fn print_apply(
    plan: &Plan,
    report: &ApplyReport,
    desired: &DesiredState,
    format: OutputFormat,
) -> Result<(), CliError> {
    match format {
        OutputFormat::Human => {}
        OutputFormat::Json => print_json(&apply_document(plan, report, source(desired)))?,
        OutputFormat::Markdown => {
            let view = MarkdownView {
                title: "keyrot apply",
                source: &desired.source,
                report: Some(report),
                limit: GITHUB_COMMENT_LIMIT,
            };
            say(&render_markdown(plan, view));
        }
    }
    Ok(())
}

/// Writes text chunk by chunk through one buffered, locked stdout.
pub fn write_chunks(chunks: impl Iterator<Item = String>) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for chunk in chunks {
        out.write_all(chunk.as_bytes()).map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)
}

fn stdout_error(error: std::io::Error) -> CliError {
    CliError::Message(format!("cannot write to stdout: {error}"))
}

/// Prints a JSON value on one document, pretty.
pub fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|error| CliError::Message(format!("cannot encode JSON: {error}")))?;
    sayln(&text);
    Ok(())
}

fn title(command: Command) -> &'static str {
    match command {
        Command::Plan => "keyrot plan",
        Command::Show => "keyrot show",
        Command::Apply => "keyrot apply",
        Command::Drift => "keyrot drift",
    }
}
