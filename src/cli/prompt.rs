//! Asking for approval before apply writes anything.

use std::io::{BufRead, IsTerminal};

use super::output::{flush, say};
use crate::apply::ApplyError;

/// Whether the user approved, asked on the terminal. Without a terminal nobody can answer, so
/// that is an error telling how to approve instead.
pub fn confirm_apply() -> Result<bool, ApplyError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(ApplyError::NoTerminal);
    }
    say("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    flush();
    let mut answer = String::new();
    let read = stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|error| ApplyError::Prompt(format!("cannot read the answer: {error}")))?;
    if read == 0 {
        // Ctrl-D: end the prompt's line, so what follows starts on its own.
        say("\n");
    }
    Ok(answer.trim() == "yes")
}
