//! `keyrot validate`: check the desired-state file offline.

use super::args::GlobalArgs;
use super::exit::{CliError, Exit};
use super::output::sayln;
use crate::config::load_file;
use crate::render::counted;

/// Runs `keyrot validate`.
pub fn run(global: &GlobalArgs) -> Result<Exit, CliError> {
    let desired = load_file(&global.file())?;
    sayln(&format!(
        "{} is valid: {} and {}.",
        desired.source,
        counted(desired.cloudflare_accounts.len(), "Cloudflare account"),
        counted(desired.rixl.keys.len(), "RIXL API key")
    ));
    Ok(Exit::Success)
}
