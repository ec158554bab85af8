//! `keyrot validate`: check the desired-state file offline.

use super::args::GlobalArgs;
use super::exit::{CliError, Exit};
use super::output::Printer;
use crate::config::load_file;
use crate::render::resources_counted;

/// Runs `keyrot validate`.
pub fn run(global: &GlobalArgs, printer: &Printer) -> Result<Exit, CliError> {
    let desired = load_file(&global.file())?;
    printer.sayln(&format!(
        "{} is valid: {}.",
        desired.source,
        resources_counted(Some(&desired))
    ));
    Ok(Exit::Success)
}
