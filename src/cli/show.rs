//! `keyrot show`: a saved plan, in any format, from its own contents, under a few lines saying
//! what the file is, so that whoever approves it knows what they approve.

use super::args::{OutputFormat, ShowArgs};
use super::emit::{print_json, print_plan};
use super::exit::{CliError, Exit};
use super::output::Printer;
use crate::apply::{SavedOptions, SavedPlan};
use crate::render::{
    Command, GITHUB_COMMENT_LIMIT, MarkdownView, Source, plan_document, render_markdown,
};

/// Runs `keyrot show`. The plan is shown as it was recorded; the desired-state file is not
/// read, so a plan can be shown anywhere.
pub fn run(printer: &Printer, args: &ShowArgs) -> Result<Exit, CliError> {
    let saved = SavedPlan::read(&args.plan_file)?;
    let from = Source {
        file: &saved.desired_state.file,
        sha256: &saved.desired_state.sha256,
    };
    let name = args.plan_file.display().to_string();
    let about = origin(&saved);
    match args.format {
        OutputFormat::Human => {
            printer.say(&format!("Saved plan {name}: {}\n\n", about.join("; ")));
            print_plan(
                printer,
                &saved.plan,
                from,
                args.format,
                Command::Show,
                printer.style(),
            );
        }
        OutputFormat::Markdown => {
            let about = about.map(|line| capitalized(&line)).join("  \n");
            let view = MarkdownView {
                title: &format!("keyrot saved plan `{name}`"),
                about: Some(&about),
                source: from.file,
                report: None,
                limit: GITHUB_COMMENT_LIMIT,
            };
            printer.say(&render_markdown(&saved.plan, view));
        }
        OutputFormat::Json => print_json(printer, &plan_document(&saved.plan, from, Command::Show)),
    }
    Ok(Exit::Success)
}

/// When the plan was made and by which keyrot, from which file, with which options.
fn origin(saved: &SavedPlan) -> [String; 3] {
    let digest = saved.desired_state.sha256.get(..12).unwrap_or("?");
    [
        format!(
            "planned at {} by {}",
            saved.now.strftime("%Y-%m-%d %H:%M:%S UTC"),
            saved.written_by
        ),
        format!("from {} (sha256 {digest}…)", saved.desired_state.file),
        format!("options: {}", options_in_words(&saved.options)),
    ]
}

/// `line` with its first letter in upper case, to start a line of its own.
fn capitalized(line: &str) -> String {
    let mut letters = line.chars();
    letters
        .next()
        .map(|first| first.to_uppercase().chain(letters).collect())
        .unwrap_or_default()
}

/// The options as they were typed: `--target a --replace a`, or `none (every resource)`.
fn options_in_words(options: &SavedOptions) -> String {
    let mut words: Vec<String> = Vec::new();
    words.extend(
        options
            .targets
            .iter()
            .map(|name| format!("--target {name}")),
    );
    words.extend(
        options
            .replace
            .iter()
            .map(|name| format!("--replace {name}")),
    );
    if options.allow_rapid_rotation {
        words.push("--allow-rapid-rotation".to_owned());
    }
    match words.is_empty() {
        true => "none (every resource)".to_owned(),
        false => words.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_options_read_as_they_were_typed() {
        let options = SavedOptions {
            allow_rapid_rotation: true,
            targets: vec!["prod".to_owned()],
            replace: vec!["prod".to_owned()],
        };
        assert_eq!(
            options_in_words(&options),
            "--target prod --replace prod --allow-rapid-rotation"
        );
        assert_eq!(
            options_in_words(&SavedOptions::default()),
            "none (every resource)"
        );
    }
}
