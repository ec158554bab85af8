//! Asking for approval before apply writes anything.

use std::io::{BufRead, IsTerminal, Write};

use super::exit::CliError;
use super::output::say;

/// Whether the user approved, asked on the terminal. Without a terminal nobody can answer, so
/// that is an error telling how to approve instead.
pub fn confirm_apply() -> Result<bool, CliError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::Message(
            "apply needs approval, and there is no terminal to ask on; nothing was changed. \
             Pass --auto-approve to apply without asking."
                .to_owned(),
        ));
    }
    say("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    std::io::stdout()
        .flush()
        .map_err(|error| CliError::Message(format!("cannot write the prompt: {error}")))?;
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|error| CliError::Message(format!("cannot read the answer: {error}")))?;
    Ok(answer.trim() == "yes")
}
