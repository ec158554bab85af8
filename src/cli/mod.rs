//! The command line: parses arguments, runs one command, prints, and maps the end to an exit
//! code. Everything it prints goes through one `output::Printer`.

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
mod serve;
mod serve_cycle;
mod show;
mod state;
mod validate;

use std::process::ExitCode;

use clap::error::ErrorKind;

pub use args::Cli;
use args::Command;
pub use exit::{CliError, Exit};
use output::Printer;
pub use serve::Host as ServeHost;

/// Runs keyrot with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match flag_scope::parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let printer = Printer::new(&cli.global);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            printer.warn(&format!("error: cannot start the async runtime: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let json_command = cli.json_command();
    let ended =
        runtime
            .block_on(run(cli, &printer))
            .and_then(|exit| match printer.stdout_failure() {
                Some(failure) => Err(CliError::Stdout(failure.to_owned())),
                None => Ok(exit),
            });
    match ended {
        Ok(exit) => exit.into(),
        Err(error) => {
            printer.warn(&error.to_string());
            if let Some(command) = json_command {
                emit::print_json(
                    &printer,
                    &serde_json::json!({
                        "format_version": 1,
                        "command": command,
                        "error": {"message": error.to_string().trim_start_matches("error: ")},
                    }),
                );
            }
            error.exit_code()
        }
    }
}

/// Runs `keyrot serve` with `arguments` (those after `keyrot serve` on a command line) on
/// `host`'s clock and controls, in the caller's runtime: how a simulation runs it (benchmark i
/// runs a day on tokio's paused clock).
pub async fn serve_on(arguments: &[&str], host: &dyn ServeHost) -> Result<Exit, CliError> {
    let command_line = ["keyrot", "serve"].iter().chain(arguments);
    let cli = flag_scope::parse_from(command_line).map_err(|e| CliError::Usage(e.to_string()))?;
    let printer = Printer::new(&cli.global);
    match &cli.command {
        Command::Serve(args) => serve::run(&cli.global, &printer, args, host).await,
        _ => Err(CliError::Usage(format!(
            "{arguments:?} are not the arguments of keyrot serve"
        ))),
    }
}

/// Prints the completion script for `shell`.
fn completions(printer: &Printer, shell: clap_complete::Shell) {
    let mut command = flag_scope::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "keyrot", &mut script);
    printer.say(&String::from_utf8_lossy(&script));
}

/// Help and version exit 0; every other usage error exits 1, because 2 means "changes present".
fn usage_error(error: &clap::Error) -> ExitCode {
    let _ = error.print();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

async fn run(cli: Cli, printer: &Printer) -> Result<Exit, CliError> {
    let global = &cli.global;
    match &cli.command {
        Command::Plan(args) => plan::run(global, printer, args).await,
        Command::Apply(args) => apply::run(global, printer, args).await,
        Command::Drift(args) => drift::run(global, printer, args).await,
        Command::Show(args) => show::run(printer, args),
        Command::History(args) => history::run(global, printer, args).await,
        Command::Journal(args) => journal::run(global, printer, args.action).await,
        Command::Deliver(args) => deliver::run(global, printer, args).await,
        Command::Validate => validate::run(global, printer),
        Command::Import(args) => import::run(global, printer, args).await,
        Command::Schema => {
            emit::print_json(printer, &crate::config::desired_state_schema());
            Ok(Exit::Success)
        }
        Command::Completions(args) => {
            completions(printer, args.shell);
            Ok(Exit::Success)
        }
        Command::Serve(args) => serve::run(global, printer, args, &serve::ProcessHost).await,
        Command::Sandbox(args) => sandbox::run(global, printer, args).await,
        Command::Demo => demo::run(global, printer).await,
    }
}
