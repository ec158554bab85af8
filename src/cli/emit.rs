//! Prints a plan or an apply in the format the user chose.

use super::args::OutputFormat;
use super::exit::CliError;
use crate::apply::ApplyReport;
use crate::config::DesiredState;
use crate::plan::Plan;
use crate::render::{
    Command, GITHUB_COMMENT_LIMIT, MarkdownView, Source, Style, apply_document, plan_document,
    render_markdown, render_plan,
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
        OutputFormat::Human => print!("{}", render_plan(plan, &desired.source, style)),
        OutputFormat::Json => print_json(&plan_document(plan, source(desired), command))?,
        OutputFormat::Markdown => {
            let view = MarkdownView {
                title: title(command),
                source: &desired.source,
                report: None,
                limit: GITHUB_COMMENT_LIMIT,
            };
            print!("{}", render_markdown(plan, view));
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
            print!("{}", render_markdown(plan, view));
        }
    }
    Ok(())
}

/// Prints a JSON value on one document, pretty.
pub fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|error| CliError::Message(format!("cannot encode JSON: {error}")))?;
    println!("{text}");
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
