//! Prints a plan or an apply in the format the user chose.

use super::args::OutputFormat;
use super::output::Printer;
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
    printer: &Printer,
    plan: &Plan,
    from: Source<'_>,
    format: OutputFormat,
    command: Command,
    style: Style,
) {
    match format {
        OutputFormat::Human => printer.say_chunks(plan_chunks(plan, from.file, style, command)),
        OutputFormat::Json => print_json(printer, &plan_document(plan, from, command)),
        OutputFormat::Markdown => {
            let view = MarkdownView {
                title: title(command),
                about: None,
                source: from.file,
                report: None,
                limit: GITHUB_COMMENT_LIMIT,
            };
            printer.say(&render_markdown(plan, view));
        }
    }
}

/// Prints an apply's result as a machine-readable `format` (human output is printed as it
/// happens).
pub fn print_apply(
    printer: &Printer,
    plan: &Plan,
    report: &ApplyReport,
    from: Source<'_>,
    format: OutputFormat,
) {
    match format {
        OutputFormat::Human => {}
        OutputFormat::Json => print_json(printer, &apply_document(plan, report, from)),
        OutputFormat::Markdown => {
            let view = MarkdownView {
                title: "keyrot apply",
                about: None,
                source: from.file,
                report: Some(report),
                limit: GITHUB_COMMENT_LIMIT,
            };
            printer.say(&render_markdown(plan, view));
        }
    }
}

/// Prints a JSON value as one pretty document.
pub fn print_json(printer: &Printer, value: &serde_json::Value) {
    printer.sayln(&serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()));
}

fn title(command: Command) -> &'static str {
    match command {
        Command::Plan => "keyrot plan",
        Command::Show => "keyrot show",
        Command::Apply => "keyrot apply",
        Command::Drift => "keyrot drift",
    }
}
