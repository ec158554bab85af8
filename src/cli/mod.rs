//! The command line: parses arguments, runs one command, prints, and maps the end to an exit
//! code. The only module that prints.

mod apply;
mod apply_ui;
mod args;
mod clock;
mod context;
mod deliver;
mod demo;
mod drift;
mod emit;
mod exit;
mod flag_scope;
mod history;
mod import;
mod journal;
mod options;
mod output;
mod plan;
mod planning;
mod preview;
mod progress;
mod prompt;
mod sandbox;
mod show;
mod state;
mod validate;

use std::process::ExitCode;

use clap::error::ErrorKind;

pub use args::Cli;
use args::Command;
pub use exit::{CliError, Exit};

/// Runs keyrot with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match flag_scope::parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            output::warn(&format!("error: cannot start the async runtime: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let json_command = cli.json_command();
    let ended = runtime
        .block_on(run(cli))
        .and_then(|exit| match output::stdout_failure() {
            Some(failure) => Err(CliError::Stdout(failure.to_owned())),
            None => Ok(exit),
        });
    match ended {
        Ok(exit) => exit.into(),
        Err(error) => {
            output::warn(&error.to_string());
            if let Some(command) = json_command {
                emit::print_json(&serde_json::json!({
                    "format_version": 1,
                    "command": command,
                    "error": {"message": error.to_string().trim_start_matches("error: ")},
                }));
            }
            error.exit_code()
        }
    }
}

/// Prints the completion script for `shell`.
fn completions(shell: clap_complete::Shell) {
    let mut command = flag_scope::command();
    clap_complete::generate(shell, &mut command, "keyrot", &mut std::io::stdout());
}

/// Help and version exit 0; every other usage error exits 1, because 2 means "changes present".
fn usage_error(error: &clap::Error) -> ExitCode {
    let _ = error.print();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

async fn run(cli: Cli) -> Result<Exit, CliError> {
    let global = &cli.global;
    match &cli.command {
        Command::Plan(args) => plan::run(global, args).await,
        Command::Apply(args) => apply::run(global, args).await,
        Command::Drift(args) => drift::run(global, args).await,
        Command::Show(args) => show::run(global, args),
        Command::History(args) => history::run(global, args).await,
        Command::Journal(args) => journal::run(global, args.action).await,
        Command::Deliver(args) => deliver::run(global, args).await,
        Command::Validate => validate::run(global),
        Command::Import(args) => import::run(global, args).await,
        Command::Schema => {
            emit::print_json(&crate::config::desired_state_schema());
            Ok(Exit::Success)
        }
        Command::Completions(args) => {
            completions(args.shell);
            Ok(Exit::Success)
        }
        Command::Sandbox(args) => sandbox::run(global, args).await,
        Command::Demo => demo::run(global).await,
    }
}
